#!/bin/bash
# Restore one backup (backup.sh) into this compose project: Dagster's database is replaced by the
# backup's, the data volume emptied and refilled from it. For a fresh stack (before its first
# `docker compose up`) or a stopped one (`docker compose stop`): nothing of Dagster may run
# meanwhile. The next `docker compose up` brings the schema up to the installed Dagster (migrate).
set -euo pipefail
: "${DAGSTER_POSTGRES_HOST:?}" "${DAGSTER_POSTGRES_USER:?}" "${DAGSTER_POSTGRES_DB:?}"
name=${1:-}
if [[ -z $name || $name == */* ]]; then
  echo "Usage: docker compose run --rm restore <backup>, one of:" >&2
  ls /backups >&2
  exit 2
fi
source=/backups/$name
for file in dagster.dump data.tar.gz; do
  [[ -f $source/$file ]] || { echo "$source/$file is missing: not a complete backup." >&2; exit 2; }
done

started=$(date +%s)
# One transaction: the database is either the backup's or left as it was.
PGPASSWORD=$(cat /run/bookshop-passwords/postgres) pg_restore --clean --if-exists --no-owner --no-privileges \
  --single-transaction --exit-on-error \
  --host="$DAGSTER_POSTGRES_HOST" --port="${DAGSTER_POSTGRES_PORT:-5432}" \
  --username="$DAGSTER_POSTGRES_USER" --dbname="$DAGSTER_POSTGRES_DB" "$source/dagster.dump"
find /data -mindepth 1 ! -path /data/incoming -delete
tar --extract --gzip --same-owner --same-permissions --numeric-owner --file="$source/data.tar.gz" --directory=/data
echo "Restored $name in $(($(date +%s) - started)) s."
