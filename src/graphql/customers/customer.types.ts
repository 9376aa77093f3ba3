import 'reflect-metadata';
import { LocalDateResolver } from 'graphql-scalars';
import { ArgsType, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Max, Min } from 'class-validator';
import { CustomerStatus, ServiceTier } from '../../entities/index.js';
import { MAX_PAGE_SIZE } from '../../services/customers/customer.service.js';
import { PageInfo } from '../common/page-info.type.js';

registerEnumType(ServiceTier, { name: 'ServiceTier', description: 'The service concept a customer is on' });
registerEnumType(CustomerStatus, { name: 'CustomerStatus' });

@ObjectType('Customer')
export class CustomerType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true, description: 'Identifier in the source CRM or billing system' })
  externalRef?: string | null;

  @Field()
  name!: string;

  @Field()
  email!: string;

  @Field(() => String, { nullable: true })
  phone?: string | null;

  @Field({ description: 'IANA time zone, used for quiet hours' })
  timeZone!: string;

  @Field(() => ServiceTier)
  serviceTier!: ServiceTier;

  @Field(() => CustomerStatus)
  status!: CustomerStatus;

  @Field({ description: 'Whether the customer agreed to marketing contact' })
  marketingConsent!: boolean;

  @Field(() => LocalDateResolver, { description: 'When the customer was acquired' })
  acquiredAt!: string;

  @Field()
  createdAt!: Date;
}

@ObjectType()
export class CustomerEdge {
  @Field()
  cursor!: string;

  @Field(() => CustomerType)
  node!: CustomerType;
}

@ObjectType()
export class CustomerConnection {
  @Field(() => [CustomerEdge])
  edges!: CustomerEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}

@ArgsType()
export class CustomersArgs {
  @Field(() => Int, { defaultValue: 20, description: `Page size, 1 to ${MAX_PAGE_SIZE}` })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first!: number;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page' })
  after?: string | null;
}
