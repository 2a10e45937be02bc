"""Backup-and-restore drill: `make backup` and `make restore` on a private PostgreSQL cluster.

A throw-away cluster (initdb from the PostgreSQL binaries, a spare port, a temp directory) archives its WAL
to a directory, as production's archive_command does. The drill fills it, takes a base backup with
`make backup`, writes more rows (these exist only in the WAL archive), archives the last segment, stops the
cluster, restores with `make restore` into a new data directory, starts it, waits for the replay to end,
and compares every table: row count and an md5 of its ordered rows.

With app_data the database is the platform's (migrated, then proposals with co-signers written through
the services: audit rows, notices, duties); without, a few synthetic tables, which takes seconds.
Run as root, the cluster runs as the `postgres` user (PostgreSQL refuses root).
"""

# Fixed argument lists (no shell); SQL identifiers come from the catalogue of the drill's own cluster.
# ruff: noqa: S603, S608

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from zhengxie.reliability.drills import Report
from zhengxie.reliability.harness import REPO, DrillError, free_port, run_module, server_env, sql_connect

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
RUN_AS = "postgres"


def available() -> bool:
    return all((PG_BIN / p).exists() for p in ("initdb", "pg_ctl", "pg_basebackup", "pg_verifybackup"))


def _as_owner(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", RUN_AS, "--", *args]
    return args


def _run(args: list[str], *, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    done = subprocess.run(
        _as_owner(args), capture_output=True, text=True, timeout=timeout, env=env, check=False, cwd=REPO
    )
    if done.returncode != 0:
        raise DrillError(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    return done.stdout


def _chown(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, RUN_AS, RUN_AS)


def table_checksums(url: str) -> dict[str, tuple[int, str]]:
    """Every table of the public schema: (row count, md5 of its rows in text form, in order)."""
    with sql_connect(url) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        out = {}
        for table in tables:
            count, digest = conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \"{table}\" t"
            ).fetchone()
            out[table] = (int(count), str(digest))
    return out


class Cluster:
    def __init__(self, data: Path, port: int, sockets: Path, log: Path) -> None:
        self.data = data
        self.port = port
        self.sockets = sockets
        self.log = log

    def url(self, db: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        _run(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-t",
                "120",
                "-o",
                f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1",
                "start",
            ]
        )

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            _run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])


def _make(target: str, **variables: str) -> str:
    return _run(["make", "-s", "-C", str(REPO), target, *(f"{k}={v}" for k, v in variables.items())])


def _synthetic(url: str, start: int, count: int) -> None:
    with sql_connect(url) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS drill_proposal (id bigint PRIMARY KEY, title text NOT NULL, "
            "submitted_at timestamptz NOT NULL, payload jsonb)"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS drill_cosigner (proposal_id bigint REFERENCES drill_proposal, "
            "member int, PRIMARY KEY (proposal_id, member))"
        )
        conn.execute(
            "INSERT INTO drill_proposal SELECT g, '关于演练的建议' || g, now(), jsonb_build_object('n', g) "
            "FROM generate_series(%s::bigint, %s::bigint) g",
            [start, start + count - 1],
        )
        conn.execute(
            "INSERT INTO drill_cosigner SELECT p, m FROM generate_series(%s::bigint, %s::bigint) p, generate_series(1, 3) m",
            [start, start + count - 1],
        )


def _app_rows(url: str, count: int, fresh: bool) -> None:
    env = server_env(DATABASE_URL=url)
    if fresh:
        run_module(env, "zhengxie.reliability.drill_seed", "--members", "10")
    run_module(env, "zhengxie.reliability.drill_proposals", "--count", str(count))


def run(workdir: Path, *, app_data: bool = False, rows: int = 200, use_archive: bool = True) -> Report:
    """use_archive=False restores the base backup alone: the control case, which must miss the later rows."""
    report = Report("backup and restore (base backup + WAL archive)")
    if not available():
        raise DrillError(f"PostgreSQL server binaries not found in {PG_BIN}")
    started = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    for sub in ("", "archive", "backups", "sockets"):
        (workdir / sub).mkdir(exist_ok=True)
        _chown(workdir / sub)
    archive = workdir / "archive"
    primary = Cluster(workdir / "primary", free_port(), workdir / "sockets", workdir / "primary.log")
    restored = Cluster(workdir / "restored", free_port(), workdir / "sockets", workdir / "restored.log")
    try:
        _run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(primary.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale",
                "C.UTF-8",
                "--no-sync",
            ]
        )
        with (primary.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# backup drill: the settings production needs for base backups and WAL archiving\n"
                "wal_level = replica\nmax_wal_senders = 4\narchive_mode = on\n"
                f"archive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f'\n"
                "# a throw-away cluster: no crash safety needed, and the machine is shared\n"
                "fsync = off\nsynchronous_commit = off\n"
            )
        primary.start()
        with sql_connect(primary.url()) as conn:
            conn.execute("CREATE DATABASE zhengxie")
        db = primary.url("zhengxie")
        if app_data:
            from zhengxie.reliability.harness import manage

            manage(server_env(DATABASE_URL=db), "migrate", "--no-input", "-v0")
            _app_rows(db, rows, fresh=True)
        else:
            _synthetic(db, 1, rows)
        t0 = time.monotonic()
        out = _make("backup", PG_URL=primary.url(), BACKUP_DIR=str(workdir / "backups"))
        backup = Path(out.strip().splitlines()[-1])
        backup_seconds = time.monotonic() - t0
        # Written after the base backup: these rows exist only in the WAL archive.
        if app_data:
            _app_rows(db, rows // 4, fresh=False)
        else:
            _synthetic(db, rows + 1, rows // 4)
        with sql_connect(db) as conn:
            conn.execute("CHECKPOINT")
            last = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()[0]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                archived = conn.execute("SELECT last_archived_wal FROM pg_stat_archiver").fetchone()[0]
                if archived is not None and archived >= last:
                    break
                time.sleep(0.2)
            else:
                raise DrillError(f"WAL segment {last} was not archived")
        expected = table_checksums(db)
        primary.stop()

        t0 = time.monotonic()
        restore_vars = {"BACKUP": str(backup), "RESTORE_DATA_DIR": str(restored.data)}
        if use_archive:
            restore_vars["WAL_ARCHIVE"] = str(archive)
        _make("restore", **restore_vars)
        restored.start()
        with sql_connect(restored.url()) as conn:
            deadline = time.monotonic() + 120
            while conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                if time.monotonic() > deadline:
                    raise DrillError("the restored cluster did not finish recovery")
                time.sleep(0.2)
        restore_seconds = time.monotonic() - t0
        got = table_checksums(restored.url("zhengxie"))
        restored.stop()
    finally:
        for cluster in (restored, primary):
            try:
                cluster.stop()
            except DrillError:
                pass
    for table in sorted(set(expected) | set(got)):
        if expected.get(table) != got.get(table):
            report.violations.append(f"{table}: {expected.get(table)} before, {got.get(table)} restored")
    after_backup = rows // 4
    report.figures = {
        "tables compared": len(expected),
        "rows compared": sum(n for n, _ in expected.values()),
        "tables identical (count and md5)": sum(1 for t in expected if expected[t] == got.get(t)),
        "records written after the base backup (WAL replay only)": after_backup,
        "archived WAL segments": len(list(archive.iterdir())),
        "backup size MB": round(sum(f.stat().st_size for f in backup.rglob("*") if f.is_file()) / 1e6, 1),
        "make backup s": round(backup_seconds, 1),
        "make restore + replay s": round(restore_seconds, 1),
        "seconds": round(time.monotonic() - started, 1),
    }
    return report
