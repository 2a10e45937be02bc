"""Backup-and-restore drill: `make backup` / `make restore` on a private PostgreSQL cluster (a temp
directory, a spare port), then every table compared (row count and md5 of its ordered rows).

    .venv/bin/python scripts/backup_drill.py              # synthetic tables, seconds
    .venv/bin/python scripts/backup_drill.py --app-data   # the platform's schema and records, a minute or two

Needs the PostgreSQL server binaries (PG_BIN, default /usr/lib/postgresql/15/bin); no running server is
touched. Exit status 1 if a table differs after the restore.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zhengxie.reliability import backup_drill


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--app-data", action="store_true", help="the platform's tables instead of synthetic ones"
    )
    parser.add_argument(
        "--rows", type=int, default=200, help="records before the backup (a quarter more after)"
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--keep", action="store_true", help="keep the work directory (clusters, backup, logs)"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="zx-backup-drill-"))
    try:
        report = backup_drill.run(workdir, app_data=args.app_data, rows=args.rows)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps({"name": report.name, "figures": report.figures, "violations": report.violations}))
    else:
        print(report.summary())
    if args.keep:
        print(f"work directory: {workdir}")
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
