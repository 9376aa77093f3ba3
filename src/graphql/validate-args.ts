import { validateOrReject, type ValidationError, type ValidatorOptions } from 'class-validator';
import { ArgumentValidationError, type ValidatorFn } from 'type-graphql';

const isObject = (value: unknown): value is object => value !== null && typeof value === 'object';
// As type-graphql's own validation: rules of the fields given, input objects as declared.
const options: ValidatorOptions = { skipMissingProperties: true, forbidUnknownValues: false };

/**
 * Checks the input objects of queries and mutations against their class-validator rules, as
 * type-graphql's built-in validation does, with class-validator imported once (type-graphql
 * imports it again on every call). Arguments of nested fields are not checked here: for a
 * page of customers they would be checked once per row, and the services check those page
 * sizes and cursors themselves (VALIDATION / INVALID_PAGE_SIZE).
 */
export const validateArgs: ValidatorFn = async (value, _type, { info }) => {
  const root = info.parentType === info.schema.getQueryType() || info.parentType === info.schema.getMutationType();
  if (!root || !isObject(value)) return;
  try {
    await Promise.all((Array.isArray(value) ? value.filter(isObject) : [value]).map((item) => validateOrReject(item, options)));
  } catch (errors) {
    throw new ArgumentValidationError(errors as ValidationError[]);
  }
};
