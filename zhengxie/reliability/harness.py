"""Real processes for the reliability drills: a scratch PostgreSQL database, a gunicorn server, a task
worker, a TCP proxy that can cut the database off, an SMTP sink, and a small HTTP client.

Nothing here imports Django models: the drills run against other processes and read the scratch
database with plain SQL, so the process that drives them (pytest or scripts/reliability_drills.py)
may itself be configured for any database.
"""

# Drill processes are started from fixed argument lists (no shell), by operators and tests only.
# ruff: noqa: S603

from __future__ import annotations

import contextlib
import http.client
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


class DrillError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_server_url() -> str | None:
    """The PostgreSQL server of DATABASE_URL (or RELIABILITY_PG_URL), without a database name."""
    raw = os.environ.get("RELIABILITY_PG_URL") or os.environ.get("DATABASE_URL", "")
    if not raw.startswith(("postgres://", "postgresql://")):
        return None
    parts = urlsplit(raw)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def with_database(server_url: str, name: str, *, host: str | None = None, port: int | None = None) -> str:
    parts = urlsplit(server_url)
    netloc = parts.netloc
    if host is not None or port is not None:
        userinfo = netloc.rsplit("@", 1)[0] + "@" if "@" in netloc else ""
        netloc = f"{userinfo}{host or parts.hostname}:{port or parts.port or 5432}"
    return urlunsplit((parts.scheme, netloc, "/" + name, "", ""))


def sql_connect(url: str, **kwargs: Any) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=True, connect_timeout=5, **kwargs)


def server_env(**extra: str) -> dict[str, str]:
    """Environment of a production-like process: DEBUG off, database task backend.

    TESTING=true only picks the plain static-files storage (no collectstatic needed) and the fast test
    password hasher; requests, transactions and error handling are those of production."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        TESTING="true",
        HTTPS="false",
        SECRET_KEY="drill-" + "s" * 60,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        TASK_BACKEND="database",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise DrillError(f"manage.py {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def run_module(env: dict[str, str], module: str, *args: str, timeout: float = 300) -> Any:
    """Run `python -m module args` in the given environment; its last stdout line is JSON."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise DrillError(f"{module} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- scratch databases


class ScratchDatabases:
    """Migrated scratch databases on a PostgreSQL server: one template is migrated once, each drill gets
    a copy (CREATE DATABASE ... TEMPLATE takes a second, a migration twenty). All are dropped at close."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.prefix = f"zx_drill_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.template: str | None = None
        self.made: list[str] = []

    def _admin(self) -> Any:
        return sql_connect(with_database(self.server_url, "postgres"))

    def new(self) -> str:
        """A fresh migrated database; returns its URL."""
        if self.template is None:
            name = f"{self.prefix}_tpl"
            with self._admin() as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            self.made.append(name)
            manage(
                server_env(DATABASE_URL=with_database(self.server_url, name)), "migrate", "--no-input", "-v0"
            )
            self.template = name
        name = f"{self.prefix}_{len(self.made)}"
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.made.append(name)
        return with_database(self.server_url, name)

    def close(self) -> None:
        with self._admin() as conn:
            for name in reversed(self.made):
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
                )
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        self.made.clear()
        self.template = None


# ---------------------------------------------------------------- processes


def _kill_group(proc: subprocess.Popen[Any], timeout: float = 10) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout)


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


class Gunicorn:
    """`gunicorn config.wsgi` as `make serve-prod` runs it. With preload (gunicorn_drill.py) the app is
    imported and warmed once in the master, so a worker killed with SIGKILL is replaced in milliseconds
    instead of a full Django start; the request handling inside a worker is the same."""

    def __init__(self, env: dict[str, str], log: Path, *, workers: int = 2, preload: bool = True) -> None:
        self.env = env
        self.log = log
        self.workers = workers
        self.preload = preload
        self.port = free_port()
        self.proc: subprocess.Popen[Any] | None = None

    @property
    def base(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, ready_path: str = "/accounts/login/", timeout: float = 60) -> None:
        args = [
            str(BIN / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            self.base,
            "--workers",
            str(self.workers),
        ]
        if self.preload:
            args += ["--config", "python:zhengxie.reliability.gunicorn_drill"]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            args, cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise DrillError(f"gunicorn exited: {self.log.read_text()[-3000:]}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                Http(self.base).get(ready_path, timeout=5)
                if len(self.worker_pids()) >= self.workers:
                    return
            time.sleep(0.2)
        raise DrillError("gunicorn did not answer in time")

    def worker_pids(self) -> list[int]:
        return children(self.proc.pid) if self.proc is not None else []

    def stop(self) -> None:
        if self.proc is not None:
            _kill_group(self.proc)


class Worker:
    """`manage.py run_worker` (database backend)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[Any] | None = None

    def start(self, *extra: str) -> subprocess.Popen[Any]:
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--interval", "0.2", *extra],
            cwd=REPO,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        out.close()
        return self.proc

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None:
            _kill_group(self.proc)


# ---------------------------------------------------------------- HTTP


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode())

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Http:
    """One connection per request (Connection: close), so a killed worker shows as a broken request and
    never poisons a kept-alive connection. Cookies are kept per instance."""

    def __init__(self, base: str, token: str = "") -> None:
        self.base = base
        self.token = token
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> Reply:
        host, port = self.base.split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        hdrs = {"Connection": "close", "Host": "127.0.0.1"}
        if self.token:
            hdrs["Authorization"] = f"Bearer {self.token}"
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        hdrs.update(headers or {})
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            for raw in resp.headers.get_all("Set-Cookie") or []:
                name, _, rest = raw.partition("=")
                value = rest.split(";", 1)[0]
                if value and "max-age=0" not in raw.lower():
                    self.cookies[name.strip()] = value
                else:
                    self.cookies.pop(name.strip(), None)
            return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        finally:
            conn.close()

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post_json(self, path: str, data: Any, **kw: Any) -> Reply:
        return self.request(
            "POST", path, json.dumps(data).encode(), {"Content-Type": "application/json"}, **kw
        )

    def post_form(self, path: str, fields: dict[str, Any], **kw: Any) -> Reply:
        pairs = []
        for k, v in fields.items():
            for item in v if isinstance(v, list) else [v]:
                pairs.append((k, str(item)))
        if "csrftoken" in self.cookies:
            pairs.append(("csrfmiddlewaretoken", self.cookies["csrftoken"]))
        return self.request(
            "POST",
            path,
            urlencode(pairs).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
            **kw,
        )

    def post_file(self, path: str, name: str, filename: str, content: bytes, **kw: Any) -> Reply:
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f"{self.cookies.get('csrftoken', '')}\r\n".encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + content
            + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
        return self.request(
            "POST", path, b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"}, **kw
        )


BROKEN = (OSError, http.client.HTTPException)


# ---------------------------------------------------------------- TCP proxy


class TcpProxy:
    """Stands between the server and PostgreSQL. stop() is what clients see of a database restart: every
    open connection is cut and new ones are refused until start()."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._running = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        listener.setblocking(False)
        self._listener = listener
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="tcp-proxy", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            for a, b in self._pairs:
                for s in (a, b):
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)
                    s.close()
            self._pairs.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _loop(self) -> None:
        sel = selectors.DefaultSelector()
        assert self._listener is not None
        sel.register(self._listener, selectors.EVENT_READ, None)
        peer: dict[socket.socket, socket.socket] = {}
        try:
            while self._running:
                for key, _ in sel.select(timeout=0.1):
                    sock: socket.socket = key.fileobj  # type: ignore[assignment]
                    if key.data is None:
                        try:
                            client, _ = sock.accept()
                            upstream = socket.create_connection(self.target, timeout=5)
                        except OSError:
                            continue
                        client.setblocking(True)
                        upstream.setblocking(True)
                        with self._lock:
                            self._pairs.append((client, upstream))
                        peer[client], peer[upstream] = upstream, client
                        sel.register(client, selectors.EVENT_READ, "c")
                        sel.register(upstream, selectors.EVENT_READ, "u")
                        continue
                    other = peer.get(sock)
                    try:
                        data = sock.recv(65536)
                        if data and other is not None:
                            other.sendall(data)
                    except OSError:
                        data = b""
                    if not data:
                        for s in (sock, other):
                            if s is None:
                                continue
                            with contextlib.suppress(KeyError, ValueError):
                                sel.unregister(s)
                            peer.pop(s, None)
                            with contextlib.suppress(OSError):
                                s.close()
        finally:
            for s in list(peer):
                with contextlib.suppress(KeyError, ValueError):
                    sel.unregister(s)
            sel.close()


# ---------------------------------------------------------------- SMTP sink


@dataclass
class SmtpSink:
    """A minimal SMTP server that records each message it accepts. `delay` holds every message for a
    moment before answering, so a worker killed at a random moment is often killed mid-send."""

    delay: float = 0.0
    port: int = field(default_factory=free_port)
    messages: list[bytes] = field(default_factory=list)

    def start(self) -> None:
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", self.port))
        self._sock.listen(16)
        self._running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self) -> None:
        self._running = False
        with contextlib.suppress(OSError):
            self._sock.close()

    def _accept(self) -> None:
        while self._running:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        f = conn.makefile("rb")
        try:
            conn.sendall(b"220 sink ESMTP\r\n")
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.strip().upper()
                if cmd.startswith((b"EHLO", b"HELO")):
                    conn.sendall(b"250 sink\r\n")
                elif cmd == b"DATA":
                    conn.sendall(b"354 go on\r\n")
                    body = []
                    while True:
                        part = f.readline()
                        if not part or part in (b".\r\n", b".\n"):
                            break
                        body.append(part)
                    if not part:
                        return  # the sender died mid-message: nothing was delivered
                    time.sleep(self.delay)
                    self.messages.append(b"".join(body))
                    conn.sendall(b"250 queued\r\n")
                elif cmd == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 ok\r\n")
        except OSError:
            return
        finally:
            conn.close()


@contextlib.contextmanager
def scratch_databases() -> Iterator[ScratchDatabases]:
    url = postgres_server_url()
    if url is None:
        raise DrillError("the drills need PostgreSQL: set DATABASE_URL or RELIABILITY_PG_URL to a server")
    dbs = ScratchDatabases(url)
    try:
        yield dbs
    finally:
        dbs.close()
