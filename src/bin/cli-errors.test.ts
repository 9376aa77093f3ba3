import { jest } from '@jest/globals';
import { ImportException, ImportExceptionCode } from '../services/import/import.exception.js';
import { asJson, fail } from './cli-errors.js';

afterEach(() => jest.restoreAllMocks());

it('prints a domain exception as its code, message and details', () => {
  const error = new ImportException(ImportExceptionCode.FileNotFound, 'No such file: x.csv', { file: 'x.csv' });
  expect(asJson(error)).toEqual({ code: 'IMPORT_FILE_NOT_FOUND', message: 'No such file: x.csv', file: 'x.csv' });
});

it('ends the tool with the exit code, the message as text or one line of JSON on stderr', () => {
  const printed: unknown[] = [];
  jest.spyOn(console, 'error').mockImplementation((line: unknown) => void printed.push(line));
  const exit = jest.spyOn(process, 'exit').mockImplementation(((code: number) => {
    throw new Error(`exit ${code}`);
  }) as never);
  expect(() => fail(2, 'usage: npm run scores -- fit <orders.csv>')).toThrow('exit 2');
  expect(() => fail(1, { code: 'ORDERS_FILE_BAD_ROW', line: 3 })).toThrow('exit 1');
  expect(printed).toEqual(['usage: npm run scores -- fit <orders.csv>', '{"code":"ORDERS_FILE_BAD_ROW","line":3}']);
  expect(exit).toHaveBeenCalledTimes(2);
});
