#!/usr/bin/env bash
# Mounted into /docker-entrypoint-initdb.d by docker-compose.yml. The postgres
# image runs it once, when it initialises an empty data directory (a password
# changed in .env later does not reach an existing volume: use ALTER ROLE).
#
# One role per user of the server, neither a superuser nor allowed to create
# databases:
#   retention  owns `retention`, the application's database (DATABASE_URL)
#   temporal   owns `temporal` and `temporal_visibility`; Temporal's auto-setup
#              (SKIP_DB_CREATE=true) installs and upgrades their schemas. The
#              visibility schema's btree_gin is a trusted extension, which a
#              database owner may create.
# -e and pipefail only: the image sources (rather than runs) a script that lost its
# executable bit, and -u would then leak into its entrypoint.
set -eo pipefail

: "${RETENTION_DB_PASSWORD:?RETENTION_DB_PASSWORD is not set}"
: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD is not set}"

# Passwords reach SQL as psql variables (:'name' quotes them), never spliced into the text.
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  --set retention_password="$RETENTION_DB_PASSWORD" \
  --set temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE retention LOGIN PASSWORD :'retention_password';
CREATE DATABASE retention OWNER retention;
REVOKE CONNECT, TEMPORARY ON DATABASE retention FROM PUBLIC;

CREATE ROLE temporal LOGIN PASSWORD :'temporal_password';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
REVOKE CONNECT, TEMPORARY ON DATABASE temporal FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE temporal_visibility FROM PUBLIC;
SQL
