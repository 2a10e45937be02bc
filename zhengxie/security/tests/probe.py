"""Instruments for the access tests: which tables a request wrote, the text of any response (zipped Word and
Excel included), and logged-in clients for the scenario's people."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.test import Client

# Writes a refused request may legitimately leave: its session (saved on every request), the audit trail
# (the denial is audited) and the lockout bookkeeping.
BOOKKEEPING_TABLES = ("django_session", "accounts_audit", "axes_")
WRITE_RE = re.compile(
    r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+"?(\w+)"?', re.IGNORECASE
)


class WriteLog:
    """An execute wrapper recording every table written, both on SQLite and PostgreSQL, whatever wrote it
    (ORM save, queryset update, raw SQL)."""

    def __init__(self) -> None:
        self.tables: list[str] = []

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        match = WRITE_RE.match(sql)
        if match is not None and not match.group(1).startswith(BOOKKEEPING_TABLES):
            self.tables.append(match.group(1))
        return execute(sql, params, many, context)


@contextmanager
def recording_writes() -> Iterator[WriteLog]:
    log = WriteLog()
    with connection.execute_wrapper(log):
        yield log


def response_text(response: Any) -> str:
    """Everything a reader of the response gets: the body, and for a zip container (docx, xlsx) the text
    of every part. JSON is searched as sent, so tags are ASCII."""
    if getattr(response, "streaming", False):
        # Read to the end, the test client closes the response itself (closing it here would also close the
        # database connection, and with it the test's transaction, on PostgreSQL).
        data = b"".join(response.streaming_content)
    else:
        data = response.content
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return data.decode("utf-8", "replace")


def login_backend() -> str | None:
    """The backend a session opened after the second factor carries, where the platform has one: the
    matrix tests what each role may do once properly logged in."""
    try:
        from zhengxie.accounts.twofactor.services import VERIFIED_BACKEND
    except ImportError:  # pragma: no cover - before the second factor existed
        return None
    return VERIFIED_BACKEND


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        backend = login_backend()
        if backend is None:
            client.force_login(user)
        else:
            client.force_login(user, backend=backend)
    return client


def is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")
