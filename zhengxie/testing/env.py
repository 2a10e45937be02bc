"""Loaded with `-p` before pytest-django reads the settings: puts Django in test mode."""

import os
import tempfile

os.environ.setdefault("TESTING", "true")
os.environ.setdefault("TASK_BACKEND", "immediate")
os.environ.setdefault("HTTPS", "false")
# Files the platform writes beside the database (uploads, hot topics, routing models, the duplicate index)
# go to a directory of this test process: never into the developer's var/, where a model trained on the
# demo database would answer for a test committee with the same id.
_scratch = tempfile.mkdtemp(prefix="zx-test-")
os.environ.setdefault("MEDIA_ROOT", os.path.join(_scratch, "media"))
os.environ.setdefault("ROUTING_DIR", os.path.join(_scratch, "routing"))
os.environ.setdefault("TEXTINDEX_DEDUP_DIR", os.path.join(_scratch, "textindex"))


def pytest_configure(config):  # type: ignore[no-untyped-def]
    # Transactional tests flush every table, the audit table included (see accounts/audit.py).
    from zhengxie.accounts import audit

    audit.PURGE_ALLOWED = True


def pytest_unconfigure(config):  # type: ignore[no-untyped-def]
    import shutil

    shutil.rmtree(_scratch, ignore_errors=True)
