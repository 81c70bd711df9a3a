#!/bin/bash
# One backup of what the deployment would lose: Dagster's database (run history, event log with
# every materialization, schedule and sensor state, pools) and the data volume (Parquet storage,
# exports, landed orders, processed and rejected files). MySQL is the shop's, not backed up here.
#
# Written to /backups/<UTC time>/ (the host folder BOOKSHOP_BACKUP_DIR): dagster.dump
# (pg_dump's custom format) and data.tar.gz. The database is dumped first, in one snapshot, then the
# volume is read: every materialization the dump records has its file in the archive (files are
# replaced whole, never edited in place), at worst a newer version of it. A backup is written
# under a .partial name and renamed when complete; then only the newest BOOKSHOP_BACKUP_KEEP
# backups are kept (0: all). The backup belongs to the owner of the backup folder.
set -euo pipefail
: "${DAGSTER_POSTGRES_HOST:?}" "${DAGSTER_POSTGRES_USER:?}" "${DAGSTER_POSTGRES_DB:?}"
keep=${BOOKSHOP_BACKUP_KEEP:?}
[[ $keep =~ ^[0-9]+$ ]] || { echo "BOOKSHOP_BACKUP_KEEP must be a whole number, not '$keep'." >&2; exit 2; }

name=$(date -u +%Y%m%dT%H%M%SZ)
target=/backups/$name
owner=$(stat -c %u:%g /backups)
started=$(date +%s)
mkdir "$target.partial"
PGPASSWORD=$(cat /run/bookshop-passwords/postgres) pg_dump --format=custom --no-owner --no-privileges \
  --host="$DAGSTER_POSTGRES_HOST" --port="${DAGSTER_POSTGRES_PORT:-5432}" \
  --username="$DAGSTER_POSTGRES_USER" --file="$target.partial/dagster.dump" "$DAGSTER_POSTGRES_DB"
tar --create --gzip --numeric-owner --file="$target.partial/data.tar.gz" --directory=/data .
chown -R "$owner" "$target.partial"
mv "$target.partial" "$target"
echo "Backup $name: $(du -sh "$target" | cut -f1) in $(($(date +%s) - started)) s ($target)."

if ((keep > 0)); then
  find /backups -mindepth 1 -maxdepth 1 -type d -name '????????T??????Z' | sort -r | tail -n +$((keep + 1)) |
    while read -r old; do
      rm -rf "$old"
      echo "Removed the old backup ${old#/backups/} (BOOKSHOP_BACKUP_KEEP=$keep)."
    done
fi
