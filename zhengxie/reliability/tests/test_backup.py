"""Backup-and-restore drill: `make backup` / `make restore` on a private PostgreSQL cluster, every table
compared after the restore. Needs only the PostgreSQL binaries, so it runs with either test database."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from zhengxie.reliability import backup_drill

pytestmark = pytest.mark.skipif(
    not backup_drill.available(), reason=f"PostgreSQL server binaries not found in {backup_drill.PG_BIN}"
)


@pytest.fixture
def workdir():  # type: ignore[no-untyped-def]
    # Not pytest's tmp_path: run as root, the cluster runs as postgres, which cannot enter a 0700 parent.
    path = Path(tempfile.mkdtemp(prefix="zx-backup-drill-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_base_backup_plus_wal_archive_restores_every_row(workdir):
    report = backup_drill.run(workdir, rows=200)
    print(report.summary())
    assert report.violations == []
    assert report.figures["tables compared"] == report.figures["tables identical (count and md5)"] == 2
    assert report.figures["rows compared"] == (200 + 50) * 4  # proposals and three co-signers each


def test_without_the_wal_archive_the_rows_written_after_the_backup_are_missing(workdir):
    """The control case: the comparison does see a restore that lost data."""
    report = backup_drill.run(workdir, rows=200, use_archive=False)
    assert sorted(v.split(":")[0] for v in report.violations) == ["drill_cosigner", "drill_proposal"]
    assert "(250, " in report.violations[1] and "(200, " in report.violations[1]


@pytest.mark.drill
def test_full_drill_backup_restore_with_the_platform_schema_and_records(workdir):
    report = backup_drill.run(workdir, app_data=True, rows=120)
    print(report.summary())
    assert report.violations == []
    assert report.figures["tables compared"] > 40
    assert report.figures["tables compared"] == report.figures["tables identical (count and md5)"]
