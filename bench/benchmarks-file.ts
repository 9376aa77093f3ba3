import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const FILE = path.join(process.cwd(), 'BENCHMARKS.md');
const EMPTY = '# Benchmarks\n\nEach section is written by its benchmark script; rerun the command to refresh it.\n';

/**
 * Writes a benchmark's section of BENCHMARKS.md: replaces the section that starts with the
 * same `## heading` line (up to the next `## `), or appends it; every other section stays.
 */
export async function writeBenchmarkSection(section: string): Promise<void> {
  const heading = section.slice(0, section.indexOf('\n'));
  const current = existsSync(FILE) ? await readFile(FILE, 'utf8') : EMPTY;
  const start = current.indexOf(`${heading}\n`);
  if (start < 0) return writeFile(FILE, `${current.trimEnd()}\n\n${section.trimEnd()}\n`);
  const next = current.indexOf('\n## ', start + heading.length);
  const end = next < 0 ? current.length : next + 1;
  await writeFile(FILE, `${current.slice(0, start)}${section.trimEnd()}\n${next < 0 ? '' : '\n'}${current.slice(end)}`);
}
