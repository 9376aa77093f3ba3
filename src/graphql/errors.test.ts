import type { GraphQLRequestContextDidEncounterErrors, GraphQLRequestListener } from '@apollo/server';
import { ValidationError } from 'class-validator';
import { buildSchema, GraphQLError, Kind, parse, type FragmentDefinitionNode, type GraphQLObjectType, type OperationDefinitionNode } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { DomainException, type FailureKind } from '../domain/errors/domain-exception.js';
import { createLogger } from '../logger.js';
import { argumentProblems, asApiSpells, createErrorFormatter, fieldAt, pathFromArgument, resolvedFieldsPlugin } from './errors.js';

const broken = (property: string, constraints: Record<string, string> | undefined, children: ValidationError[] = []) =>
  Object.assign(new ValidationError(), { property, constraints, children, value: 'echoed', target: { secret: 'input' } });

describe('argumentProblems', () => {
  it('names each broken field with its messages, nested fields by their path, and drops the echoed input', () => {
    const problems = argumentProblems([
      broken('first', { max: 'first must not be greater than 100', isInt: 'first must be an integer' }),
      broken('input', undefined, [broken('contact', undefined, [broken('phone', { matches: 'phone may hold digits only' })])]),
    ]);
    expect(problems).toEqual([
      { field: 'first', messages: ['first must not be greater than 100', 'first must be an integer'] },
      { field: 'input.contact.phone', messages: ['phone may hold digits only'] },
    ]);
    expect(JSON.stringify(problems)).not.toContain('secret');
  });

  it('is empty without errors', () => {
    expect(argumentProblems([])).toEqual([]);
  });
});

describe('asApiSpells', () => {
  it('spells a status or playbook detail as the API enums do, and leaves other details as they are', () => {
    expect(asApiSpells({ id: 'c-1', status: 'cancelled', playbook: 'fair-reminder', field: 'playbook' })).toEqual({ id: 'c-1', status: 'Cancelled', playbook: 'FairReminder', field: 'playbook' });
    expect(asApiSpells({ status: 'timed-out' })).toEqual({ status: 'TimedOut' });
    expect(asApiSpells({ status: 3, workflowIds: ['fair-reminder/x'] })).toEqual({ status: 3, workflowIds: ['fair-reminder/x'] });
  });
});

const schema = buildSchema(`
  input ContactInput { phone: String }
  input ComplaintInput { topic: String, openedAt: String, contact: ContactInput }
  input FilterInput { topic: String, segment: String }
  type Order { id: ID }
  interface Named { name: String }
  type Customer implements Named { name: String, orders(first: Int): [Order] }
  type Segment implements Named { name: String, size: Int }
  type Query { customers(first: Int, filter: FilterInput): [Customer], named: Named }
  type Mutation {
    recordComplaint(input: ComplaintInput!): Boolean
    both(input: ComplaintInput, filter: FilterInput): Boolean
    many(rows: [ComplaintInput!]!): Boolean
  }
`);
const args = (name: string) => schema.getMutationType()!.getFields()[name].args;

describe('pathFromArgument', () => {
  it("puts the name of the one input argument holding the field in front, and leaves a path that begins with an argument's name", () => {
    expect(pathFromArgument(args('recordComplaint'), 'topic')).toBe('input.topic');
    expect(pathFromArgument(args('recordComplaint'), 'contact.phone')).toBe('input.contact.phone');
    expect(pathFromArgument(args('recordComplaint'), 'input.openedAt')).toBe('input.openedAt');
    expect(pathFromArgument(schema.getQueryType()!.getFields().customers.args, 'first')).toBe('first');
    expect(pathFromArgument(schema.getQueryType()!.getFields().customers.args, 'filter.segment')).toBe('filter.segment');
  });

  it('leaves a field that no argument or several hold, and does not enter a list', () => {
    expect(pathFromArgument(args('recordComplaint'), 'nowhere')).toBe('nowhere');
    expect(pathFromArgument(args('both'), 'topic')).toBe('topic');
    expect(pathFromArgument(args('both'), 'openedAt')).toBe('input.openedAt');
    expect(pathFromArgument(args('many'), 'topic')).toBe('topic');
    expect(pathFromArgument([], 'topic')).toBe('topic');
  });
});

const operationOf = (source: string) => {
  const document = parse(source);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  return { document, operation, fragments };
};

describe('fieldAt', () => {
  it('finds the schema field at a response path, through aliases, list indexes and fragments', () => {
    const { operation, fragments } = operationOf('query { list: customers(first: 2) { ...C } named { ... on Customer { mine: orders { id } } } } fragment C on Customer { orders(first: 1) { id } }');
    expect(fieldAt(schema, operation, fragments, ['list'])?.name).toBe('customers');
    expect(fieldAt(schema, operation, fragments, ['list', 1, 'orders'])).toBe((schema.getType('Customer') as GraphQLObjectType).getFields().orders);
    expect(fieldAt(schema, operation, fragments, ['named', 'mine'])?.name).toBe('orders');
    expect(fieldAt(schema, operation, fragments, ['customers'])).toBeUndefined();
  });

  it('finds no field where one key names different fields under different type conditions, and one field selected twice', () => {
    const { operation, fragments } = operationOf('query { named { ... on Customer { x: orders { id } } ... on Segment { x: size } } list: customers { ...A ...B } } fragment A on Customer { orders { id } } fragment B on Customer { orders(first: 1) { id } }');
    expect(fieldAt(schema, operation, fragments, ['named', 'x'])).toBeUndefined();
    expect(fieldAt(schema, operation, fragments, ['list', 0, 'orders'])?.name).toBe('orders');
  });

  it('reads a mutation from the mutation type', () => {
    const { operation, fragments } = operationOf('mutation { recordComplaint(input: {}) }');
    expect(fieldAt(schema, operation, fragments, ['recordComplaint'])).toBe(schema.getMutationType()!.getFields().recordComplaint);
  });
});

class TestException extends DomainException {
  get kind(): FailureKind {
    return 'VALIDATION';
  }
}

describe('the error formatter', () => {
  const format = createErrorFormatter(createLogger('silent', 'test'), false);
  /** Errors raised by the recordComplaint resolver, as Apollo hands them to the plugin and then to the formatter. */
  const formatted = async (...causes: Error[]) => {
    const { document, operation } = operationOf('mutation { recordComplaint(input: { topic: "x" }) }');
    const errors = causes.map((cause) => new GraphQLError(cause.message, { path: ['recordComplaint'], originalError: cause }));
    const listener = (await resolvedFieldsPlugin.requestDidStart!({} as never)) as GraphQLRequestListener<never>;
    await listener.didEncounterErrors!({ errors, operation, document, schema } as unknown as GraphQLRequestContextDidEncounterErrors<never>);
    return errors.map((e) => format(e.toJSON(), e).extensions);
  };

  it("gives a domain rule's and a class-validator rule's field as the path from the argument", async () => {
    const [domain, validator] = await formatted(
      new TestException('TEST_INVALID', 'openedAt must not be in the future', { field: 'openedAt' }),
      new ArgumentValidationError([broken('topic', { maxLength: 'topic is too long' }), broken('contact', undefined, [broken('phone', { matches: 'phone may hold digits only' })])]),
    );
    // One shape for a form whichever rule refused: `fields` too.
    expect(domain).toEqual({ code: 'VALIDATION', reason: 'TEST_INVALID', field: 'input.openedAt', fields: [{ field: 'input.openedAt', messages: ['openedAt must not be in the future'] }] });
    expect(validator).toEqual({
      code: 'VALIDATION',
      reason: 'INVALID_ARGUMENT',
      field: 'input.topic',
      fields: [
        { field: 'input.topic', messages: ['topic is too long'] },
        { field: 'input.contact.phone', messages: ['phone may hold digits only'] },
      ],
    });
  });

  it('leaves a field that already names an argument, and an error raised before any resolver', async () => {
    const [named] = await formatted(new TestException('TEST_INVALID', 'bad', { field: 'input.topic', id: 'c-1' }));
    expect(named).toEqual({ code: 'VALIDATION', reason: 'TEST_INVALID', field: 'input.topic', id: 'c-1', fields: [{ field: 'input.topic', messages: ['bad'] }] });
    const early = new GraphQLError('Input is not valid', { originalError: new ArgumentValidationError([broken('input.topic', { noNul: 'input.topic contains a NUL character' })]) });
    expect(format(early.toJSON(), early).extensions).toMatchObject({ field: 'input.topic' });
  });
});
