#!/bin/sh
# One PostgreSQL backup: pg_dump's custom format into $BACKUP_DIR, then backups older than
# $BACKUP_KEEP_DAYS are deleted. Restore with deploy/restore.sh (docs/OPERATIONS.md).
#   DATABASE_URL=postgres://user:pass@host:5432/db BACKUP_DIR=/backups deploy/backup.sh
set -eu
: "${DATABASE_URL:?DATABASE_URL names the database to back up}"
BACKUP_DIR="${BACKUP_DIR:-/backups}"
BACKUP_KEEP_DAYS="${BACKUP_KEEP_DAYS:-14}"

mkdir -p "$BACKUP_DIR"
name="paperdigest-$(date -u +%Y%m%dT%H%M%SZ).dump"
# Written under a temporary name and renamed once complete, so a dump cut short by a
# crash or a full disk is never mistaken for a good one.
pg_dump --format=custom --no-owner --dbname="$DATABASE_URL" --file="$BACKUP_DIR/.$name.partial"
mv "$BACKUP_DIR/.$name.partial" "$BACKUP_DIR/$name"
find "$BACKUP_DIR" -maxdepth 1 -name 'paperdigest-*.dump' -mtime "+$BACKUP_KEEP_DAYS" -delete
echo "backup: $BACKUP_DIR/$name ($(wc -c <"$BACKUP_DIR/$name") bytes)"
