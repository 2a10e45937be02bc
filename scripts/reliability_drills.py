"""Run the "nothing lost" drills of issue 8 against real processes on scratch PostgreSQL databases.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python scripts/reliability_drills.py all
    ... scripts/reliability_drills.py web-kill --kills 100
    ... scripts/reliability_drills.py task-kill --kills 20
    ... scripts/reliability_drills.py db-outage

The server of DATABASE_URL (or RELIABILITY_PG_URL) only hosts the scratch databases (zx_drill_*), which are
dropped at the end; nothing else on it is touched. Exit status 1 if any drill found a violation.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zhengxie.reliability import drills
from zhengxie.reliability.harness import scratch_databases


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("drill", choices=["web-kill", "task-kill", "db-outage", "all"])
    parser.add_argument("--kills", type=int, default=None, help="web-kill: 100, task-kill: 20")
    parser.add_argument("--down", type=float, default=8.0, help="db-outage: seconds the database is away")
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, media)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="zx-drill-"))
    reports = []
    with scratch_databases() as dbs:
        if args.drill in ("web-kill", "all"):
            reports.append(drills.web_kill(dbs, workdir, kills=args.kills or 100))
        if args.drill in ("task-kill", "all"):
            reports.append(drills.task_kill(dbs, workdir, kills=args.kills or 20))
        if args.drill in ("db-outage", "all"):
            reports.append(drills.db_outage(dbs, workdir, down_seconds=args.down))
    for report in reports:
        if args.json:
            print(
                json.dumps({"name": report.name, "figures": report.figures, "violations": report.violations})
            )
        else:
            print(report.summary())
    if args.keep:
        print(f"work directory: {workdir}")
    else:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if any(r.violations for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
