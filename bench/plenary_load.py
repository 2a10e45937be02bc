"""`make bench-load`: a plenary session (大会期间) on this machine, against the production setup.

1. A scratch PostgreSQL database (on the server of BENCH_PG_URL, else DATABASE_URL, else
   postgres://postgres@127.0.0.1:5432), migrated, with one committee of BENCH_LOAD_MEMBERS (500) member
   accounts and what they read: four earlier sessions of proposals with co-signers, transitions,
   assignments, replies and ratings, this session's first proposals, notices and duty records.
2. gunicorn as `make serve-prod` runs it (DEBUG off, argon2 passwords, collected static files, whitenoise)
   with BENCH_LOAD_WORKERS sync workers (default 2 x cores + 1) and the preloaded, warmed application of
   the reliability drills, plus the task worker.
3. locust, headless, in one run: BENCH_LOAD_USERS (500) members arrive at BENCH_LOAD_SPAWN_RATE (2) a
   second, each logging in, and stay BENCH_LOAD_SECONDS (600) after the last has arrived: 70% reading,
   20% drafting, 10% submitting, 5-15 s apart (bench/plenary_locustfile.py says what each does).
4. Then the step load, in the same run: BENCH_LOAD_STEPS members (default 700,450,250,100), each held
   BENCH_LOAD_STEP_SECONDS (120), to find where read p95 turns up. Going down, a step only takes members
   away, so its window holds no logins (argon2 is the most expensive request of all).
5. Counts rows: proposals created in each run must equal the drafts the server acknowledged, submitted
   ones the acknowledged submissions, with no partial record (number, transition, audit row, text).
6. Prints the table and writes bench/LOAD.md (BENCH_LOAD_REPORT=0 leaves it alone).

BENCH_LOAD_PHASES=main,steps picks the runs; BENCH_LOAD_KEEP=1 keeps the database and the samples in
var/bench-load/. Latencies are computed here from every request's sample (not locust's rounded
histogram), over the steady part of each run (after the last user logged in).
"""

from __future__ import annotations

import json
import math
import os
import platform
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from zhengxie.reliability.harness import (  # noqa: E402
    DrillError,
    Http,
    _kill_group,
    free_port,
    sql_connect,
    with_database,
)

BIN = Path(sys.executable).parent
VAR = REPO / "var" / "bench-load"
REPORT = REPO / "bench" / "LOAD.md"
NOTES = "## Notes"

TARGET_ERROR_RATE = 0.001
TARGET_READ_P95_MS = 300.0
TARGET_WRITE_P99_MS = 1000.0
# Read p95 this many times that of the lightest step counts as turning up.
KNEE_FACTOR = 2.0


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def env_list(name: str, default: str) -> list[int]:
    return [int(x) for x in (os.environ.get(name) or default).split(",") if x.strip()]


@dataclass
class Config:
    members: int = field(default_factory=lambda: env_int("BENCH_LOAD_MEMBERS", 500))
    users: int = field(default_factory=lambda: env_int("BENCH_LOAD_USERS", 500))
    seconds: int = field(default_factory=lambda: env_int("BENCH_LOAD_SECONDS", 600))
    spawn_rate: float = field(default_factory=lambda: float(os.environ.get("BENCH_LOAD_SPAWN_RATE") or 2))
    workers: int = field(default_factory=lambda: env_int("BENCH_LOAD_WORKERS", 2 * (os.cpu_count() or 1) + 1))
    steps: list[int] = field(default_factory=lambda: env_list("BENCH_LOAD_STEPS", "700,450,250,100"))
    step_seconds: int = field(default_factory=lambda: env_int("BENCH_LOAD_STEP_SECONDS", 120))
    wait: str = field(default_factory=lambda: os.environ.get("BENCH_LOAD_WAIT") or "5,15")
    typing: str = field(default_factory=lambda: os.environ.get("BENCH_LOAD_TYPING") or "10,30")
    phases: list[str] = field(
        default_factory=lambda: (os.environ.get("BENCH_LOAD_PHASES") or "main,steps").split(",")
    )
    keep: bool = field(default_factory=lambda: os.environ.get("BENCH_LOAD_KEEP") == "1")
    report: bool = field(default_factory=lambda: os.environ.get("BENCH_LOAD_REPORT", "1") != "0")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------- environment of the processes


def pg_server_url() -> str:
    raw = os.environ.get("BENCH_PG_URL") or os.environ.get("DATABASE_URL") or ""
    if not raw.startswith(("postgres://", "postgresql://")):
        raw = "postgres://postgres@127.0.0.1:5432/postgres"
    return with_database(raw, "").rstrip("/")


def production_env(database_url: str) -> dict[str, str]:
    """`make serve-prod`'s environment: DEBUG off, no TESTING (argon2 passwords, the manifest static
    storage), database task backend. HTTPS is off only because locust speaks plain HTTP to the loopback
    address, where production has the TLS proxy in front."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_", "BENCH_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        DEBUG="false",
        HTTPS="false",
        SECRET_KEY="bench-load-" + "k" * 60,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        TASK_BACKEND="database",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    for name in ("TESTING", "REDIS_URL"):
        env.pop(name, None)
    return env


def run(args: list[str], env: dict[str, str], timeout: float = 1800) -> str:
    done = subprocess.run(
        args, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise DrillError(f"{' '.join(args[:3])} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


# ---------------------------------------------------------------- seeding (runs in a child, with Django)

TOPICS = (
    "加快老旧小区改造",
    "推进县域医共体建设",
    "促进民营经济高质量发展",
    "加强农村饮用水安全保障",
    "完善养老服务体系",
    "优化营商环境",
    "推动职业教育产教融合",
    "加强生态环境保护",
    "提升城市交通治理水平",
    "发展智慧农业",
    "规范校外培训",
    "加强基层医疗人才队伍建设",
)
TEXT = (
    "近年来，我市在该领域做了大量工作，取得了一定成效，但仍存在统筹不够、投入不足、机制不顺等问题。"
    "经过调研走访，群众反映较为集中的是服务覆盖面不广、资源分布不均、部门协同不畅。"
)
PAST_STATES = [("closed", 80), ("replied", 6), ("assigned", 4), ("not_filed", 7), ("merged", 3)]


def seed(members: int, per_member: int, notices_per_member: int) -> dict[str, object]:
    import django

    django.setup()
    import generate
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from zhengxie.accounts.models import Role, RoleGrant, User
    from zhengxie.notices.models import Notification
    from zhengxie.org import services
    from zhengxie.org.models import Committee, HandlingUnit, Member, Session, Term
    from zhengxie.proposals.models import Assignment, CoSigner, Feedback, Proposal, Reply, Transition

    rng = random.Random(2026)
    today = timezone.localdate()
    password = "Dahui#" + "".join(rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(10))
    started = time.perf_counter()
    with transaction.atomic():
        committee = services.committee_create(
            name="大会市政协",
            region_name="大会市",
            level=Committee.Level.PREFECTURE,
            parent=None,
            division_code="990300",
        )
        generate.furnish(committee)
        term = Term.objects.get(committee=committee)
        sessions = {
            y: Session.objects.create(
                committee=committee,
                term=term,
                number=y - 2021,
                year=y,
                opens_on=today - timedelta(days=1) if y == today.year else date(y, 3, 1),
                closes_on=today + timedelta(days=4) if y == today.year else date(y, 3, 6),
                proposals_open=y == today.year,
            )
            for y in range(2022, today.year + 1)
        }
        current = sessions[today.year]
        generate.members([(committee, members)])
        people = list(Member.objects.filter(committee=committee).order_by("id"))
        # One argon2 hash for all (same password): 500 separate hashes would only slow the set-up.
        hashed = make_password(password)
        users = User.objects.bulk_create(
            [
                User(username=f"member{i:03d}", display_name=m.name, password=hashed)
                for i, m in enumerate(people)
            ]
        )
        for m, u in zip(people, users, strict=True):
            m.user = u
        Member.objects.bulk_update(people, ["user"])
        RoleGrant.objects.bulk_create(
            [RoleGrant(user=u, committee=committee, role=Role.MEMBER) for u in users]
        )
        office = User(username="office", display_name="大会市政协提案委")
        office.set_unusable_password()
        office.save()
        RoleGrant.objects.create(user=office, committee=committee, role=Role.OFFICE)
        units = list(HandlingUnit.objects.filter(committee=committee).order_by("id"))

        # Proposals of the earlier sessions (per_member each, across the years), and a first few hundred
        # of this session, as the office numbered them.
        rows: list[Proposal] = []
        numbers = {y: 0 for y in sessions}
        for m, u in zip(people, users, strict=True):
            plan = [rng.choice(list(sessions)[:-1]) for _ in range(per_member)]
            if rng.random() < 0.4:
                plan.append(today.year)
            for year in sorted(plan):
                numbers[year] += 1
                state = (
                    "submitted"
                    if year == today.year
                    else rng.choices([s for s, _ in PAST_STATES], [w for _, w in PAST_STATES])[0]
                )
                at = timezone.make_aware(datetime(year, 3, 2, 9, 0) + timedelta(minutes=numbers[year]))
                rows.append(
                    Proposal(
                        committee=committee,
                        session=sessions[year],
                        number=numbers[year],
                        title=f"关于{rng.choice(TOPICS)}的建议",
                        background=TEXT * rng.randint(2, 8),
                        suggestions="一是加强统筹协调；二是加大投入力度；三是完善考核机制。"
                        * rng.randint(2, 6),
                        category=rng.choice(("economy", "society", "culture", "ecology", "politics")),
                        author=m,
                        created_by=u,
                        state=state,
                        submitted_at=at,
                        reviewed_at=None if state == "submitted" else at + timedelta(days=10),
                        deadline=None if state in ("submitted", "not_filed", "merged") else date(year, 6, 30),
                    )
                )
        proposals = Proposal.objects.bulk_create(rows, batch_size=1000)
        by_user = {m.pk: u for m, u in zip(people, users, strict=True)}
        cosigners, transitions, assignments, replies, feedback = [], [], [], [], []
        for p in proposals:
            for other in rng.sample(people, rng.choice((0, 1, 2, 2, 3))):
                if other.pk != p.author_id:
                    cosigners.append(CoSigner(proposal=p, member=other, status=CoSigner.Status.CONFIRMED))
            moves = [("submit", "draft", "submitted", p.created_by)]
            if p.state in ("not_filed", "merged"):
                moves.append((p.state.replace("_filed", "_file"), "submitted", p.state, office))
            elif p.state != "submitted":
                moves += [("file", "submitted", "filed", office), ("assign", "filed", "assigned", office)]
                unit = rng.choice(units)
                done = p.state in ("replied", "closed")
                assignments.append(
                    Assignment(
                        proposal=p,
                        committee=committee,
                        unit=unit,
                        role=Assignment.Role.LEAD,
                        status=Assignment.Status.DONE if done else Assignment.Status.ACTIVE,
                        deadline=p.deadline,
                    )
                )
                if done:
                    moves.append(("reply", "assigned", "replied", None))
                    replies.append(
                        Reply(
                            proposal=p,
                            committee=committee,
                            unit=unit,
                            role=Assignment.Role.LEAD,
                            result=rng.choice("AAB"),
                            letter="经研究，现答复如下：" + TEXT * 3,
                            doc_number=f"{unit.name[:4]}函〔{p.session.year}〕{p.number}号",
                        )
                    )
                if p.state == "closed":
                    moves.append(("rate", "replied", "closed", p.created_by))
                    feedback.append(
                        Feedback(proposal=p, committee=committee, rating="satisfied", by=p.created_by)
                    )
            transitions += [
                Transition(proposal=p, action=a, from_state=f, to_state=t, actor=who)
                for a, f, t, who in moves
            ]
        CoSigner.objects.bulk_create(cosigners, batch_size=2000)
        Transition.objects.bulk_create(transitions, batch_size=2000)
        Assignment.objects.bulk_create(assignments, batch_size=2000)
        Reply.objects.bulk_create(replies, batch_size=1000)
        Feedback.objects.bulk_create(feedback, batch_size=2000)

        mine: dict[int, list[Proposal]] = {}
        for p in proposals:
            mine.setdefault(by_user[p.author_id].pk, []).append(p)
        notices = []
        for u in users:
            own = mine.get(u.pk) or []
            for k in range(notices_per_member):
                p = own[k % len(own)] if own else None
                notices.append(
                    Notification(
                        committee=committee,
                        user=u,
                        verb="replied" if k % 3 else "cosign_invited",
                        title=f"您的提案《{p.title if p else '大会通知'}》有新进展",
                        url=f"/proposals/{p.pk}/" if p else "",
                        proposal=p,
                        read_at=timezone.now() if rng.random() < 0.7 else None,
                        dedupe_key=f"seed:{u.pk}:{k}",
                    )
                )
        Notification.objects.bulk_create(notices, batch_size=2000)
    duty_rows, _ = generate.duty_records(committee, today.year, 12)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "committee_id": committee.pk,
        "session_id": current.pk,
        "password": password,
        "usernames": [u.username for u in users],
        "rows": {
            "members": len(people),
            "proposals": len(proposals),
            "cosigners": len(cosigners),
            "transitions": len(transitions),
            "assignments": len(assignments),
            "replies": len(replies),
            "notices": len(notices),
            "duty_records": duty_rows,
        },
        "seconds": round(time.perf_counter() - started, 1),
    }


# ---------------------------------------------------------------- processes


class Server:
    """gunicorn (as make serve-prod, with the drills' preloaded and warmed app) and the task worker."""

    def __init__(self, env: dict[str, str], workers: int) -> None:
        self.env = env
        self.workers = workers
        self.port = free_port()
        self.procs: list[subprocess.Popen[bytes]] = []

    @property
    def base(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        VAR.mkdir(parents=True, exist_ok=True)
        out = (VAR / "server.log").open("ab")
        gunicorn = [
            str(BIN / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            self.base,
            "--workers",
            str(self.workers),
            "--backlog",
            "2048",
            "--config",
            "python:zhengxie.reliability.gunicorn_drill",
        ]
        worker = [sys.executable, "manage.py", "run_worker"]
        for args in (gunicorn, worker):
            self.procs.append(
                subprocess.Popen(
                    args, cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
            )
        out.close()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.procs[0].poll() is not None:
                raise DrillError("gunicorn exited: " + (VAR / "server.log").read_text()[-3000:])
            try:
                if Http(self.base).get("/accounts/login/", timeout=5).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise DrillError("gunicorn did not answer in time")

    def stop(self) -> None:
        for proc in self.procs:
            _kill_group(proc)


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, *, with_children: bool = False) -> float:
    """User + system CPU of a process (and of its reaped children), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    used = int(fields[11]) + int(fields[12])
    if with_children:
        used += int(fields[13]) + int(fields[14])
    return used / TICKS


def server_cpu(server: Server, db_url: str) -> dict[str, float]:
    """CPU used so far by gunicorn (master, workers), the task worker and the scratch database's
    PostgreSQL backends: what the requests cost whatever else the machine is doing."""
    from zhengxie.reliability.harness import children

    master = server.procs[0].pid
    web = cpu_seconds(master, with_children=True) + sum(cpu_seconds(p) for p in children(master))
    worker = cpu_seconds(server.procs[1].pid, with_children=True)
    name = db_url.rsplit("/", 1)[1]
    with sql_connect(with_database(db_url.rsplit("/", 1)[0], "postgres")) as conn:
        pids = [
            r[0]
            for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]).fetchall()
        ]
    return {"web": web, "worker": worker, "db": sum(cpu_seconds(p) for p in pids)}


def run_locust(
    cfg: Config, server: Server, accounts: Path, name: str, plan: list[tuple[int, float]]
) -> dict[str, object]:
    out = VAR / f"{name}.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLENARY_")}
    env.update(
        PLENARY_ACCOUNTS=str(accounts),
        PLENARY_OUT=str(out),
        PLENARY_WAIT=cfg.wait,
        PLENARY_TYPING=cfg.typing,
        PLENARY_SPAWN_RATE=str(cfg.spawn_rate),
    )
    args = [
        str(BIN / "locust"),
        "-f",
        str(REPO / "bench" / "plenary_locustfile.py"),
        "--headless",
        "--host",
        f"http://{server.base}",
        "--only-summary",
        "--stop-timeout",
        "60",
        "--loglevel",
        "WARNING",
        "--csv",
        str(VAR / name),
    ]
    env["PLENARY_PLAN"] = ",".join(f"{u}:{sec:.0f}" for u, sec in plan)
    started = time.time()
    load_before = os.getloadavg()
    cpu_before = server_cpu(server, server.env["DATABASE_URL"])
    log(f"locust {name}: members over time {env['PLENARY_PLAN']}")
    with (VAR / f"{name}.log").open("wb") as f:
        done = subprocess.run(args, cwd=REPO, env=env, stdout=f, stderr=subprocess.STDOUT, check=False)
    # Locust exits 1 when any request failed; the failures are counted from the samples.
    if not out.exists():
        raise DrillError(
            f"locust wrote no samples (exit {done.returncode}): {(VAR / f'{name}.log').read_text()[-3000:]}"
        )
    data = json.loads(out.read_text())
    cpu_after = server_cpu(server, server.env["DATABASE_URL"])
    data.update(
        started=started,
        ended=time.time(),
        load_before=load_before,
        load_after=os.getloadavg(),
        cpu={k: cpu_after[k] - cpu_before[k] for k in cpu_after},
    )
    return data


# ---------------------------------------------------------------- figures


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0-100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Window:
    label: str
    users: int
    seconds: float
    requests: int
    failures: int
    reads: list[float]
    writes: list[float]
    rps: float
    by_name: dict[str, list[float]]

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


def window(samples: list[list[object]], start: float, end: float, label: str, users: int) -> Window:
    rows = [s for s in samples if start <= float(s[0]) < end]  # type: ignore[arg-type]
    by_name: dict[str, list[float]] = {}
    for _, name, ms, ok in rows:
        if ok:
            by_name.setdefault(str(name), []).append(float(ms))  # type: ignore[arg-type]
    return Window(
        label=label,
        users=users,
        seconds=end - start,
        requests=len(rows),
        failures=sum(1 for s in rows if not s[3]),
        reads=[float(s[2]) for s in rows if str(s[1]).startswith("read:") and s[3]],  # type: ignore[arg-type]
        writes=[float(s[2]) for s in rows if str(s[1]).startswith("write:") and s[3]],  # type: ignore[arg-type]
        rps=len(rows) / (end - start) if end > start else 0.0,
        by_name=by_name,
    )


def ramp_seconds(users: int, rate: float) -> float:
    return users / rate


# ---------------------------------------------------------------- checks in the database


def check_rows(
    db_url: str, session_id: int, since: float, until: float, ack: dict[str, list[int]]
) -> dict[str, object]:
    """What the database holds of the proposals created between since and until, against what the
    server acknowledged to the members."""
    with sql_connect(db_url) as conn:
        created = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT p.id, p.state, p.number, p.submitted_at, length(p.title), length(p.background),"
                " length(p.suggestions), p.client_token, p.author_id FROM proposals_proposal p"
                " WHERE p.session_id = %s AND p.created_at >= to_timestamp(%s) AND p.created_at < to_timestamp(%s)",
                [session_id, since, until + 120],
            ).fetchall()
        }
        ids = list(created)
        audit = {
            int(r[0])
            for r in conn.execute(
                "SELECT object_id FROM accounts_auditlog WHERE object_type = 'proposals.Proposal'"
                " AND action = 'create' AND object_id = ANY(%s)",
                [[str(i) for i in ids]],
            ).fetchall()
        }
        submit_rows = dict(
            conn.execute(
                "SELECT proposal_id, count(*) FROM proposals_transition WHERE action = 'submit'"
                " AND proposal_id = ANY(%s) GROUP BY proposal_id",
                [ids],
            ).fetchall()
        )
        numbers = [
            r[0]
            for r in conn.execute(
                "SELECT number FROM proposals_proposal WHERE session_id = %s AND number IS NOT NULL ORDER BY number",
                [session_id],
            ).fetchall()
        ]
    acked_drafts = set(ack["drafts"])
    acked_submits = set(ack["submitted"])
    submitted = {i for i, r in created.items() if r[0] != "draft"}
    partial = []
    for i, (state, number, submitted_at, lt, lb, ls, token, author) in created.items():
        problems = []
        if not (lt and lb and ls and author):
            problems.append("text or author missing")
        if i not in audit:
            problems.append("no audit row")
        if state != "draft" and (
            number is None or submitted_at is None or not token or submit_rows.get(i) != 1
        ):
            problems.append("submitted without number, time, token or exactly one submit transition")
        if state == "draft" and (number is not None or i in submit_rows):
            problems.append("draft with a number or a submit transition")
        if problems:
            partial.append((i, problems))
    return {
        "created_rows": len(created),
        "acked_drafts": len(acked_drafts),
        "lost_drafts": sorted(acked_drafts - set(created)),
        "unacked_drafts": sorted(set(created) - acked_drafts),
        "submitted_rows": len(submitted),
        "acked_submits": len(acked_submits),
        "lost_submits": sorted(acked_submits - submitted),
        "unacked_submits": sorted(submitted - acked_submits),
        "partial": partial,
        "numbers_contiguous": numbers == list(range(1, len(numbers) + 1)),
    }


# ---------------------------------------------------------------- report


def fmt_ms(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.0f} ms"


def machine() -> dict[str, str]:
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(args: list[str]) -> str:
        try:
            return (
                subprocess.run(args, capture_output=True, text=True, check=False)
                .stdout.strip()
                .splitlines()[0]
            )
        except (OSError, IndexError):
            return "?"

    import django

    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "ram": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": version([str(BIN / "gunicorn"), "--version"]),
        "locust": version([str(BIN / "locust"), "--version"]).split(" from ")[0],
        "postgresql": "",
    }


def _cpu_line(data: dict[str, object], requests: int) -> str:
    cpu = data["cpu"]
    seconds = float(data["ended"]) - float(data["started"])  # type: ignore[arg-type]
    total = sum(cpu.values())  # type: ignore[union-attr]
    per = total / requests * 1000 if requests else float("nan")
    return (
        f"Server CPU over the run ({seconds:.0f} s): gunicorn {cpu['web']:.0f} s, task worker {cpu['worker']:.0f} s,"  # type: ignore[index]
        f" PostgreSQL backends {cpu['db']:.0f} s (those alive at the end) = {per:.1f} ms of CPU a request;"  # type: ignore[index]
        f" the server alone used {total / seconds:.2f} of the {os.cpu_count()} cores, so an otherwise idle machine"
        f" serves at most about {os.cpu_count() * 1000 / per:.0f} requests/s of this mix."
        if requests
        else ""
    )


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def build_report(
    cfg: Config,
    info: dict[str, str],
    seeded: dict[str, object],
    main: tuple[Window, dict[str, object], dict[str, object], Window] | None,
    steps: list[Window],
    knee: str,
) -> str:
    lines = [
        "# 大会期间负载基准 (make bench-load)",
        "",
        f"Run on {time.strftime('%Y-%m-%d %H:%M %Z')} by `bench/plenary_load.py` (scenario in `bench/plenary_locustfile.py`).",
        "",
    ]
    if main is not None:
        win, rows, data, whole = main
        actions = data["actions"]  # type: ignore[index]
        total_actions = sum(actions.values()) or 1  # type: ignore[union-attr]
        lost = len(rows["lost_submits"]) + len(rows["lost_drafts"])  # type: ignore[arg-type]
        read_p95 = percentile(win.reads, 95)
        write_p99 = percentile(win.writes, 99)
        lines += [
            f"## {cfg.users} members, {cfg.seconds} s at full strength",
            "",
            f"Each member logs in (spawned {cfg.spawn_rate:g}/s), then does one action every {cfg.wait.replace(',', '-')} s:"
            f" reading {actions['read'] / total_actions:.0%}, drafting {actions['draft'] / total_actions:.0%},"  # type: ignore[index]
            f" submitting {actions['submit'] / total_actions:.0%} of {total_actions} actions"  # type: ignore[index]
            f" (drafting includes {cfg.typing.replace(',', '-')} s of typing between opening the form and saving).",
            "",
            "| target | measured | result |",
            "| --- | --- | --- |",
            f"| no lost submission (whole run, steps included) | submitted {rows['submitted_rows']} ="
            f" acknowledged {rows['acked_submits']}; acknowledged but missing: {lost}; partial records"
            f" {len(rows['partial'])}; proposal numbers 1..n without gap or repeat: {'yes' if rows['numbers_contiguous'] else 'NO'} |"  # type: ignore[arg-type]
            f" {verdict(lost == 0 and rows['submitted_rows'] == rows['acked_submits'] and not rows['partial'] and bool(rows['numbers_contiguous']))} |",
            f"| drafts: rows = acknowledged | {rows['created_rows']} created, {rows['acked_drafts']} acknowledged;"
            f" {len(rows['unacked_drafts'])} saved after the member's page had timed out |"  # type: ignore[arg-type]
            f" {verdict(rows['created_rows'] == rows['acked_drafts'])} |",
            f"| error rate < 0.1% (main phase, logins included) | {whole.failures} of {whole.requests} requests ="
            f" {whole.error_rate:.3%} | {verdict(whole.error_rate < TARGET_ERROR_RATE)} |",
            f"| read p95 < 300 ms | {fmt_ms(read_p95)} ({len(win.reads)} reads) | {verdict(read_p95 < TARGET_READ_P95_MS)} |",
            f"| write p99 < 1 s | {fmt_ms(write_p99)} ({len(win.writes)} writes) | {verdict(write_p99 < TARGET_WRITE_P99_MS)} |",
            "",
            f"Steady state: {win.seconds:.0f} s after the last login, {win.rps:.1f} requests/s;"
            f" load average {data['load_before'][0]:.2f} before, {data['load_after'][0]:.2f} after"  # type: ignore[index]
            f" (1/5/15 min after: {' / '.join(f'{x:.2f}' for x in data['load_after'])}).",  # type: ignore[union-attr]
            "",
            _cpu_line(data, len(data["samples"])) + " (whole run, steps included)",  # type: ignore[arg-type]
            "",
            "| request | count | p50 | p95 | p99 | max |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for name in sorted(whole.by_name):
            vals = win.by_name.get(name) or whole.by_name[name]
            lines.append(
                f"| {name}{'' if name in win.by_name else ' (ramp)'} | {len(vals)} | {fmt_ms(percentile(vals, 50))} |"
                f" {fmt_ms(percentile(vals, 95))} | {fmt_ms(percentile(vals, 99))} | {fmt_ms(max(vals))} |"
            )
        lines.append("")
    if steps:
        lines += [
            f"## Step load: where read latency turns up ({cfg.step_seconds} s a step)",
            "",
            "| members | requests/s | read p50 | read p95 | write p99 | errors |",
            "| ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for w in steps:
            lines.append(
                f"| {w.users} | {w.rps:.1f} | {fmt_ms(percentile(w.reads, 50))} | {fmt_ms(percentile(w.reads, 95))} |"
                f" {fmt_ms(percentile(w.writes, 99))} | {w.failures}/{w.requests} |"
            )
        lines += ["", f"Knee: {knee}", ""]
    rows_seeded = seeded["rows"]
    lines += [
        "## Set-up",
        "",
        f"- Data: one committee with {rows_seeded['members']} member accounts (passwords hashed with argon2), "  # type: ignore[index]
        + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in rows_seeded.items() if k != "members")  # type: ignore[union-attr]
        + "; this session open for proposals.",
        f"- Server: gunicorn {cfg.workers} sync workers (preloaded, warmed), DEBUG off, argon2, whitenoise with"
        " collected static files, PostgreSQL with persistent connections (CONN_MAX_AGE 60), the task worker"
        " running beside it; plain HTTP on 127.0.0.1 (the TLS proxy of production is left out).",
        "- Client: locust (FastHttpUser) on the same machine, so it takes CPU from the server; think time"
        f" {cfg.wait.replace(',', '-')} s between actions, a 30 s page timeout.",
        "",
        "## Machine",
        "",
        "| | |",
        "| --- | --- |",
    ]
    lines += [f"| {k} | {v} |" for k, v in info.items()]
    lines += [
        "",
        "## How to run",
        "",
        "```sh",
        "make bench-load                      # the full run: about 30 minutes",
        "BENCH_LOAD_USERS=50 BENCH_LOAD_SECONDS=60 BENCH_LOAD_STEPS=60,30 BENCH_LOAD_STEP_SECONDS=40 \\",
        "  BENCH_LOAD_REPORT=0 make bench-load   # a short try; figures in the output only",
        "```",
        "",
        "Knobs: BENCH_LOAD_MEMBERS, BENCH_LOAD_USERS, BENCH_LOAD_SECONDS, BENCH_LOAD_SPAWN_RATE, BENCH_LOAD_WORKERS,"
        " BENCH_LOAD_STEPS, BENCH_LOAD_STEP_SECONDS, BENCH_LOAD_WAIT, BENCH_LOAD_TYPING, BENCH_LOAD_PHASES,"
        " BENCH_LOAD_KEEP, BENCH_LOAD_REPORT; BENCH_PG_URL (or DATABASE_URL) names the PostgreSQL server. The"
        " database is a scratch one, dropped at the end.",
        "",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------- main


def measure(
    cfg: Config, server: Server, accounts: Path, db_url: str, seeded: dict[str, object]
) -> tuple[tuple[Window, dict[str, object], dict[str, object], Window] | None, list[Window], str]:
    """One locust run: the members arrive at the spawn rate and stay for BENCH_LOAD_SECONDS (main), then
    the steps. Steps above the main number add members (who log in); the others only take members away,
    so their windows hold no logins."""
    plan: list[tuple[int, float]] = []
    marks: list[tuple[str, int, float, float]] = []  # (label, users, window start, window end) in run time
    now, current = 0.0, 0
    if "main" in cfg.phases:
        ramp = ramp_seconds(cfg.users, cfg.spawn_rate)
        plan.append((cfg.users, ramp + cfg.seconds))
        marks.append(("main", cfg.users, ramp + 5, ramp + cfg.seconds))
        now, current = ramp + cfg.seconds, cfg.users
    if "steps" in cfg.phases:
        for users in cfg.steps:
            settle = ramp_seconds(max(users - current, 0), cfg.spawn_rate) + 10
            plan.append((users, cfg.step_seconds))
            marks.append(("step", users, now + settle, now + cfg.step_seconds))
            now, current = now + cfg.step_seconds, users
    data = run_locust(cfg, server, accounts, "run", plan)
    t0 = float(data["started"])  # type: ignore[arg-type]
    samples = data["samples"]
    rows = check_rows(db_url, seeded["session_id"], t0, data["ended"], data["ack"])  # type: ignore[arg-type]
    main_result = None
    steps: list[Window] = []
    for label, users, start, end in marks:
        w = window(samples, t0 + start, t0 + end, label, users)  # type: ignore[arg-type]
        if label == "main":
            # Errors count from the first login to the end of the main phase.
            whole = window(samples, t0, t0 + end, "whole", users)  # type: ignore[arg-type]
            main_result = (w, rows, data, whole)
        else:
            steps.append(w)
    knee = "not measured"
    if steps:
        ordered = sorted(steps, key=lambda w: w.users)
        base = percentile(ordered[0].reads, 95)
        turned = [w for w in ordered if percentile(w.reads, 95) >= KNEE_FACTOR * base]
        over = [w for w in ordered if percentile(w.reads, 95) >= TARGET_READ_P95_MS]
        knee = (
            f"read p95 reaches {KNEE_FACTOR:g} x that of {ordered[0].users} members ({fmt_ms(base)}) at"
            f" {turned[0].users} members"
            if turned
            else f"read p95 stays under {KNEE_FACTOR:g} x that of {ordered[0].users} members ({fmt_ms(base)})"
            f" up to {ordered[-1].users} members"
        )
        knee += (
            f"; it passes 300 ms at {over[0].users} members."
            if over
            else f"; under 300 ms up to {ordered[-1].users}."
        )
    return main_result, steps, knee


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "seed":
        result = seed(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
        print(json.dumps(result, ensure_ascii=False))
        return 0

    cfg = Config()
    VAR.mkdir(parents=True, exist_ok=True)
    server_url = pg_server_url()
    name = f"zx_load_{os.getpid()}"
    db_url = with_database(server_url, name)
    env = production_env(db_url)
    admin = with_database(server_url, "postgres")
    log(f"database {name}")
    with sql_connect(admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    server: Server | None = None
    main_result: tuple[Window, dict[str, object], dict[str, object], Window] | None = None
    step_windows: list[Window] = []
    knee = "not measured"
    try:
        with sql_connect(admin) as conn:
            pg_version = conn.execute("SHOW server_version").fetchone()[0]
        run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], env)
        run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], env)
        log("seeding")
        seeded = json.loads(
            run([sys.executable, str(Path(__file__)), "seed", str(cfg.members), "6", "20"], env)
            .strip()
            .splitlines()[-1]
        )
        log(f"seeded in {seeded['seconds']} s: {seeded['rows']}")
        accounts = VAR / "accounts.json"
        accounts.write_text(json.dumps({"usernames": seeded["usernames"], "password": seeded["password"]}))
        server = Server(env, cfg.workers)
        server.start()
        log(f"gunicorn on {server.base} with {cfg.workers} workers")

        main_result, step_windows, knee = measure(cfg, server, accounts, db_url, seeded)
    finally:
        if server is not None:
            server.stop()
        if not cfg.keep:
            with sql_connect(admin) as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
                )
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')

    info = machine()
    info["postgresql"] = pg_version
    info["load average at the end (1/5/15 min)"] = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    report = build_report(cfg, info, seeded, main_result, step_windows, knee)
    print(report)
    if main_result is not None:
        print(
            json.dumps(
                {k: v for k, v in main_result[1].items() if k != "partial"}
                | {"partial": main_result[1]["partial"][:10]},
                default=str,
            )[:3000]
        )
    if cfg.report:
        # The hand-written analysis under NOTES stays; the figures above it are replaced.
        old = REPORT.read_text(encoding="utf-8") if REPORT.exists() else ""
        if NOTES in old:
            report = report.rstrip("\n") + "\n\n" + old[old.index(NOTES) :]
        REPORT.write_text(report, encoding="utf-8")
        log(f"wrote {REPORT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
