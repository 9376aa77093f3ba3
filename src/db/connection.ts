import type pg from 'pg';
import { sessionOptions } from './session.js';

/**
 * pg's settings for a connection to DATABASE_URL: the one place the URL becomes connection
 * options, for every connection the platform opens (the ORM's pool, LISTEN, the import, demo
 * data). The URL is read by pg itself (`connectionString`): host, port, user, password, database
 * and its query parameters: `sslmode` (`disable`, `no-verify`, `require`, `verify-ca`,
 * `verify-full`; pg treats `require` as `verify-full`), `sslrootcert`, `sslcert`, `sslkey`,
 * `application_name`, ...; where it says nothing of TLS, `PGSSLMODE` decides. The ORM used to
 * read only host, port, user, password and database from the URL, so its pool spoke in clear
 * to a server other connections reached over TLS. The session options (UTC) come after those the
 * URL's `options` gives (or PGOPTIONS, when it gives none).
 */
export function postgresConnection(databaseUrl: string, extra: pg.ClientConfig = {}): pg.ClientConfig {
  const url = URL.parse(databaseUrl);
  const urlOptions = url?.searchParams.get('options');
  // pg would take the URL's `options` instead of the session's: both, the URL's first.
  let connectionString = databaseUrl;
  if (url && urlOptions !== null && urlOptions !== undefined) {
    url.searchParams.delete('options');
    connectionString = url.toString();
  }
  return { ...extra, connectionString, options: sessionOptions(urlOptions ?? null) };
}

/** The database a postgres:// URL names (pg's default, the user's name, when it names none). */
export function databaseName(databaseUrl: string): string {
  const url = URL.parse(databaseUrl);
  if (!url) return '';
  return decodeURIComponent(url.pathname.replace(/^\//, '')) || decodeURIComponent(url.username);
}
