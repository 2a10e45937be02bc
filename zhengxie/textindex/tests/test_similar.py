"""Similar proposals while drafting and at review, issue groups and hot topics, on small data through the pages."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from zhengxie.accounts.models import Role
from zhengxie.org.models import Session, Term
from zhengxie.proposals import services
from zhengxie.proposals.models import CoSigner, Proposal, State
from zhengxie.proposals.tests.conftest import pw  # noqa: F401
from zhengxie.reports.dashboard import dashboard
from zhengxie.testing.factories import MemberFactory, UserFactory, grant
from zhengxie.textindex import dedup, similar, topics
from zhengxie.textindex.models import Suggestion

pytestmark = pytest.mark.django_db

ELEVATOR = {
    "title": "关于加快老旧小区加装电梯的建议",
    "background": "全市老旧小区多，老年人上下楼困难，加装电梯审批环节多、资金筹措难。",
    "suggestions": "一是简化加装电梯审批；二是加大财政补贴；三是协调低层住户。",
}
HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(user)
    return c


def session_of(committee, year: int) -> Session:  # type: ignore[no-untyped-def]
    term = Term.objects.filter(committee=committee).first() or Term.objects.create(
        committee=committee, number=14, start_year=2023, end_year=2027
    )
    return Session.objects.create(committee=committee, term=term, number=year - 2022 + 10, year=year)


def proposal_by(member, session, **text) -> Proposal:  # type: ignore[no-untyped-def]
    data = {**ELEVATOR, **text}
    return services.proposal_draft_create(user=member.user, author=member, session=session, **data)


def reindex() -> None:
    """The duplicate index from the database as it stands (the test's rows are never committed)."""
    dedup.rebuild()


def panel(user, **fields):  # type: ignore[no-untyped-def]
    reindex()
    data = {**ELEVATOR, "category": "society", "kind": "individual", **fields}
    return client_for(user).post(reverse("textindex:similar_draft"), data, **HTMX)


@pytest.fixture
def other_user(world):  # type: ignore[no-untyped-def]
    user = UserFactory(username="member2")
    world.other_member.user = user
    world.other_member.save(update_fields=["user"])
    grant(user, world.city, Role.MEMBER)
    return user


@pytest.fixture
def closed_2023(pw):  # type: ignore[no-untyped-def]  # noqa: F811
    """The member's own 2023 proposal on lifts, answered B by 江门市教育局 and closed."""
    p = pw.bring_to(State.CLOSED)
    Proposal.objects.filter(pk=p.pk).update(session=session_of(pw.world.city, 2023))
    return Proposal.objects.get(pk=p.pk)


# --------------------------------------------------------------------------- drafting


def test_fate_says_year_lead_unit_and_result(closed_2023) -> None:  # type: ignore[no-untyped-def]
    p = Proposal.objects.select_related("session").get(pk=closed_2023.pk)
    assert similar.fate(p, ["江门市教育局"], "B") == "2023年提出，由江门市教育局主办，B类答复，已办结"
    p.state = State.SUBMITTED
    assert similar.fate(p, [], "") == "2023年提出，待审查"
    p.state = State.REPLIED
    assert similar.fate(p, ["江门市教育局"], "A") == "2023年提出，由江门市教育局主办，A类答复"


def test_draft_panel_shows_a_similar_proposal_with_its_fate_and_logs_it(world, closed_2023) -> None:  # type: ignore[no-untyped-def]
    response = panel(world.member_user)
    assert response.status_code == 200
    text = response.content.decode()
    assert "机器提示" in text
    assert closed_2023.title in text
    assert "2023年提出，由江门市教育局主办，B类答复，已办结" in text
    log = Suggestion.objects.get(kind=Suggestion.Kind.SIMILAR)
    assert (log.user, log.committee, log.outcome, log.proposal) == (
        world.member_user,
        world.city,
        Suggestion.Outcome.PENDING,
        None,
    )
    assert [row["value"] for row in log.suggested] == [closed_2023.pk]
    assert f'name="similar_log" value="{log.pk}"' in text

    # The next refresh of the same drafting session grows the same row rather than adding one.
    again = panel(world.member_user, similar_log=str(log.pk), title="老旧小区加装电梯怎么加快")
    assert again.status_code == 200
    assert Suggestion.objects.filter(kind=Suggestion.Kind.SIMILAR).count() == 1


def test_draft_panel_is_quiet_on_short_text_and_for_non_members(world, closed_2023) -> None:  # type: ignore[no-untyped-def]
    response = panel(world.member_user, title="电梯", background="", suggestions="")
    assert response.status_code == 200
    assert closed_2023.title not in response.content.decode()
    assert panel(world.office).status_code == 404
    assert Suggestion.objects.count() == 0


def test_foreign_committee_proposal_is_never_shown(world, pw) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    sibling_user = UserFactory(username="hezhou1")
    world.sibling_member.user = sibling_user
    world.sibling_member.save(update_fields=["user"])
    foreign = proposal_by(world.sibling_member, session_of(world.sibling, 2025))
    services.proposal_submit(proposal=foreign, user=sibling_user)
    # Someone else's proposal in the member's own committee is not theirs to read either.
    other_user = UserFactory(username="member2")
    world.other_member.user = other_user
    world.other_member.save(update_fields=["user"])
    services.proposal_submit(proposal=proposal_by(world.other_member, pw.session), user=other_user)

    text = panel(world.member_user).content.decode()
    assert ELEVATOR["title"] not in text
    assert not Suggestion.objects.exists()


def test_parent_and_child_committees_shown_when_readable(world, pw) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    user = world.member_user
    # The member also sits in the county committee and leads in the province: both are theirs to read.
    county_self = MemberFactory(committee=world.county, user=user, name="张三")
    county = proposal_by(
        county_self, session_of(world.county, 2025), title="关于江海区老旧小区加装电梯的建议"
    )
    services.proposal_submit(proposal=county, user=user)
    grant(user, world.province, Role.LEADER)
    province_user = UserFactory(username="gd1")
    province_member = MemberFactory(committee=world.province, user=province_user, name="赵六")
    province = proposal_by(
        province_member, session_of(world.province, 2025), title="关于全省推进老旧小区加装电梯的提案"
    )
    services.proposal_submit(proposal=province, user=province_user)
    # A county proposal of someone else stays unseen.
    stranger = MemberFactory(committee=world.county, user=UserFactory(username="jh2"), name="钱七")
    hidden = proposal_by(stranger, session_of(world.county, 2024), title="关于江海区加装电梯补贴的建议")
    services.proposal_submit(proposal=hidden, user=stranger.user)

    text = panel(user).content.decode()
    assert county.title in text and "江海区政协" in text
    assert province.title in text and "广东省政协" in text
    assert hidden.title not in text
    shown = {row["value"] for row in Suggestion.objects.get().suggested}
    assert shown == {county.pk, province.pk}


def test_cosigning_from_a_suggestion_confirms_the_invitation_and_logs_it(world, pw, other_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    theirs = proposal_by(world.other_member, pw.session)
    services.cosigner_invite(proposal=theirs, user=other_user, members=[world.member])
    theirs = services.proposal_submit(proposal=theirs, user=other_user)

    text = panel(world.member_user).content.decode()
    cosign_url = reverse("textindex:similar_cosign", args=[theirs.pk])
    assert cosign_url in text
    log = Suggestion.objects.get()

    response = client_for(world.member_user).post(cosign_url, {"similar_log": log.pk, **ELEVATOR})
    assert response.status_code == 302
    assert response["Location"] == reverse("proposals:detail", args=[theirs.pk])
    row = CoSigner.objects.get(proposal=theirs, member=world.member)
    assert row.status == CoSigner.Status.CONFIRMED
    log.refresh_from_db()
    assert (log.outcome, log.chosen) == (
        Suggestion.Outcome.ACCEPTED,
        {"action": "cosign", "proposal": theirs.pk},
    )
    assert Proposal.objects.filter(author=world.member).count() == 0  # no draft of their own was made


def test_cosigning_without_an_invitation_changes_nothing(world, pw, other_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    mine = services.proposal_submit(proposal=proposal_by(world.member, pw.session), user=world.member_user)
    response = client_for(world.member_user).post(reverse("textindex:similar_cosign", args=[mine.pk]))
    assert response.status_code == 302
    assert not CoSigner.objects.exists()
    # Someone else's proposal the member cannot read answers 404.
    theirs = services.proposal_submit(proposal=proposal_by(world.other_member, pw.session), user=other_user)
    response = client_for(world.member_user).post(reverse("textindex:similar_cosign", args=[theirs.pk]))
    assert response.status_code == 404


def test_saving_the_draft_logs_that_the_member_went_on(world, closed_2023) -> None:  # type: ignore[no-untyped-def]
    panel(world.member_user)
    log = Suggestion.objects.get()
    data = {**ELEVATOR, "category": "society", "kind": "individual", "similar_log": log.pk}
    response = client_for(world.member_user).post(reverse("proposals:create"), data)
    assert response.status_code == 302
    draft = Proposal.objects.get(state=State.DRAFT, author=world.member)
    log.refresh_from_db()
    assert (log.outcome, log.chosen, log.proposal) == (
        Suggestion.Outcome.OVERRIDDEN,
        {"action": "draft", "proposal": draft.pk},
        draft,
    )


# --------------------------------------------------------------------------- review


@pytest.fixture
def twins(world, pw):  # type: ignore[no-untyped-def]  # noqa: F811
    """An earlier submitted proposal and a later one on the same problem."""
    first = services.proposal_submit(proposal=pw.draft(), user=world.member_user)
    second = services.proposal_submit(
        proposal=pw.draft(title="关于老旧小区加装电梯的建议", background="老年人上下楼难，加装电梯审批慢。"),
        user=world.member_user,
    )
    return first, second


def test_office_sees_candidate_duplicates_and_merges_after_confirming(world, twins) -> None:  # type: ignore[no-untyped-def]
    first, second = twins
    reindex()
    office = client_for(world.office)
    response = office.get(reverse("textindex:similar_duplicates", args=[second.pk]), **HTMX)
    assert response.status_code == 200
    merge_url = reverse("textindex:similar_merge", args=[second.pk, first.pk])
    assert merge_url in response.content.decode()
    log = Suggestion.objects.get(kind=Suggestion.Kind.DUPLICATE)
    assert (log.proposal, log.outcome) == (second, Suggestion.Outcome.PENDING)
    assert first.pk in [row["value"] for row in log.suggested]

    # The confirmation page changes nothing; the POST merges.
    assert office.get(merge_url).status_code == 200
    assert Proposal.objects.get(pk=second.pk).state == State.SUBMITTED
    assert office.post(merge_url).status_code == 302
    second.refresh_from_db()
    assert (second.state, second.merged_into_id) == (State.MERGED, first.pk)
    log.refresh_from_db()
    assert log.outcome == Suggestion.Outcome.ACCEPTED
    assert log.chosen == {"action": "merge", "into": first.pk, "by": world.office.pk}


def test_a_member_cannot_see_candidates_nor_merge(world, twins) -> None:  # type: ignore[no-untyped-def]
    first, second = twins
    reindex()
    member = client_for(world.member_user)
    assert member.get(reverse("textindex:similar_duplicates", args=[second.pk])).status_code == 404
    assert member.post(reverse("textindex:similar_merge", args=[second.pk, first.pk])).status_code == 404
    assert (
        client_for(world.leader)
        .post(reverse("textindex:similar_merge", args=[second.pk, first.pk]))
        .status_code
        == 404
    )
    assert (
        client_for(world.sibling_office)
        .get(reverse("textindex:similar_duplicates", args=[second.pk]))
        .status_code
        == 404
    )
    assert Proposal.objects.get(pk=second.pk).state == State.SUBMITTED
    assert not Suggestion.objects.exists()


def test_dismissing_the_candidates_is_logged(world, twins) -> None:  # type: ignore[no-untyped-def]
    _, second = twins
    reindex()
    office = client_for(world.office)
    office.get(reverse("textindex:similar_duplicates", args=[second.pk]), **HTMX)
    assert office.post(reverse("textindex:similar_dismiss", args=[second.pk])).status_code == 302
    log = Suggestion.objects.get(kind=Suggestion.Kind.DUPLICATE)
    assert (log.outcome, log.chosen) == (
        Suggestion.Outcome.OVERRIDDEN,
        {"action": "dismiss", "by": world.office.pk},
    )
    assert Proposal.objects.get(pk=second.pk).state == State.SUBMITTED


def test_review_page_loads_the_duplicates_panel_for_the_office_only(world, twins) -> None:  # type: ignore[no-untyped-def]
    _, second = twins
    url = reverse("textindex:similar_duplicates", args=[second.pk])
    assert url in client_for(world.office).get(reverse("proposals:detail", args=[second.pk])).content.decode()
    assert (
        url
        not in client_for(world.member_user)
        .get(reverse("proposals:detail", args=[second.pk]))
        .content.decode()
    )


# --------------------------------------------------------------------------- issue groups and hot topics

GROUPED = [
    (
        "关于加快老旧小区加装电梯的建议",
        "老旧小区加装电梯审批难，老年人上下楼困难。",
        "简化加装电梯审批，加大电梯补贴。",
    ),
    ("关于老旧小区电梯加装补贴的建议", "加装电梯资金筹措难，老旧小区居民负担重。", "提高加装电梯补贴标准。"),
    ("推进老旧小区加装电梯工作", "老旧小区老年人多，加装电梯需求大。", "统筹推进加装电梯。"),
    (
        "关于推进垃圾分类的建议",
        "居民垃圾分类意识不强，垃圾分类设施不足。",
        "完善垃圾分类设施，加强垃圾分类宣传。",
    ),
    ("关于农村垃圾分类处理的建议", "农村垃圾分类处理能力弱，垃圾随意堆放。", "建设农村垃圾分类处理站。"),
    ("进一步做好垃圾分类投放", "小区垃圾分类投放点少，垃圾分类执行差。", "增设垃圾分类投放点。"),
    ("关于发展乡村民宿旅游的建议", "乡村民宿缺乏规范，旅游配套不足。", "制定民宿标准，完善旅游配套。"),
]


@pytest.fixture
def grouped(world, pw):  # type: ignore[no-untyped-def]  # noqa: F811
    out = []
    for title, background, suggestions in GROUPED:
        p = pw.draft(title=title, background=background, suggestions=suggestions)
        out.append(services.proposal_submit(proposal=p, user=world.member_user))
    pw.draft(title="关于加装电梯的草稿", background="草稿不算收到。", suggestions="加装电梯。")
    return out


def test_issue_groups_put_the_same_problem_together(grouped, pw) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    groups = topics.issue_groups(pw.world.city.pk, 2026)
    by_members = sorted(sorted(g.proposal_ids) for g in groups)
    ids = [p.pk for p in grouped]
    assert by_members == sorted([sorted(ids[:3]), sorted(ids[3:6]), [ids[6]]])
    words = {tuple(sorted(g.proposal_ids)): g.keywords for g in groups}
    assert "电梯" in words[tuple(sorted(ids[:3]))]
    assert "垃圾" in words[tuple(sorted(ids[3:6]))]


def test_issue_groups_page_is_the_offices(world, grouped) -> None:  # type: ignore[no-untyped-def]
    url = reverse("textindex:similar_groups") + "?year=2026"
    text = client_for(world.office).get(url).content.decode()
    assert "本年度提案议题分组" in text and "机器分组" in text
    assert all(p.title in text for p in grouped)
    assert "关于加装电梯的草稿" not in text
    assert client_for(world.member_user).get(url).status_code == 404
    assert client_for(world.leader).get(url).status_code == 404
    assert client_for(world.sibling_office).get(url + f"&committee={world.city.pk}").status_code == 404


def test_hot_topics_are_computed_by_the_task_and_shown_on_the_dashboard(
    world, grouped, settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    assert topics.load(world.city.pk, 2026) is None
    table = dashboard(world.city, 2026).table("proposals.topics")
    assert table is not None and table.rows == [] and "尚未计算" in table.note

    result = topics.compute_hot_topics.enqueue(world.city.pk, 2026, False)
    assert result.return_value == 2
    stored = topics.load(world.city.pk, 2026)
    assert stored is not None and stored["documents"] == {"proposals": 7}
    sizes = sorted(len(t["proposals"]) for t in stored["topics"])
    assert sizes == [3, 3]

    table = dashboard(world.city, 2026).table("proposals.topics")
    assert table is not None and [row.cells[2] for row in table.rows] == [3, 3]
    assert any("电梯" in row.cells[1] for row in table.rows)
    page = client_for(world.office).get(reverse("textindex:topics") + f"?committee={world.city.pk}&year=2026")
    assert page.status_code == 200 and "机器归纳" in page.content.decode()
    assert client_for(world.member_user).get(reverse("textindex:topics")).status_code == 404


def test_topic_refresh_is_the_offices(
    world, grouped, settings, tmp_path, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    url = reverse("textindex:topics_refresh")
    assert client_for(world.leader).post(url, {"committee": world.city.pk, "year": 2026}).status_code == 404
    assert topics.load(world.city.pk, 2026) is None
    with_office = client_for(world.office)
    # Enqueued at the commit of the request; the tests' immediate task backend runs it there.
    with django_capture_on_commit_callbacks(execute=True):
        assert with_office.post(url, {"committee": world.city.pk, "year": 2026}).status_code == 302
    assert topics.load(world.city.pk, 2026) is not None


def test_compute_topics_command_covers_the_committees_with_work_and_those_above(
    world, grouped, settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    call_command("compute_topics", "--year", "2026", stdout=io.StringIO())
    assert len(topics.load(world.city.pk, 2026)["topics"]) == 2  # type: ignore[index]
    assert len(topics.load(world.province.pk, 2026, include_children=True)["topics"]) == 2  # type: ignore[index]
    assert topics.load(world.province.pk, 2026) is None  # nothing of its own
    assert topics.load(world.sibling.pk, 2026, include_children=True) is None
