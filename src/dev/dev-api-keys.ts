import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Role } from '../domain/auth/roles.js';

/** One random key per role for local use, kept in the (git-ignored) data folder so they survive restarts. */
export async function devApiKeys(dataDir: string): Promise<Record<Role, string>> {
  const file = path.join(dataDir, 'dev-api-keys.json');
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8'));
  const keys = Object.fromEntries(Object.values(Role).map((role) => [role, `dev-${role}-${randomBytes(12).toString('hex')}`])) as Record<Role, string>;
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
  return keys;
}

export const apiKeysSpec = (keys: Record<Role, string>): string =>
  Object.entries(keys)
    .map(([role, key]) => `${role}:${key}`)
    .join(',');
