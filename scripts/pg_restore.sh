#!/usr/bin/env bash
# `make restore`: a base backup made by `make backup` into a new data directory, set to replay the WAL
# archive to its end (or to RECOVERY_TARGET_TIME) and then open for writes. It never touches a running
# server: start the restored directory yourself (pg_ctl -D "$RESTORE_DATA_DIR" start, as its owner).
#   RESTORE_DATA_DIR      the new data directory (must not exist, or be empty)      required
#   BACKUP                the base backup directory; default the newest $BACKUP_DIR/base-*
#   BACKUP_DIR            default var/backups
#   WAL_ARCHIVE           the directory the server's archive_command copies WAL into; without it only
#                         the backup's own WAL is replayed (the state at the end of the backup)
#   RECOVERY_TARGET_TIME  stop replay at this moment, e.g. '2026-03-05 09:30:00+08'
#   RESTORE_OWNER         owner of the restored files when run as root; default postgres
#   PG_BIN                default /usr/lib/postgresql/15/bin
# The restored copy does not archive WAL (archive_mode=off), so it cannot write into the archive of the
# server it was taken from; turn archiving on again when it becomes the production server.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
dest=${RESTORE_DATA_DIR:-}
if [ -z "$dest" ]; then echo "pg_restore: set RESTORE_DATA_DIR to a new, empty data directory" >&2; exit 2; fi
if [ -n "${RECOVERY_TARGET_TIME:-}" ] && [ -z "${WAL_ARCHIVE:-}" ]; then
  echo "pg_restore: RECOVERY_TARGET_TIME needs WAL_ARCHIVE" >&2; exit 2
fi
if [ -e "$dest" ] && [ -n "$(ls -A "$dest")" ]; then echo "pg_restore: $dest is not empty" >&2; exit 1; fi
backup=${BACKUP:-}
if [ -z "$backup" ]; then
  backup=$(ls -d "${BACKUP_DIR:-var/backups}"/base-* 2>/dev/null | grep -v '\.partial$' | sort | tail -n 1 || true)
fi
if [ -z "$backup" ] || [ ! -f "$backup/backup_manifest" ]; then echo "pg_restore: no base backup found (BACKUP=$backup)" >&2; exit 1; fi

"$PG_BIN/pg_verifybackup" --quiet "$backup"
mkdir -p "$dest"
cp -a "$backup"/. "$dest"/
rm -f "$dest/backup_manifest"
chmod 700 "$dest"
# Debian keeps postgresql.conf outside the data directory; the defaults are enough to start the copy.
[ -f "$dest/postgresql.conf" ] || : > "$dest/postgresql.conf"
{
  echo "# make restore, $(date -u +%Y-%m-%dT%H:%M:%SZ), from $backup"
  echo "archive_mode = off"
  if [ -n "${WAL_ARCHIVE:-}" ]; then
    archive=$(cd "$WAL_ARCHIVE" && pwd)
    echo "restore_command = 'cp \"$archive/%f\" \"%p\"'"
    if [ -n "${RECOVERY_TARGET_TIME:-}" ]; then
      echo "recovery_target_time = '$RECOVERY_TARGET_TIME'"
    fi
    echo "recovery_target_action = 'promote'"
  fi
} >> "$dest/postgresql.auto.conf"
# Archive recovery only with an archive; without one the server replays the WAL inside the backup and opens.
if [ -n "${WAL_ARCHIVE:-}" ]; then
  touch "$dest/recovery.signal"
fi
if [ "$(id -u)" = 0 ]; then chown -R "${RESTORE_OWNER:-postgres}:" "$dest"; fi
echo "$dest"
