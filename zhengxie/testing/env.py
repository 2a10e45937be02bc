"""Loaded with `-p` before pytest-django reads the settings: puts Django in test mode."""

import os

os.environ.setdefault("TESTING", "true")
os.environ.setdefault("TASK_BACKEND", "immediate")
os.environ.setdefault("HTTPS", "false")


def pytest_configure(config):  # type: ignore[no-untyped-def]
    # Transactional tests flush every table, the audit table included (see accounts/audit.py).
    from zhengxie.accounts import audit

    audit.PURGE_ALLOWED = True
