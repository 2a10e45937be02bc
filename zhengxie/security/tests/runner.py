"""Runs one matrix case for each of its people and lists every breach (an empty list: the case holds)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, TestCase
from django.urls import reverse

from zhengxie.security.tests.matrix import BLANK_DOWNLOADS, DOWNLOADS, VISIBLE, Case
from zhengxie.security.tests.probe import is_login_redirect, recording_writes, response_text
from zhengxie.security.tests.scenario import (
    ALL_TAGS,
    CITY,
    CNTY,
    DRAFTM,
    DRAFTO,
    MINE,
    OTHER,
    PROV,
    SIB,
    Scenario,
)

API_PREFIX = "/api/v1"


@dataclass
class Matrix:
    s: Scenario
    clients: dict[str, Client]
    requests: int = 0


def url_of(case: Case, s: Scenario) -> str:
    args = {**(case.kwargs(s) if case.kwargs else {}), **case.extra}
    if case.api:
        path = case.route.split(" ", 1)[1].format(**args)
        url = API_PREFIX + path
    else:
        url = reverse(case.route, kwargs=args or None)
    if case.query is not None:
        url += "?" + urlencode(case.query(s))
    return url


def visible_tags(case: Case, user: str) -> set[str]:
    """The tags this person may meet in this route's answers."""
    if user == "anon":
        tags: set[str] = set()
    elif user == "sibling_office":
        tags = {SIB}
    elif user == "province_office":
        # Statistics of a committee cover the committees below it, with the records behind each figure.
        tags = {PROV} | ({CITY, CNTY, SIB, OTHER, MINE} if case.stats else set())
    else:
        tags = {CITY} | ({CNTY} if case.stats else set())
    if user == "member":
        tags |= {DRAFTM, DRAFTO, MINE}
    elif user == "other":
        tags |= {DRAFTO, OTHER}
    elif user in ("office", "leader") or (user == "admin" and case.stats):
        tags |= {OTHER, MINE}
    elif user == "unit":
        tags |= {MINE}  # the member's proposals it handles
    elif user == "auditor" and case.route == "accounts:audit":
        tags |= {DRAFTM, DRAFTO, OTHER, MINE}  # the trail names every record of the committee
    return tags


@contextmanager
def rolled_back(client: Client) -> Iterator[None]:
    """Whatever the request does is undone, the session cookie included (a password change or a login
    rotates it)."""
    saved = {key: morsel.value for key, morsel in client.cookies.items()}
    try:
        with transaction.atomic():
            yield
            transaction.set_rollback(True)
    finally:
        client.cookies = SimpleCookie()
        for key, value in saved.items():
            client.cookies[key] = value


def send(m: Matrix, case: Case, user: str) -> tuple[Any, list[str], str]:
    """The response, the tables written and the text of the answer."""
    client = m.clients[user]
    url = url_of(case, m.s)
    m.requests += 1
    # Work deferred to the commit (tasks, notifications) runs too, and is rolled back with the rest.
    with rolled_back(client), recording_writes() as writes, TestCase.captureOnCommitCallbacks(execute=True):
        if case.method == "GET":
            response = client.get(url)
        elif case.api:
            response = client.generic(
                case.method,
                url,
                json.dumps(case.body(m.s, user), default=str),
                content_type="application/json",
            )
        else:
            data: dict[str, Any] = case.body(m.s, user)
            if case.files is not None:
                data.update({k: SimpleUploadedFile(n, b) for k, (n, b) in case.files().items()})
            response = client.post(url, data)
        text = response_text(response)
    return response, writes.tables, text


def check(m: Matrix, case: Case) -> list[str]:
    problems: list[str] = []
    for user in case.users:
        try:
            problems += _check_one(m, case, user)
        except Exception as exc:  # a crash is a finding too, reported with the rest
            problems.append(f"{user}: raised {type(exc).__name__}: {exc}")
    return problems


def _check_one(m: Matrix, case: Case, user: str) -> list[str]:
    response, writes, text = send(m, case, user)
    status = response.status_code
    where = f"{user} {case.method} {url_of(case, m.s)} -> {status}"
    out: list[str] = []
    if status >= 500:
        out.append(f"{where}: server error")
    if 200 <= status < 300:
        attachment = response.get("Content-Disposition", "").startswith("attachment")
        if attachment and case.route not in DOWNLOADS | BLANK_DOWNLOADS:
            out.append(f"{where}: a download missing from matrix.DOWNLOADS (and its replay tests)")
        hidden = set(ALL_TAGS) - visible_tags(case, user) - case.shows.get(user, frozenset())
        leaked = sorted(t for t in hidden if t in text)
        if leaked:
            out.append(f"{where}: answer shows rows tagged {leaked}")
    allowed = user in case.allow and (user != "anon" or case.public)
    if allowed:
        if case.method == "GET" and not 200 <= status < 300:
            out.append(f"{where}: allowed, expected 2xx")
        elif case.ids:
            out += _check_rows(m, case, user, where, text)
        if case.method != "GET" and user in case.verifiers():
            if status not in (200, 201, 204, 302) or not writes:
                out.append(f"{where}: allowed write changed nothing (the case's data would prove nothing)")
        return out
    if 200 <= status < 300:
        out.append(f"{where}: not allowed, got 2xx")
    if writes:
        out.append(f"{where}: not allowed, wrote {sorted(set(writes))}")
    if user == "anon" and not case.public:
        if case.api and status != 401:
            out.append(f"{where}: anonymous API call, expected 401")
        if not case.api and not is_login_redirect(response):
            out.append(f"{where}: anonymous, expected the login page")
    elif case.see is not None and user not in case.see and status != 404:
        out.append(f"{where}: outside the user's reach, expected 404")
    return out


def _check_rows(m: Matrix, case: Case, user: str, where: str, text: str) -> list[str]:
    """A list answers exactly the rows the matrix grants this person: none more (a leak), none fewer (the
    table would be wrong, and its refusals worthless)."""
    body = json.loads(text)
    rows = body["items"] if isinstance(body, dict) else body
    got = {row["id"] for row in rows}
    table = VISIBLE[case.ids]
    expected = {m.s.pk(name) for name, viewers in table.items() if user in viewers}
    names = {m.s.pk(name): name for name in table}
    extra = sorted(names.get(i, f"#{i}") for i in got - expected)
    missing = sorted(names[i] for i in expected - got)
    out = []
    if extra:
        out.append(f"{where}: list shows rows not granted: {extra}")
    if missing:
        out.append(f"{where}: list lacks rows granted: {missing}")
    return out
