"""The "nothing lost" drills of issue 8, each against real processes on a scratch PostgreSQL database.

- web_kill: members submit proposals (web form with co-signers, an attachment, then the API submit with a
  client token) while gunicorn workers are killed with SIGKILL at random moments; afterwards no record is
  partial and every acknowledged submission is there.
- task_kill: a task worker sending notification e-mails is killed with SIGKILL mid-task again and again;
  the sweeper hands the stale tasks back, every task ends, and no notification is e-mailed twice.
- db_outage: the server's connection to PostgreSQL is cut (a TCP proxy stops, as in a restart) under load;
  every answer meanwhile is a clean 503, the platform recovers by itself, no acknowledged submission is lost.

Each returns a report whose `violations` list must be empty; `figures` are what the drill measured.
scripts/reliability_drills.py runs them from the command line, zhengxie/reliability/tests runs them in
the suite (PostgreSQL only).
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import signal
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zhengxie.reliability.harness import (
    BROKEN,
    Gunicorn,
    Http,
    ScratchDatabases,
    SmtpSink,
    TcpProxy,
    Worker,
    run_module,
    server_env,
    sql_connect,
    with_database,
)

COSIGNERS = 3
DETAIL = re.compile(r"/proposals/(\d+)/$")


@dataclass
class Report:
    name: str
    figures: dict[str, Any] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"== {self.name}"]
        lines += [f"  {k}: {v}" for k, v in self.figures.items()]
        lines += [f"  VIOLATION: {v}" for v in self.violations] or ["  violations: none"]
        return "\n".join(lines)


def _seed(db_url: str, members: int, email: bool = False) -> dict[str, Any]:
    args = ["--members", str(members)] + (["--email"] if email else [])
    return run_module(server_env(DATABASE_URL=db_url), "zhengxie.reliability.drill_seed", *args)


def _login(client: Http, username: str, password: str) -> None:
    client.get("/accounts/login/")
    reply = client.post_form("/accounts/login/", {"username": username, "password": password})
    if reply.status != 302:
        raise RuntimeError(f"login of {username} failed: {reply.status} {reply.text[:300]}")


# ---------------------------------------------------------------- submissions


class Submitter(threading.Thread):
    """One member's browser and API client: draft with co-signers (one web form), an attachment, then the
    submit with a client token, retried with the same token after a broken request until answered."""

    inflight = [0]  # requests under way, all clients: the killer strikes while one is
    inflight_lock = threading.Lock()

    def __init__(self, base: str, me: dict[str, Any], cosigners: list[int], seed: dict[str, Any]) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.me = me
        self.cosigners = cosigners
        self.seed = seed
        self.stop = threading.Event()
        self.outcomes: Counter[str] = Counter()
        self.acked: dict[int, int] = {}  # proposal id -> number the API answered
        self.attached: dict[int, str] = {}  # proposal id -> sha256 of the acknowledged attachment
        self.errors: list[str] = []
        self.cut_creates: list[str] = []  # titles whose create request was cut by a kill
        self.retried_submits = 0  # submissions answered only after a retry with the same token

    def run(self) -> None:
        web = Http(self.base)
        api = Http(self.base, token=self.me["token"])
        while not self.stop.is_set():
            try:
                _login(web, self.me["username"], self.seed["password"])
                break
            except BROKEN:
                time.sleep(0.1)
        while not self.stop.is_set():
            try:
                self.one(web, api)
            except Exception as exc:  # a drill client must report, not die
                self.errors.append(f"{type(exc).__name__}: {exc}")
                time.sleep(0.1)

    def _call(self, kind: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        with self.inflight_lock:
            self.inflight[0] += 1
        try:
            reply = fn(*args, **kwargs)
        except BROKEN:
            self.outcomes[f"{kind}: broken"] += 1
            return None
        finally:
            with self.inflight_lock:
                self.inflight[0] -= 1
        self.outcomes[f"{kind}: {reply.status}"] += 1
        return reply

    def one(self, web: Http, api: Http) -> None:
        title = f"演练提案{uuid.uuid4().hex[:12]}"
        reply = self._call(
            "create",
            web.post_form,
            "/proposals/new/",
            {
                "title": title,
                "background": "演练：案据。",
                "suggestions": "演练：建议。",
                "category": "economy",
                "kind": "individual",
                "cosigners": self.cosigners,
            },
        )
        if reply is None:
            self.cut_creates.append(title)
            return
        if reply.status != 302:
            return
        match = DETAIL.search(reply.headers.get("location", ""))
        if match is None:
            self.errors.append(f"create answered {reply.headers.get('location')}")
            return
        pid = int(match.group(1))
        content = f"{title}的附件：{uuid.uuid4().hex}".encode()
        reply = self._call(
            "attach", web.post_file, f"/proposals/{pid}/attachments/", "file", "说明.txt", content
        )
        if reply is None or reply.status != 302:
            return  # unknown outcome: this draft is left as it is, and checked like every other
        page = self._call("detail", web.get, f"/proposals/{pid}/")
        if page is None or "已上传附件" not in page.text:
            return
        self.attached[pid] = hashlib.sha256(content).hexdigest()
        token = uuid.uuid4().hex
        for attempt in range(50):
            reply = self._call(
                "submit", api.post_json, f"/api/v1/proposals/{pid}/submit", {"client_token": token}
            )
            if reply is None or reply.status >= 500:
                time.sleep(0.05)
                continue  # not answered: the same token again
            if reply.status == 200:
                self.acked[pid] = reply.json()["number"]
                self.retried_submits += attempt > 0
            else:
                self.errors.append(f"submit {pid}: {reply.status} {reply.text[:200]}")
            return


def check_submissions(
    db_url: str, media_root: Path, submitters: list[Submitter], *, cosigners: int | None
) -> tuple[dict[str, Any], list[str]]:
    """Invariants over every proposal in the drill database; returns figures and violations."""
    bad: list[str] = []
    with sql_connect(db_url) as conn:
        proposals = conn.execute(
            "SELECT id, state, number, session_id, submitted_at FROM proposals_proposal ORDER BY id"
        ).fetchall()
        titles = {r[0] for r in conn.execute("SELECT title FROM proposals_proposal").fetchall()}

        def ids(sql: str) -> set[int]:
            return {int(r[0]) for r in conn.execute(sql).fetchall()}

        audited_created = ids(
            "SELECT object_id FROM accounts_auditlog WHERE object_type = 'proposals.Proposal' AND action = 'create'"
        )
        audited_submit = ids(
            "SELECT object_id FROM accounts_auditlog WHERE object_type = 'proposals.Proposal' "
            "AND action = 'update' AND after->>'state' = 'submitted'"
        )
        cosigner_rows = conn.execute("SELECT id, proposal_id FROM proposals_cosigner").fetchall()
        audited_cosigners = ids(
            "SELECT object_id FROM accounts_auditlog WHERE object_type = 'proposals.CoSigner' AND action = 'create'"
        )
        attachments = conn.execute(
            "SELECT id, proposal_id, file, size, sha256 FROM proposals_attachment"
        ).fetchall()
        audited_attachments = ids(
            "SELECT object_id FROM accounts_auditlog WHERE object_type = 'proposals.Attachment' AND action = 'create'"
        )
        submits = Counter(
            int(r[0])
            for r in conn.execute("SELECT proposal_id FROM proposals_transition WHERE action = 'submit'")
        )
        credited = ids(
            "SELECT source_id FROM duties_dutyrecord WHERE kind = 'proposal' AND source_id IS NOT NULL"
        )
        noticed = ids("SELECT proposal_id FROM notices_notification WHERE verb = 'submitted'")
        invited = Counter(
            int(r[0])
            for r in conn.execute(
                "SELECT proposal_id FROM notices_notification WHERE verb = 'cosign_invited'"
            )
        )

    per_proposal = Counter(p for _, p in cosigner_rows)
    files_of = Counter(p for _, p, *_ in attachments)
    referenced = set()
    for att_id, pid, name, size, sha in attachments:
        path = media_root / name
        referenced.add(path.resolve())
        if not path.exists():
            bad.append(f"attachment {att_id} of proposal {pid}: file {name} missing")
            continue
        data = path.read_bytes()
        if len(data) != size or hashlib.sha256(data).hexdigest() != sha:
            bad.append(f"attachment {att_id}: file does not match its row")
        if att_id not in audited_attachments:
            bad.append(f"attachment {att_id}: no audit row")
    for cid, pid in cosigner_rows:
        if cid not in audited_cosigners:
            bad.append(f"co-signer {cid} of proposal {pid}: no audit row")

    numbers: dict[int, list[int]] = {}
    states = Counter()
    for pid, state, number, session_id, submitted_at in proposals:
        states[state] += 1
        if pid not in audited_created:
            bad.append(f"proposal {pid}: no audit row for its creation")
        if cosigners is not None and per_proposal[pid] != cosigners:
            bad.append(f"proposal {pid}: {per_proposal[pid]} co-signers instead of {cosigners}")
        if cosigners is not None and invited[pid] != cosigners:
            bad.append(f"proposal {pid}: {invited[pid]} invitation notices instead of {cosigners}")
        if files_of[pid] > 1:
            bad.append(f"proposal {pid}: {files_of[pid]} attachments, one was sent")
        if state == "draft":
            if number is not None or submits[pid]:
                bad.append(f"draft {pid} carries a number or a submit transition")
            continue
        numbers.setdefault(session_id, []).append(number)
        if number is None or submitted_at is None:
            bad.append(f"proposal {pid} ({state}) without number or submission time")
        if submits[pid] != 1:
            bad.append(f"proposal {pid}: {submits[pid]} submit transitions")
        if pid not in audited_submit:
            bad.append(f"proposal {pid}: no audit row for its submission")
        if pid not in credited:
            bad.append(f"proposal {pid}: submitted without the author's duty record")
        if pid not in noticed:
            bad.append(f"proposal {pid}: submitted without the office's notice")
        if files_of[pid] != 1:
            bad.append(
                f"proposal {pid}: submitted with {files_of[pid]} attachments (its upload was acknowledged)"
            )
    for session_id, nums in numbers.items():
        if sorted(nums) != list(range(1, len(nums) + 1)):
            bad.append(f"session {session_id}: numbers are not 1..{len(nums)} without gaps or repeats")

    by_id = {pid: (state, number) for pid, state, number, *_ in proposals}
    acked = 0
    for s in submitters:
        for pid, number in s.acked.items():
            acked += 1
            if by_id.get(pid) != ("submitted", number):
                bad.append(f"acknowledged submission {pid} (number {number}) is {by_id.get(pid)}")
        for pid, sha in s.attached.items():
            rows = [a for a in attachments if a[1] == pid]
            if not rows or rows[0][4] != sha:
                bad.append(f"acknowledged attachment of proposal {pid} is missing")

    stored = {p.resolve() for p in (media_root / "proposals").rglob("*") if p.is_file()}
    cut = [t for s in submitters for t in s.cut_creates]
    figures = {
        "creates cut by a kill": len(cut),
        "  of which committed whole before the kill": sum(1 for t in cut if t in titles),
        "  of which rolled back whole": sum(1 for t in cut if t not in titles),
        "submissions acknowledged only on a retry with the same token": sum(
            s.retried_submits for s in submitters
        ),
        "proposals": len(proposals),
        "by state": dict(states),
        "acknowledged submissions": acked,
        "attachments": len(attachments),
        "orphan files (written, transaction rolled back by the kill)": len(stored - referenced),
    }
    return figures, bad


# ---------------------------------------------------------------- drill 1: kill web workers


def web_kill(dbs: ScratchDatabases, workdir: Path, *, kills: int = 100, clients: int = 3) -> Report:
    report = Report("web worker SIGKILL during submissions")
    started = time.monotonic()
    db_url = dbs.new()
    seed = _seed(db_url, members=clients + COSIGNERS)
    media = workdir / "media"
    env = server_env(DATABASE_URL=db_url, MEDIA_ROOT=str(media))
    server = Gunicorn(env, workdir / "web-kill-gunicorn.log", workers=2)
    members = seed["members"]
    submitters = []
    for i in range(clients):
        others = [m["member_id"] for j, m in enumerate(members) if j != i][:COSIGNERS]
        submitters.append(Submitter(server.base, members[i], others, seed))
    rng = random.Random(os.environ.get("DRILL_SEED", "8"))
    done = 0
    respawn: list[float] = []
    try:
        server.start()
        setup_seconds = time.monotonic() - started
        for s in submitters:
            s.start()
        time.sleep(1.0)
        while done < kills:
            # Strike while a request is under way, at a random point of it.
            t0 = time.monotonic()
            while Submitter.inflight[0] == 0 and time.monotonic() - t0 < 5:
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.15))
            pids = server.worker_pids()
            if not pids:
                continue
            victim = rng.choice(pids)
            os.kill(victim, signal.SIGKILL)
            done += 1
            t0 = time.monotonic()
            while time.monotonic() - t0 < 30:
                pids = server.worker_pids()
                if victim not in pids and len(pids) >= server.workers:
                    break
                time.sleep(0.005)
            respawn.append(time.monotonic() - t0)
            time.sleep(rng.uniform(0.2, 0.9))  # let some submissions through between kills
        time.sleep(1.0)  # the last submissions finish
        try:
            alive = Http(server.base).get("/accounts/login/").status
        except BROKEN:
            alive = 0
    finally:
        for s in submitters:
            s.stop.set()
        for s in submitters:
            s.join(60)
        server.stop()
    outcomes: Counter[str] = Counter()
    for s in submitters:
        outcomes.update(s.outcomes)
        report.violations += [f"client error: {e}" for e in s.errors[:5]]
    figures, bad = check_submissions(db_url, media, submitters, cosigners=COSIGNERS)
    report.violations += bad
    if any(k.endswith((": 500", ": 502", ": 504")) for k in outcomes):
        report.violations.append("a server error was answered")
    if alive != 200:
        report.violations.append(f"the server did not answer after the drill ({alive})")
    broken = sum(v for k, v in outcomes.items() if k.endswith("broken"))
    report.figures = {
        "kills (SIGKILL)": done,
        "requests cut by a kill": broken,
        "worker respawn, max s": round(max(respawn, default=0), 3),
        **figures,
        "requests": dict(sorted(outcomes.items())),
        "seconds": round(time.monotonic() - started, 1),
        "of which setup (database copy, seed, server start)": round(setup_seconds, 1),
    }
    return report


# ---------------------------------------------------------------- drill 2: kill the task worker


def task_kill(dbs: ScratchDatabases, workdir: Path, *, kills: int = 20, notices: int = 150) -> Report:
    report = Report("task worker SIGKILL mid-task")
    started = time.monotonic()
    db_url = dbs.new()
    seed = _seed(db_url, members=3, email=True)
    sink = SmtpSink(delay=0.05)
    sink.start()
    env = server_env(
        DATABASE_URL=db_url,
        EMAIL_BACKEND="zhengxie.reliability.mail_sink.EmailBackend",
        DRILL_SMTP_PORT=str(sink.port),
        # One worker at a time in this drill: a task still RUNNING when a worker starts belongs to the
        # one just killed, so the sweeper may take it back at once (production: 30 minutes).
        TASK_STALE_MINUTES="0",
    )
    # The notifications (and their e-mail tasks, enqueued on commit) are written by the application.
    run_module(
        env,
        "zhengxie.reliability.drill_notices",
        "--committee",
        str(seed["committee_id"]),
        "--count",
        str(notices),
    )
    worker = Worker(env, workdir / "task-kill-worker.log")
    rng = random.Random(os.environ.get("DRILL_SEED", "20"))
    done = 0
    mid_task = 0
    try:
        with sql_connect(db_url) as conn:

            def status() -> Counter[str]:
                return Counter(
                    dict(
                        conn.execute(
                            "SELECT status, count(*) FROM django_tasks_database_dbtaskresult GROUP BY 1"
                        )
                    )
                )

            while done < kills:
                worker.start()
                # Kill once the worker is busy: a task RUNNING (claimed, maybe mid-send) or soon after.
                t0 = time.monotonic()
                while status()["RUNNING"] == 0 and time.monotonic() - t0 < 15:
                    time.sleep(0.005)
                time.sleep(rng.uniform(0, 0.08))
                if status()["RUNNING"]:
                    mid_task += 1
                worker.kill9()
                done += 1
            # Then a worker that is left alone finishes the queue (its start-up sweep takes back the
            # task the last kill left RUNNING).
            worker.start()
            t0 = time.monotonic()
            while time.monotonic() - t0 < 120:
                counts = status()
                if counts["READY"] == 0 and counts["RUNNING"] == 0:
                    break
                time.sleep(0.2)
            worker.stop()
            counts = status()
            rows = conn.execute(
                "SELECT n.id, n.sent_at IS NOT NULL FROM notices_notification n JOIN accounts_user u ON u.id = n.user_id "
                "WHERE u.email <> ''"
            ).fetchall()
            attempts = conn.execute(
                "SELECT max(jsonb_array_length(worker_ids)) FROM django_tasks_database_dbtaskresult"
            ).fetchone()[0]
    finally:
        worker.stop()
        sink.stop()
    sent = Counter()
    for message in sink.messages:
        found = re.search(rb"drill-notice-(\d+)", message)
        if found:
            sent[int(found.group(1))] += 1
    twice = {k: v for k, v in sent.items() if v > 1}
    if twice:
        report.violations.append(f"notifications e-mailed more than once: {twice}")
    unfinished = counts["READY"] + counts["RUNNING"]
    if unfinished:
        report.violations.append(f"{unfinished} task(s) never ended: {dict(counts)}")
    if counts.get("FAILED"):
        report.violations.append(f"{counts['FAILED']} task(s) failed")
    claimed = sum(1 for _, s in rows if s)
    if claimed != len(rows):
        report.violations.append(f"{len(rows) - claimed} notification(s) never handled")
    report.figures = {
        "kills (SIGKILL)": done,
        "kills while a task was RUNNING": mid_task,
        "tasks": sum(counts.values()),
        "task states at the end": dict(counts),
        "most workers one task went through": attempts,
        "notifications with e-mail": len(rows),
        "e-mails delivered": sum(sent.values()),
        "e-mails lost to a kill between claim and delivery": len(rows) - len(sent),
        "e-mailed twice": len(twice),
        "seconds": round(time.monotonic() - started, 1),
    }
    return report


# ---------------------------------------------------------------- drill 3: database restart under load


@dataclass
class Observed:
    at: float  # answered, seconds into the drill
    kind: str
    status: int  # 0 = broken connection
    ok_503: bool = True
    note: str = ""
    sent: float = 0.0  # sent, seconds into the drill


TRACE = ("Traceback", 'File "', "OperationalError", "InterfaceError", "psycopg", "Exception Value")


def _judge(kind: str, reply: Any, started: float, sent: float) -> Observed:
    if reply is None:
        return Observed(time.monotonic() - started, kind, 0, sent=sent - started)
    ob = Observed(time.monotonic() - started, kind, reply.status, sent=sent - started)
    if reply.status == 503:
        try:
            text = reply.json()["detail"] if kind != "page" else reply.text
        except (ValueError, KeyError, TypeError):
            text = "not the JSON answer: " + reply.text
        clean = not any(t in text for t in TRACE)
        ob.ok_503 = clean and reply.headers.get("retry-after", "").isdigit() and "请稍后再试" in text
        if not ob.ok_503:
            ob.note = text[:200]
    return ob


def db_outage(dbs: ScratchDatabases, workdir: Path, *, down_seconds: float = 8.0, clients: int = 3) -> Report:
    report = Report("database restart under load")
    started_all = time.monotonic()
    db_url = dbs.new()
    seed = _seed(db_url, members=clients)
    parts = db_url.split("@", 1)[1].split("/", 1)[0]
    host, _, port = parts.partition(":")
    proxy = TcpProxy((host, int(port or 5432)))
    proxy.start()
    proxied = with_database(
        db_url.rsplit("/", 1)[0], db_url.rsplit("/", 1)[1], host="127.0.0.1", port=proxy.port
    )
    env = server_env(DATABASE_URL=proxied, MEDIA_ROOT=str(workdir / "media-outage"))
    server = Gunicorn(env, workdir / "outage-gunicorn.log", workers=2)
    observed: list[Observed] = []
    acked: dict[int, int] = {}
    lock = threading.Lock()
    stop = threading.Event()
    t_start = time.monotonic()

    def client(me: dict[str, Any]) -> None:
        try:
            one_client(me)
        except Exception as exc:  # a drill client reports, it does not vanish
            with lock:
                observed.append(Observed(time.monotonic() - t_start, "client", -1, False, repr(exc)[:200]))

    def one_client(me: dict[str, Any]) -> None:
        api = Http(server.base, token=me["token"])
        page = Http(server.base)
        _login(page, me["username"], seed["password"])  # the member's browser: its session is in the database
        while not stop.is_set():
            sent = time.monotonic()
            try:
                reply = api.post_json(
                    "/api/v1/proposals",
                    {
                        "session_id": seed["session_id"],
                        "title": f"演练提案{uuid.uuid4().hex[:8]}",
                        "background": "演练。",
                        "suggestions": "演练。",
                    },
                    timeout=20,
                )
            except BROKEN:
                reply = None
            ob = _judge("create", reply, t_start, sent)
            with lock:
                observed.append(ob)
            if reply is not None and reply.status == 201:
                pid = reply.json()["id"]
                token = uuid.uuid4().hex
                for _ in range(200):  # until answered: same token each time
                    sent = time.monotonic()
                    try:
                        sub = api.post_json(
                            f"/api/v1/proposals/{pid}/submit", {"client_token": token}, timeout=20
                        )
                    except BROKEN:
                        sub = None
                    ob = _judge("submit", sub, t_start, sent)
                    with lock:
                        observed.append(ob)
                    if sub is not None and sub.status == 200:
                        with lock:
                            acked[pid] = sub.json()["number"]
                        break
                    if sub is not None and sub.status not in (503,):
                        break
                    time.sleep(0.2)
            sent = time.monotonic()
            try:
                got = page.get("/proposals/", timeout=20)
            except BROKEN:
                got = None
            if got is not None and got.status == 302:
                got.status = -302  # the member was logged out: not a normal answer
            with lock:
                observed.append(_judge("page", got, t_start, sent))
            time.sleep(0.05)

    threads = [threading.Thread(target=client, args=(m,), daemon=True) for m in seed["members"]]
    try:
        server.start()
        t_start = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(4.0)
        cut_at = time.monotonic() - t_start
        proxy.stop()  # the restart: connections cut, new ones refused
        time.sleep(down_seconds)
        proxy.start()
        back_at = time.monotonic() - t_start
        time.sleep(12.0)  # recovery is measured from here: the first normal answer, the last 503
    finally:
        stop.set()
        for t in threads:
            t.join(60)
        server.stop()
        proxy.stop()

    # Sent after the cut and answered before the database came back.
    during = [o for o in observed if cut_at < o.sent and o.at < back_at]
    after = [o for o in observed if o.at >= back_at]
    statuses_during = Counter(o.status for o in during)
    if not during:
        report.violations.append("no request was made while the database was down")
    if any(o.status not in (503,) for o in during):
        report.violations.append(f"answers while down other than 503: {dict(statuses_during)}")
    unclean = [o.note for o in observed if o.status == 503 and not o.ok_503]
    if unclean:
        report.violations.append(f"503 answers with a trace or without Retry-After: {unclean[:2]}")
    crashed = [o.note for o in observed if o.kind == "client"]
    if crashed:
        report.violations.append(f"drill client failed: {crashed[:2]}")
    if any(o.status >= 500 and o.status != 503 for o in observed):
        report.violations.append(f"server errors: {Counter(o.status for o in observed if o.status >= 500)}")
    recovered = [o.at for o in after if o.sent >= back_at and o.status in (200, 201)]
    recovery = (min(recovered) - back_at) if recovered else None
    last_503 = max((o.at for o in after if o.status == 503), default=back_at)
    if recovery is None or recovery > 30:
        report.violations.append(f"not recovered within 30 s (first success after {recovery})")
    if last_503 - back_at > 30:
        report.violations.append(
            f"still answering 503 {last_503 - back_at:.1f} s after the database came back"
        )

    with sql_connect(db_url) as conn:
        rows = dict(
            conn.execute("SELECT id, number FROM proposals_proposal WHERE state = 'submitted'").fetchall()
        )
    lost = {pid: n for pid, n in acked.items() if rows.get(pid) != n}
    if lost:
        report.violations.append(f"acknowledged submissions lost: {lost}")
    report.figures = {
        "down for s": round(back_at - cut_at, 1),
        "requests": len(observed),
        "answers while down": dict(statuses_during),
        "first normal answer after the database came back, s": round(recovery, 2)
        if recovery is not None
        else None,
        "last 503 after the database came back, s": round(last_503 - back_at, 2),
        "acknowledged submissions": len(acked),
        "acknowledged submissions found": len(acked) - len(lost),
        "all answers": dict(Counter(o.status for o in observed)),
        "seconds": round(time.monotonic() - started_all, 1),
    }
    return report
