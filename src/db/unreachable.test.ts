import { isDatabaseUnreachable, isStatementTimeout } from './unreachable.js';

describe('isDatabaseUnreachable', () => {
  it('tells a database that is not there from a statement that failed', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(isDatabaseUnreachable(refused)).toBe(true);
    expect(isDatabaseUnreachable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(isDatabaseUnreachable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnreachable(new Error('wrapped', { cause: refused }))).toBe(true);
    expect(isDatabaseUnreachable(new AggregateError([refused], 'connect failed'))).toBe(true);
    // A database that takes no more connections just now (max_connections, a role's or database's limit).
    expect(isDatabaseUnreachable(Object.assign(new Error('sorry, too many clients already'), { code: '53300' }))).toBe(true);
    expect(isDatabaseUnreachable(Object.assign(new Error('too many connections for role "retention"'), { code: '53300' }))).toBe(true);
    // A database that hangs: the API's deadlines (pg's connect and read timeouts).
    expect(isDatabaseUnreachable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDatabaseUnreachable(new Error('Query read timeout'))).toBe(true);
    // A database that answers, but cancelled a statement that ran too long: not unreachable.
    expect(isDatabaseUnreachable(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }))).toBe(false);
    expect(isDatabaseUnreachable(Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }))).toBe(false);
    expect(isDatabaseUnreachable(new Error('boom'))).toBe(false);
    expect(isDatabaseUnreachable(null)).toBe(false);
  });
});

describe('isStatementTimeout', () => {
  it("tells a statement the server cancelled at its statement timeout from any other cancellation or failure", () => {
    const timedOut = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
    expect(isStatementTimeout(timedOut)).toBe(true);
    expect(isStatementTimeout(new Error('wrapped', { cause: timedOut }))).toBe(true);
    // A server writing its messages in German: told by the code.
    expect(isStatementTimeout(Object.assign(new Error('Anfrage wird abgebrochen wegen Zeitüberschreitung der Anweisung'), { code: '57014' }))).toBe(true);
    expect(isStatementTimeout(Object.assign(new Error('canceling statement due to user request'), { code: '57014' }))).toBe(false);
    expect(isStatementTimeout(new Error('Query read timeout'))).toBe(false);
    expect(isStatementTimeout(null)).toBe(false);
  });
});
