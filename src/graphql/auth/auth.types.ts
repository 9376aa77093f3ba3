import 'reflect-metadata';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';

registerEnumType(Role, {
  name: 'Role',
  description: 'What a caller may do: Viewer reads; Marketer and Operator also read; Admin may do everything',
});

@ObjectType('Caller', { simpleResolvers: true, description: 'Who is asking: what a front end needs to show each user only what they may do' })
export class CallerType {
  @Field({ description: 'How the audit log names this caller: "<role>:<fingerprint of the key>"' })
  id!: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => [Role], { description: 'The roles whose operations this caller may call (an admin is granted all four)' })
  grants!: Role[];
}
