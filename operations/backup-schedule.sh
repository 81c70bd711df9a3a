#!/bin/bash
# The scheduled backup: one backup (backup.sh) every BOOKSHOP_BACKUP_INTERVAL_HOURS, the first
# one interval after the start. A failed backup is reported in this service's log and retried at
# the next interval.
set -uo pipefail
hours=${BOOKSHOP_BACKUP_INTERVAL_HOURS:?}
[[ $hours =~ ^[1-9][0-9]*$ ]] || { echo "BOOKSHOP_BACKUP_INTERVAL_HOURS must be a whole number of hours, not '$hours'." >&2; exit 2; }
echo "A backup every $hours h, the newest ${BOOKSHOP_BACKUP_KEEP:?} kept (0: all)."
while sleep $((hours * 3600)); do
  bash /opt/operations/backup.sh || echo "The backup failed; next try in $hours h." >&2
done
