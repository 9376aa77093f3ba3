/**
 * Settings every connection of the platform asks PostgreSQL for at its start (pg's `options`). The
 * time zone is UTC: the platform's days (`current_date`, a `date` cast to a time, a report's `since`)
 * are UTC days, as the API's and the worker's are, whatever the server's or the database's default
 * zone (a managed PostgreSQL's is often not UTC); a client's setting outranks `alter database ... set
 * timezone`. Before it: the options DATABASE_URL gives (`?options=`), or else what an operator put in
 * PGOPTIONS (which pg's `options` would replace), as libpq takes them (the URL's replace the environment's).
 */
export function sessionOptions(urlOptions: string | null = null): string {
  return [urlOptions ?? process.env.PGOPTIONS, '-c TimeZone=UTC'].filter(Boolean).join(' ');
}
