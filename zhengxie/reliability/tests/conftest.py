"""The drills start servers and workers against scratch PostgreSQL databases. The short versions run with
the PostgreSQL suite; the full ones (100 web kills, 20 task kills, ...) take minutes and run with
RUN_DRILLS=1 (`make drill`)."""

from __future__ import annotations

import os

import pytest

from zhengxie.reliability.harness import ScratchDatabases, postgres_server_url

FULL = os.environ.get("RUN_DRILLS", "") not in ("", "0", "false")


def pytest_configure(config):  # type: ignore[no-untyped-def]
    config.addinivalue_line("markers", "drill: a full reliability drill (minutes); runs with RUN_DRILLS=1")
    config.addinivalue_line("markers", "drill_short: the short run of a drill, replaced by the full one")


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    if FULL:
        replaced = pytest.mark.skip(reason="RUN_DRILLS=1: the full drill runs instead")
        for item in items:
            if "drill_short" in item.keywords:
                item.add_marker(replaced)
        return
    skip = pytest.mark.skip(reason="full drill takes minutes: run `make drill` (RUN_DRILLS=1, PostgreSQL)")
    for item in items:
        if "drill" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def scratch_dbs():  # type: ignore[no-untyped-def]
    url = postgres_server_url()
    if url is None:
        pytest.skip("the drills need a PostgreSQL server: run with DATABASE_URL=postgres://…")
    dbs = ScratchDatabases(url)
    yield dbs
    dbs.close()
