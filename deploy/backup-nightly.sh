#!/bin/sh
# The backup service's loop: run deploy/backup.sh once a day at $BACKUP_AT (HH:MM, UTC).
# A plain loop rather than cron: it logs to stdout and needs nothing but the postgres image.
set -eu
BACKUP_AT="${BACKUP_AT:-02:30}"
last=""
echo "backup: nightly at $BACKUP_AT UTC into ${BACKUP_DIR:-/backups}, kept ${BACKUP_KEEP_DAYS:-14} days"
while true; do
  today="$(date -u +%Y-%m-%d)"
  if [ "$(date -u +%H:%M)" = "$BACKUP_AT" ] && [ "$last" != "$today" ]; then
    # A failed dump is logged and retried tomorrow; the loop itself keeps running.
    "$(dirname "$0")/backup.sh" || echo "backup: FAILED" >&2
    last="$today"
  fi
  sleep 20
done
