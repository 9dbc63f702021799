#!/bin/sh
# Restore a backup made by deploy/backup.sh into DATABASE_URL, replacing what is there.
# Stop web, worker and beat first (docs/OPERATIONS.md): a restore under a running app
# mixes old and new rows.
#   DATABASE_URL=postgres://user:pass@host:5432/db deploy/restore.sh /backups/paperdigest-20261201T023000Z.dump
set -eu
: "${DATABASE_URL:?DATABASE_URL names the database to restore into}"
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
  echo "usage: restore.sh BACKUP_FILE (an existing paperdigest-*.dump)" >&2
  exit 2
fi
# One transaction: a restore that fails part-way leaves the database as it was.
pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error --dbname="$DATABASE_URL" "$1"
echo "restore: $1 restored into the database"
