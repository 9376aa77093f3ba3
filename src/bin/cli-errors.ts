import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../config/config.js';
import { DomainException } from '../domain/errors/domain-exception.js';
import type { Logger } from '../logger.js';

/**
 * How the command-line tools (import, scores) end on a failure: the message, or a domain
 * exception as one line of JSON, on stderr, and the exit code their usage text promises.
 */
export function fail(exitCode: number, message: string | Record<string, unknown>): never {
  console.error(typeof message === 'string' ? message : JSON.stringify(message));
  process.exit(exitCode);
}

/**
 * How a command-line tool ends with its report on stdout: the exit code once the report is written out whole. A pipe
 * (`| jq`, a scheduler capturing the output) takes 64 KiB at a time; exiting straight after the write drops the rest,
 * and a report of many refused lines arrived cut short, no longer JSON.
 */
export function exitWithReport(exitCode: number, report: string): Promise<never> {
  return new Promise(() => process.stdout.write(`${report}\n`, () => process.exit(exitCode)));
}

/**
 * A command line as the CLIs read it: `--help` or `-h` prints the usage on stdout and exits 0 (a first try, nothing
 * done); anything the command does not take is wrong usage, one line and the usage on stderr, exit 2, nothing done.
 * Node's advice for an unknown option (put it after `--`, as a positional argument) is left out: `npm run` already
 * needs a `--` before the arguments, and no command takes a file name starting with `-`.
 */
export function parseCommandLine<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  let parsed;
  try {
    parsed = parseArgs({ ...config, options: { ...config.options, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    fail(2, `${(error as Error).message.replace(/\. To specify a positional argument.*$/s, '')}\n${usage}`);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    process.exit(0);
  }
  return parsed as unknown as ReturnType<typeof parseArgs<T>>;
}

/** A domain exception as the CLIs print it: its code, its message and its details (`line`, `file`, ...). */
export const asJson = (error: DomainException): Record<string, unknown> => ({ code: error.code, message: error.message, ...error.details });

/**
 * How a server process (`api`, `worker`, `migrate`) ends when it cannot start (a setting, the database,
 * a port): one line on stderr naming the problem, as `npm start: ...` does, and exit code 1, not a
 * multi-line Node stack among JSON log lines. Any other error than a setting's is logged too, with its
 * stack, as one JSON line, once the logger is there.
 */
export function startFailed(processName: string, error: unknown, logger?: Logger): never {
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
  if (logger && !(error instanceof ConfigError)) logger.fatal({ err: error }, message);
  fail(1, `${processName}: ${message}`);
}
