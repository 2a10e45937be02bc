"""Members at a plenary session (大会期间), for `bench/plenary_load.py` (make bench-load).

Each simulated member logs in with a password (members have no second factor) and then, between pauses of
PLENARY_WAIT seconds (default 5-15), does one action at a time:

- 70% reading: the home page, the proposal list, one proposal from it, the notices, the duty file;
- 20% drafting: opens the drafting form on the web (what a phone user does), types for PLENARY_TYPING
  seconds (default 10-30), and saves the draft (POST with the page's CSRF token, sometimes inviting
  co-signers); the draft's id is taken from the redirect the server answers with;
- 10% submitting: opens one of their drafts and presses 提交提案, which carries the page's client_token; a
  broken or 5xx answer is retried once with the same token, as the form does on a phone that lost its
  connection. A submission counts as acknowledged when the page after the redirect says 提案已提交.

Request names start with "read:", "write:" or "login:", which is how the driver groups them. Every request
is also kept as a sample (time, name, milliseconds, ok), written with the acknowledged ids to PLENARY_OUT
when locust quits, so the driver computes exact percentiles per phase and per step.

PLENARY_PLAN (e.g. "500:850,700:120,550:120") is the number of members over time (see Plan).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
import uuid

from locust import FastHttpUser, LoadTestShape, between, events, task

ACCOUNTS = json.loads(open(os.environ["PLENARY_ACCOUNTS"], encoding="utf-8").read())
OUT = os.environ.get("PLENARY_OUT", "")
WAIT = tuple(float(x) for x in os.environ.get("PLENARY_WAIT", "5,15").split(","))
TYPING = tuple(float(x) for x in os.environ.get("PLENARY_TYPING", "10,30").split(","))
SPAWN_RATE = float(os.environ.get("PLENARY_SPAWN_RATE", "4"))

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TOKEN_RE = re.compile(r'name="client_token" value="([0-9a-f]+)"')
DETAIL_RE = re.compile(r'href="/proposals/(\d+)/"')
DETAIL_PATH_RE = re.compile(r"/proposals/(\d+)/$")
COSIGNER_RE = re.compile(r'<select name="cosigners".*?</select>', re.S)
OPTION_RE = re.compile(r'<option value="(\d+)"')

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
)
PARAGRAPH = (
    "近年来，我市在该领域做了大量工作，取得了一定成效，但仍存在统筹不够、投入不足、机制不顺等问题。"
    "经过调研走访，群众反映较为集中的是服务覆盖面不广、资源分布不均、部门协同不畅。"
)

SAMPLES: list[tuple[float, str, float, bool]] = []
ACK: dict[str, list[int]] = {"drafts": [], "submitted": []}
ACTIONS = {"read": 0, "draft": 0, "submit": 0}
_accounts = itertools.count()


@events.request.add_listener
def _sample(request_type, name, response_time, response_length, exception=None, **kwargs):  # type: ignore[no-untyped-def]
    SAMPLES.append((time.time(), name, float(response_time), exception is None))


@events.quitting.add_listener
def _dump(environment, **kwargs):  # type: ignore[no-untyped-def]
    if OUT:
        with open(OUT, "w", encoding="utf-8") as f:
            json.dump({"samples": SAMPLES, "ack": ACK, "actions": ACTIONS}, f)


class Member(FastHttpUser):
    wait_time = between(*WAIT)
    # A member's phone gives up on a page after 30 s; gunicorn's own timeout is longer.
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        names = ACCOUNTS["usernames"]
        self.username = names[next(_accounts) % len(names)]
        self.drafts: list[int] = []
        self.seen: list[int] = []
        self.cosigner_ids: list[str] = []
        self.logged_in = False
        self.login()

    def login(self) -> None:
        """A member whose login timed out tries again after the pause, as a person would."""
        page = self._get("/accounts/login/", "login: form", marker="csrfmiddlewaretoken")
        if page is None:
            return
        with self.client.post(
            "/accounts/login/",
            data={
                "username": self.username,
                "password": ACCOUNTS["password"],
                "csrfmiddlewaretoken": _csrf(page),
            },
            name="login: post",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            if r.status_code == 302 and r.headers.get("Location", "").rstrip("/") in ("", "/"):
                r.success()
                self.logged_in = True
            else:
                r.failure(f"login answered {r.status_code}")

    # ------------------------------------------------------------ helpers

    def _get(self, path: str, name: str, *, marker: str) -> str | None:
        """GET a page; it fails unless it is a 200 that contains marker (a login page in place of the
        wanted page is a failure too)."""
        with self.client.get(path, name=name, catch_response=True) as r:
            text = r.text or ""
            if r.status_code != 200:
                r.failure(f"{r.status_code}")
                return None
            if marker not in text:
                r.failure(f"page without {marker!r}")
                return None
            r.success()
            return text

    # ------------------------------------------------------------ 70%: reading

    @task(7)
    def read(self) -> None:
        if not self.logged_in:
            self.login()
            return
        ACTIONS["read"] += 1
        roll = random.random()
        if roll < 0.3:
            query = random.choice(("", "", "", "?state=closed", "?year=2025", "?category=society"))
            page = self._get(f"/proposals/{query}", "read: proposal list", marker="proposal-list")
            if page:
                self.seen = [int(x) for x in DETAIL_RE.findall(page)] or self.seen
        elif roll < 0.6:
            pool = self.seen + self.drafts
            if not pool:
                page = self._get("/proposals/", "read: proposal list", marker="proposal-list")
                self.seen = [int(x) for x in DETAIL_RE.findall(page or "")]
                pool = self.seen
            if pool:
                self._get(
                    f"/proposals/{random.choice(pool)}/", "read: proposal detail", marker="state state-"
                )
        elif roll < 0.75:
            self._get("/", "read: home", marker="我的委员档案")
        elif roll < 0.9:
            self._get("/notices/", "read: notices", marker="我的通知")
        else:
            self._get("/duties/", "read: duty file", marker="我的履职档案")

    # ------------------------------------------------------------ 20%: drafting

    @task(2)
    def draft(self) -> None:
        if not self.logged_in:
            self.login()
            return
        ACTIONS["draft"] += 1
        form = self._get("/proposals/new/", "read: draft form", marker="保存草稿")
        if form is None:
            return
        if not self.cosigner_ids:
            block = COSIGNER_RE.search(form)
            self.cosigner_ids = OPTION_RE.findall(block.group(0)) if block else []
        time.sleep(random.uniform(*TYPING))  # typing on a phone
        topic = random.choice(TOPICS)
        fields: list[tuple[str, str]] = [
            ("csrfmiddlewaretoken", _csrf(form)),
            ("title", f"关于{topic}的建议（{uuid.uuid4().hex[:8]}）"),
            ("background", PARAGRAPH * random.randint(2, 6)),
            ("suggestions", "一是加强统筹协调；二是加大投入力度；三是完善考核机制。" * random.randint(2, 5)),
            ("category", random.choice(("economy", "society", "culture", "ecology", "politics"))),
            ("kind", "individual"),
            ("proposer", ""),
        ]
        token = TOKEN_RE.search(form)  # the form's own token: a second save of it finds the first draft
        if token:
            fields.append(("client_token", token.group(1)))
        if self.cosigner_ids and random.random() < 0.3:
            fields += [("cosigners", c) for c in random.sample(self.cosigner_ids, 2)]
        with self.client.post(
            "/proposals/new/",
            data=_urlencode(fields),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            name="write: save draft",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            match = DETAIL_PATH_RE.search(r.headers.get("Location", "")) if r.status_code == 302 else None
            if match is None:
                r.failure(f"draft answered {r.status_code}")
                return
            r.success()
        proposal_id = int(match.group(1))
        ACK["drafts"].append(proposal_id)
        self.drafts.append(proposal_id)
        self._get(f"/proposals/{proposal_id}/", "read: proposal detail", marker="草稿已保存")

    # ------------------------------------------------------------ 10%: submitting

    @task(1)
    def submit(self) -> None:
        if not self.logged_in:
            self.login()
            return
        if not self.drafts:
            # Nothing to submit yet: the member starts writing one instead.
            self.draft()
            return
        ACTIONS["submit"] += 1
        proposal_id = self.drafts.pop(0)
        page = self._get(f"/proposals/{proposal_id}/", "read: proposal detail", marker="提交提案")
        if page is None:
            return
        token = TOKEN_RE.search(page)
        if token is None:
            return
        fields = {"csrfmiddlewaretoken": _csrf(page), "client_token": token.group(1)}
        for attempt in (1, 2):
            with self.client.post(
                f"/proposals/{proposal_id}/act/submit/",
                data=_urlencode(list(fields.items())),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                name="write: submit",
                allow_redirects=False,
                catch_response=True,
            ) as r:
                if r.status_code == 302:
                    r.success()
                    break
                r.failure(f"submit answered {r.status_code} (attempt {attempt})")
                if attempt == 2 or (r.status_code and r.status_code < 500):
                    return
        shown = self._get(f"/proposals/{proposal_id}/", "read: proposal detail", marker="state state-")
        if shown is not None and "提案已提交" in shown:
            ACK["submitted"].append(proposal_id)
        elif shown is not None:
            events.request.fire(
                request_type="CHECK",
                name="write: submit",
                response_time=0,
                response_length=0,
                exception=RuntimeError("submit redirect without 提案已提交"),
                context={},
            )


def _csrf(page: str) -> str:
    match = CSRF_RE.search(page)
    return match.group(1) if match else ""


def _urlencode(pairs: list[tuple[str, str]]) -> str:
    from urllib.parse import urlencode

    return urlencode(pairs)


if os.environ.get("PLENARY_PLAN"):

    class Plan(LoadTestShape):
        """PLENARY_PLAN = "users:seconds,users:seconds,...": hold each number of members for its seconds;
        members are added at the spawn rate (each logs in) and taken away at once."""

        plan = [tuple(float(x) for x in part.split(":")) for part in os.environ["PLENARY_PLAN"].split(",")]

        def tick(self):  # type: ignore[no-untyped-def]
            elapsed = self.get_run_time()
            for users, seconds in self.plan:
                if elapsed < seconds:
                    # Locust removes users at the rate it adds them: at the spawn rate, stepping down from
                    # 700 to 450 would take two minutes, longer than a step. Members leave at once.
                    rate = SPAWN_RATE if users >= self.runner.user_count else 1000
                    return int(users), rate
                elapsed -= seconds
            return None
