const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** IDs are UUIDs; checking the shape first turns a typo into a VALIDATION error instead of a database error. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
