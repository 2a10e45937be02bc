"""Tests on the access matrix's population (one build per module):

- the matrix (issue 8): every route and API operation, tried by every kind of person against their own,
  co-signed, someone else's and another committee's records. A failing case is a leak: the message lists
  each breach (who, what, status);
- downloads check permission again at every request: a link replayed without a session, or with the session
  of someone who has since logged out, gets the login page; a session whose rights were taken away gets 404.
  Files are never cached for someone else (private, no-store) nor sniffed into pages;
- mass assignment: each API write, sent with fields nobody may set through it, changes exactly what it
  changes without them (fields.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from zhengxie.accounts.models import AuditLog, RoleGrant
from zhengxie.consultations import services as consultations
from zhengxie.consultations.models import Form
from zhengxie.duties import scoring
from zhengxie.duties import services as duties
from zhengxie.duties.models import DutyKind
from zhengxie.grassroots import services as concerns
from zhengxie.opinions import services as opinions
from zhengxie.org.models import Session
from zhengxie.proposals import services as proposals
from zhengxie.security.tests import fields
from zhengxie.security.tests.matrix import CASES, DOWNLOADS, Case
from zhengxie.security.tests.probe import client_for, is_login_redirect, response_text
from zhengxie.security.tests.runner import Matrix, check, url_of
from zhengxie.security.tests.scenario import USERS
from zhengxie.testing.factories import MemberFactory


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_route(case: Case, matrix: Matrix, db) -> None:  # type: ignore[no-untyped-def]
    cache.clear()  # the public pages' rate limits count in the cache
    problems = check(matrix, case)
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------ downloads

# Staff roles: taking their grants away must close every download they had.
PREFERRED = ("office", "leader", "province_office", "unit", "member")


def downloads() -> Iterator[tuple[Case, str]]:
    """Each download of the matrix, with a person allowed to fetch it (staff first)."""
    for case in CASES:
        if case.route in DOWNLOADS and case.method == "GET" and case.allow:
            yield case, next(u for u in (*PREFERRED, *USERS) if u in case.allow)


DOWNLOAD_CASES = list(downloads())


def test_every_download_route_is_tried() -> None:
    assert {c.route for c, _ in DOWNLOAD_CASES} == DOWNLOADS


@pytest.mark.parametrize(("case", "who"), DOWNLOAD_CASES, ids=[f"{c.id} as {w}" for c, w in DOWNLOAD_CASES])
def test_download_is_checked_at_every_request(case: Case, who: str, matrix: Matrix, db) -> None:  # type: ignore[no-untyped-def]
    user = matrix.s.users[who]
    url = url_of(case, matrix.s)
    client = client_for(user)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"

    # The link without any session.
    assert is_login_redirect(Client().get(url))

    # The cookie of a session that logged out.
    cookie = client.cookies["sessionid"].value
    client.post("/accounts/logout/")
    replay = Client()
    replay.cookies["sessionid"] = cookie
    assert is_login_redirect(replay.get(url))

    # A live session whose rights were taken away (the member's own records stay theirs by authorship).
    if who != "member":
        live = client_for(user)
        assert live.get(url).status_code == 200
        RoleGrant.objects.filter(user=user).delete()
        assert live.get(url).status_code == 404


# ------------------------------------------------------------------------------ mass assignment

WRITES = [(c, sorted(c.verifiers())[0]) for c in CASES if c.api and c.method != "GET" and c.verifiers()]


def test_every_api_write_is_tried_with_extra_fields() -> None:
    operations = {c.route for c in CASES if c.api and c.method != "GET"}
    assert {c.route for c, _ in WRITES} == operations


@pytest.mark.parametrize(("case", "who"), WRITES, ids=[f"{c.id} as {w}" for c, w in WRITES])
def test_fields_nobody_may_set_change_nothing(case: Case, who: str, matrix: Matrix, db) -> None:  # type: ignore[no-untyped-def]
    cache.clear()
    body = case.body(matrix.s, who)
    documented = fields.documented_fields(case)
    extra = {k: v for k, v in fields.hostile(matrix.s).items() if k not in documented}
    assert extra
    plain_status, plain = fields.outcome(matrix, case, who, body)
    loaded_status, loaded = fields.outcome(matrix, case, who, {**body, **extra})
    assert 200 <= plain_status < 300, (
        f"the documented request failed ({plain_status}): it would prove nothing"
    )
    assert loaded_status == plain_status
    assert loaded == plain


# ------------------------------------------------------------------------------ counts
# Tags show a foreign row listed; a foreign row counted shows only in a number. So every page that counts is
# read before and after another committee (beside and above) gains records of every kind: the city's
# figures must not move.


def _figures(text: str) -> str:
    """The answer without what differs between two reads of the same data (tokens, clock times)."""
    text = re.sub(r'(csrfmiddlewaretoken" value="|nonce=")[^"]*', r"\1", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:?\d\d)?", "<datetime>", text)
    return re.sub(r"\b\d{1,2}:\d\d(:\d\d)?\b", "<time>", text)


def _plant_elsewhere(s) -> None:  # type: ignore[no-untyped-def]
    """More of everything in 贺州 (beside the city) and 广东 (above it), through the services."""
    for key, member_key in (("sibling", "sib_member"), ("province", "prov_member")):
        committee, author = s.committees[key], s.r[member_key]
        office = s.users["sibling_office" if key == "sibling" else "province_office"]
        session = Session.objects.filter(committee=committee).first()
        p = proposals.proposal_draft_create(
            user=author.user,
            author=author,
            session=session,
            title="又一件",
            background="情况。",
            suggestions="建议。",
        )
        proposals.review_file(proposal=proposals.proposal_submit(proposal=p, user=author.user), user=office)
        report = opinions.report_create(
            user=author.user, committee=committee, title="又一条", situation="情况。", submit=True
        )
        opinions.report_forward(report=report, user=office, target="party_committee", receiver="办公室")
        MemberFactory(committee=committee, name="新委员")
        c = consultations.consultation_create(
            user=office,
            committee=committee,
            title="又一次协商",
            held_on=timezone.localdate(),
            form=Form.STANDING,
        )
        consultations.participant_add(consultation=c, user=office, member=author)
        consultations.outcome_add(
            consultation=consultations.consultation_hold(consultation=c, user=office),
            user=office,
            text="成果",
        )
    concerns.concern_raise(
        committee=s.committees["sibling"], station=s.r["sib_station"], title="又一件诉求", content="情况。"
    )
    duties.duty_add_by_staff(
        user=s.users["sibling_office"],
        member=s.r["sib_member"],
        kind=DutyKind.TRAINING,
        title="又一次培训",
        occurred_on=timezone.localdate(),
        detail={},
    )
    scoring.recompute(s.committees["sibling"].pk, timezone.localdate().year)


def test_counts_ignore_other_committees(matrix: Matrix, db) -> None:  # type: ignore[no-untyped-def]
    s = matrix.s
    city, year = s.committees["city"].pk, timezone.localdate().year
    reads = (
        [
            (who, url)
            for who in ("office", "member", "unit")
            for url in ("/", "/proposals/", "/opinions/", "/consultations/", "/concerns/", "/duties/")
        ]
        + [
            (who, url)
            for who in ("office", "province_office")
            for url in (
                f"/reports/?committee={city}&scope=all",
                f"/reports/?committee={city}&scope=own",
                f"/reports/dashboard.xlsx?committee={city}&scope=all",
                f"/reports/annual/report.json?committee={city}&year={year}&scope=all",
                f"/api/v1/reports/annual?committee={city}&year={year}&scope=all",
                f"/api/v1/org/committees/{city}/stats",
            )
        ]
        + [
            ("office", f"/duties/office/?committee={city}"),
            ("office", f"/api/v1/duties/rankings?committee={city}"),
            ("office", f"/duties/office/evaluation.xlsx?committee={city}"),
            ("office", f"/proposals/ledger.xlsx?committee={city}"),
            ("office", f"/consultations/cases/export.docx?committee={city}"),
            ("member", f"/reports/annual/?committee={city}&year={year}&scope=own"),
        ]
    )

    def read() -> dict[tuple[str, str], str]:
        # A page someone may not open (404, or a redirect to their own page) must stay so.
        return {
            (who, url): f"{r.status_code} {_figures(response_text(r))}"
            for who, url in reads
            for r in [matrix.clients[who].get(url)]
        }

    before = read()
    assert sum(text.startswith("200") for text in before.values()) > 20
    # The auditor's home page counts the city's audit rows, which the reads above add to: instead, none of
    # another committee's work may land in the city's trail.
    trail = AuditLog.objects.filter(committee_id=city).count()
    _plant_elsewhere(s)
    assert AuditLog.objects.filter(committee_id=city).count() == trail
    after = read()
    moved = [f"{who} {url}" for (who, url), text in before.items() if after[(who, url)] != text]
    assert not moved, "figures moved when another committee gained records:\n" + "\n".join(moved)
