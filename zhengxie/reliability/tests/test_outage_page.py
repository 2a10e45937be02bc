"""The 503 of DatabaseUnavailableMiddleware, from a real gunicorn server whose database cannot be opened.

The server runs on SQLite with its file in a directory that does not exist, so every query raises a real
OperationalError (no mock), whichever backend the suite itself uses. Recovery after a PostgreSQL restart
is the outage drill's business (test_drills.py)."""

from __future__ import annotations

import pytest

from zhengxie.reliability.harness import Gunicorn, Http, server_env
from zhengxie.reliability.middleware import MESSAGE, RETRY_AFTER_SECONDS

TRACE_MARKERS = ("Traceback", 'File "', "OperationalError", "sqlite3", "Exception Value", "django/")


@pytest.fixture(scope="module")
def dead_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("outage")
    env = server_env(DATABASE_URL="", SQLITE_PATH=str(tmp / "missing" / "zhengxie.sqlite3"))
    server = Gunicorn(env, tmp / "gunicorn.log", workers=1)
    server.start()
    yield server
    server.stop()


def assert_clean_503(reply, *, json_body: bool) -> None:
    assert reply.status == 503, reply.text[:500]
    assert reply.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert reply.headers["cache-control"] == "no-store"
    for marker in TRACE_MARKERS:
        assert marker not in reply.text
    if json_body:
        assert reply.json() == {"detail": MESSAGE}
    else:
        assert reply.headers["content-type"].startswith("text/html")
        assert "服务暂时不可用" in reply.text and MESSAGE in reply.text


def test_page_whose_session_lookup_fails_gets_503(dead_server):
    # The session is read by a middleware, before any view: the error arrives as a 500 response.
    client = Http(dead_server.base)
    client.cookies["sessionid"] = "x" * 32
    assert_clean_503(client.get("/proposals/"), json_body=False)


def test_login_post_gets_503(dead_server):
    client = Http(dead_server.base)
    client.get("/accounts/login/")
    reply = client.post_form("/accounts/login/", {"username": "member1", "password": "Zx-test-2026"})
    assert_clean_503(reply, json_body=False)


def test_api_gets_json_503(dead_server):
    # The bearer token is checked inside the view: the error reaches process_exception.
    client = Http(dead_server.base, token="zx_" + "a" * 43)
    assert_clean_503(client.get("/api/v1/proposals"), json_body=True)
    assert_clean_503(client.post_json("/api/v1/proposals", {"session_id": 1, "title": "t"}), json_body=True)


def test_server_log_names_the_outage_without_leaking_it_to_clients(dead_server):
    Http(dead_server.base, token="zx_" + "b" * 43).get("/api/v1/proposals")
    assert "Database unavailable (OperationalError: unable to open database file): answered 503 to GET" in (
        dead_server.log.read_text()
    )
