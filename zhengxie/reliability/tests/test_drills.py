"""Issue 8, "nothing lost": the drills of zhengxie/reliability/drills.py against real gunicorn, task worker
and PostgreSQL processes. Short runs here; the full counts under `make drill`."""

from __future__ import annotations

import pytest

from zhengxie.reliability import drills


def _passed(report: drills.Report) -> None:
    print(report.summary())
    assert report.violations == []


def _web_kill(scratch_dbs, tmp_path, kills: int) -> None:  # type: ignore[no-untyped-def]
    report = drills.web_kill(scratch_dbs, tmp_path, kills=kills)
    _passed(report)
    assert report.figures["kills (SIGKILL)"] == kills
    assert report.figures["requests cut by a kill"] >= kills // 2  # the kills landed mid-request
    assert report.figures["acknowledged submissions"] > 0


def _task_kill(scratch_dbs, tmp_path, kills: int, notices: int) -> None:  # type: ignore[no-untyped-def]
    report = drills.task_kill(scratch_dbs, tmp_path, kills=kills, notices=notices)
    _passed(report)
    assert report.figures["kills (SIGKILL)"] == kills
    assert report.figures["kills while a task was RUNNING"] >= 1
    assert report.figures["task states at the end"] == {"SUCCESSFUL": notices}
    assert report.figures["e-mailed twice"] == 0


def _db_outage(scratch_dbs, tmp_path, down: float) -> None:  # type: ignore[no-untyped-def]
    report = drills.db_outage(scratch_dbs, tmp_path, down_seconds=down)
    _passed(report)
    assert set(report.figures["answers while down"]) == {503}
    assert report.figures["first normal answer after the database came back, s"] <= 30
    assert report.figures["acknowledged submissions"] == report.figures["acknowledged submissions found"] > 0


@pytest.mark.drill_short
def test_web_workers_killed_mid_submission_leave_no_partial_record(scratch_dbs, tmp_path):
    _web_kill(scratch_dbs, tmp_path, kills=10)


@pytest.mark.drill_short
def test_task_worker_killed_mid_task_every_task_ends_no_mail_twice(scratch_dbs, tmp_path):
    _task_kill(scratch_dbs, tmp_path, kills=3, notices=40)


@pytest.mark.drill_short
def test_database_restart_answers_503_and_recovers(scratch_dbs, tmp_path):
    _db_outage(scratch_dbs, tmp_path, down=4.0)


@pytest.mark.drill
def test_full_drill_web_workers_killed_100_times(scratch_dbs, tmp_path):
    _web_kill(scratch_dbs, tmp_path, kills=100)


@pytest.mark.drill
def test_full_drill_task_worker_killed_20_times(scratch_dbs, tmp_path):
    _task_kill(scratch_dbs, tmp_path, kills=20, notices=150)


@pytest.mark.drill
def test_full_drill_database_down_for_15_seconds(scratch_dbs, tmp_path):
    _db_outage(scratch_dbs, tmp_path, down=15.0)
