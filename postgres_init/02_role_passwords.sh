#!/bin/bash
# Gives the superuser and Dagster's two accounts the passwords kept on the password volumes
# (docker/passwords.sh). Run on Postgres's first start; run it again after changing a password,
# or once on an install made before passwords were generated, whose roles still have the old
# ones: `docker compose exec postgres bash /docker-entrypoint-initdb.d/02_role_passwords.sh`.
set -euo pipefail
: "${POSTGRES_USER:?}" "${DAGSTER_POSTGRES_USER:?}" "${DAGSTER_POSTGRES_VIEWER_USER:?}"
kept=/run/bookshop-passwords

psql -v ON_ERROR_STOP=1 --quiet --username "$POSTGRES_USER" --dbname postgres \
  -v admin="$POSTGRES_USER" -v admin_password="$(cat "$kept/admin/postgres")" \
  -v owner="$DAGSTER_POSTGRES_USER" -v owner_password="$(cat "$kept/dagster/postgres")" \
  -v viewer="$DAGSTER_POSTGRES_VIEWER_USER" -v viewer_password="$(cat "$kept/viewer/postgres")" <<'SQL'
ALTER ROLE :"admin" PASSWORD :'admin_password';
ALTER ROLE :"owner" PASSWORD :'owner_password';
ALTER ROLE :"viewer" PASSWORD :'viewer_password';
SQL
