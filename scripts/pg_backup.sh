#!/usr/bin/env bash
# `make backup`: a base backup of the PostgreSQL server, with the WAL it needs to be consistent (-X stream),
# into $BACKUP_DIR/base-<UTC time>/ (plain format, checked with pg_verifybackup against its manifest).
# Together with the server's continuous WAL archive (archive_command, see README) it restores to any moment
# after it.
#   PG_URL      the server (a user with the REPLICATION privilege); default $DATABASE_URL
#   BACKUP_DIR  where backups go; default var/backups
#   PG_BIN      PostgreSQL client programs; default /usr/lib/postgresql/15/bin
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
url=${PG_URL:-${DATABASE_URL:-}}
case "$url" in
  postgres://*|postgresql://*|*=*) ;;
  *) echo "pg_backup: set PG_URL (or DATABASE_URL) to the PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres" >&2; exit 2 ;;
esac
dir=${BACKUP_DIR:-var/backups}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="$dir/base-$stamp"
mkdir -p "$dir"
if [ -e "$target" ]; then echo "pg_backup: $target already exists" >&2; exit 1; fi

# Written under .partial and renamed only once complete and verified: a base-* directory is always whole.
rm -rf "$target.partial"
"$PG_BIN/pg_basebackup" --dbname="$url" --pgdata="$target.partial" --format=plain --wal-method=stream \
  --checkpoint=fast --manifest-checksums=SHA256 --label="zhengxie $stamp" --no-password
"$PG_BIN/pg_verifybackup" --quiet "$target.partial"
mv "$target.partial" "$target"
echo "$target"
