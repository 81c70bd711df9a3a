#!/bin/bash
# Dagster's accounts, created on Postgres's first start by the image's superuser, who is then
# used by nobody but an administrator (and only from inside this container: see below).
# - DAGSTER_POSTGRES_USER owns the instance's database: it creates and migrates Dagster's tables,
#   and is no superuser and cannot create roles or databases.
# - DAGSTER_POSTGRES_VIEWER_USER, the read-only webserver's account, may read every table of it
#   (those made later by a migration too) and write none.
# Their passwords are set by 02_role_passwords.sh.
set -euo pipefail
: "${DAGSTER_POSTGRES_USER:?}" "${DAGSTER_POSTGRES_DB:?}" "${DAGSTER_POSTGRES_VIEWER_USER:?}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner="$DAGSTER_POSTGRES_USER" -v viewer="$DAGSTER_POSTGRES_VIEWER_USER" -v db="$DAGSTER_POSTGRES_DB" <<'SQL'
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
CREATE ROLE :"viewer" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
CREATE DATABASE :"db" OWNER :"owner";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"viewer";
\connect :"db"
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"viewer";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT ON TABLES TO :"viewer";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT ON SEQUENCES TO :"viewer";
SQL

# The superuser over the network is refused, whatever its password: only `docker compose exec
# postgres psql -U postgres` reaches it (local socket). The rule goes before the image's own.
sed -i "1i host all $POSTGRES_USER all reject" "$PGDATA/pg_hba.conf"
