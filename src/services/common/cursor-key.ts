import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sealCursorsWith } from './pagination.js';

const CURSOR_KEY_SETTING = 'cursor-key';

/**
 * Seals this process's page cursors with the installation's key: made at random by the first API
 * to start, kept as a deployment setting, so every API process (and the next after a restart) opens
 * the cursors another sealed. Deleting the setting retires every cursor given out.
 */
export async function sealCursorsWithInstallationKey(em: EntityManager): Promise<void> {
  const connection = em.getConnection();
  await connection.execute(`insert into deployment_setting (name, value, recorded_at) values (?, ?, now()) on conflict (name) do nothing`, [CURSOR_KEY_SETTING, randomBytes(32).toString('base64url')]);
  const [key] = await connection.execute<{ value: string }[]>(`select value from deployment_setting where name = ?`, [CURSOR_KEY_SETTING]);
  sealCursorsWith([key.value]);
}
