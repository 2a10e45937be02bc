import pytest
from django.contrib import messages as django_messages
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhengxie.accounts.models import Role
from zhengxie.proposals import services
from zhengxie.proposals.models import (
    Assignment,
    Contact,
    CoSigner,
    Feedback,
    Proposal,
    Reply,
    State,
    Supervision,
    Transition,
)
from zhengxie.testing.factories import MemberFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


def detail_url(p):
    return reverse("proposals:detail", args=[p.pk])


def act_url(p, action):
    return reverse("proposals:act", args=[p.pk, action])


def as_user(client, user):
    client.force_login(user)
    return client


def texts(response, level=None):
    return [str(m) for m in get_messages(response.wsgi_request) if level is None or m.level == level]


def snapshot(p):
    p = Proposal.objects.get(pk=p.pk)
    return (
        p.state,
        p.version,
        p.is_key,
        p.is_first,
        p.is_excellent,
        p.number,
        Transition.objects.filter(proposal=p).count(),
        Contact.objects.filter(proposal=p).count(),
        Reply.objects.filter(proposal=p).count(),
        Feedback.objects.filter(proposal=p).count(),
        sorted(Assignment.objects.filter(proposal=p).values_list("unit_id", "status")),
        Supervision.objects.filter(proposal=p).count(),
        sorted(CoSigner.objects.filter(proposal=p).values_list("member_id", "status")),
    )


def give_user(member, username):
    user = UserFactory(username=username)
    member.user = user
    member.save()
    grant(user, member.committee, Role.MEMBER)
    return user


# ---------------------------------------------------------------- visibility


def test_detail_member_of_other_committee_gets_404(pw, client):
    p = pw.bring_to(State.SUBMITTED)
    outsider = give_user(pw.world.sibling_member, "wangwu")
    assert as_user(client, outsider).get(detail_url(p)).status_code == 404


def test_detail_proposer_sees_own_draft(pw, client):
    p = pw.bring_to(State.DRAFT)
    response = as_user(client, pw.world.member_user).get(detail_url(p))
    assert response.status_code == 200
    assert "提交提案" in response.content.decode()


def test_detail_office_gets_404_on_draft(pw, client):
    p = pw.bring_to(State.DRAFT)
    assert as_user(client, pw.world.office).get(detail_url(p)).status_code == 404


def test_list_office_sees_submitted_not_drafts(pw, client):
    draft = pw.bring_to(State.DRAFT)
    submitted = pw.bring_to(State.SUBMITTED)
    response = as_user(client, pw.world.office).get(reverse("proposals:list"))
    ids = [p.pk for p in response.context["page"]]
    assert ids == [submitted.pk]
    assert draft.pk not in ids


def test_list_leader_sees_submitted(pw, client):
    submitted = pw.bring_to(State.SUBMITTED)
    response = as_user(client, pw.world.leader).get(reverse("proposals:list"))
    assert [p.pk for p in response.context["page"]] == [submitted.pk]


@pytest.mark.parametrize("name", ["admin", "auditor", "sibling_office", "province_office"])
def test_list_other_roles_see_nothing(pw, client, name):
    pw.bring_to(State.ASSIGNED)
    response = as_user(client, getattr(pw.world, name)).get(reverse("proposals:list"))
    assert list(response.context["page"]) == []


def test_detail_unit_sees_assigned_then_404_after_return_and_reassign(pw, client):
    w = pw.world
    p = pw.bring_to(State.ASSIGNED)
    assert as_user(client, w.unit_user).get(detail_url(p)).status_code == 200
    services.assignment_request_return(proposal=p, user=w.unit_user, reason="不属于本单位职责")
    p.refresh_from_db()
    services.assignment_reassign(proposal=p, user=w.office, lead=pw.other_unit)
    assert as_user(client, w.unit_user).get(detail_url(p)).status_code == 404
    assert as_user(client, pw.other_unit_user).get(detail_url(p)).status_code == 200


def test_detail_unit_gets_404_before_assignment(pw, client):
    p = pw.bring_to(State.FILED)
    assert as_user(client, pw.world.unit_user).get(detail_url(p)).status_code == 404


def test_detail_invited_cosigner_sees_draft_with_confirm_button(pw, client):
    w = pw.world
    li = give_user(w.other_member, "lisi")
    p = pw.bring_to(State.DRAFT)
    services.cosigner_invite(proposal=p, user=w.member_user, members=[w.other_member])
    response = as_user(client, li).get(detail_url(p))
    assert response.status_code == 200
    assert "确认联名" in response.content.decode()


def test_detail_shows_history_and_reply(pw, client):
    p = pw.bring_to(State.REPLIED)
    body = as_user(client, pw.world.member_user).get(detail_url(p)).content.decode()
    assert "立案：待审查 → 已立案" in body
    assert "已列入计划。" in body
    assert "提交评价" in body


def test_list_anonymous_redirected_to_login(client):
    response = client.get(reverse("proposals:list"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# ---------------------------------------------------------------- list


def test_list_filters_by_state_category_year_title_and_key(pw, client):
    w = pw.world
    a = pw.bring_to(State.FILED)
    b = services.proposal_submit(
        proposal=pw.draft(title="关于发展侨乡文化的建议", category="culture"), user=w.member_user
    )
    services.key_mark(proposal=a, user=w.office, leaders=[MemberFactory(committee=w.city, position="chair")])
    c = as_user(client, w.office)
    url = reverse("proposals:list")

    def ids(**params):
        return [p.pk for p in c.get(url, params).context["page"]]

    assert ids(state="filed") == [a.pk]
    assert ids(category="culture") == [b.pk]
    assert ids(q="侨乡") == [b.pk]
    assert ids(key="1") == [a.pk]
    assert ids(year="2026") == [b.pk, a.pk]
    assert ids(year="2025") == []


def test_list_office_sees_ledger_link_with_filters(pw, client):
    pw.bring_to(State.SUBMITTED)
    body = as_user(client, pw.world.office).get(reverse("proposals:list"), {"state": "submitted"}).content
    assert reverse("proposals:ledger_xlsx").encode() + b"?state=submitted" in body


def test_list_member_sees_no_ledger_link(pw, client):
    pw.bring_to(State.SUBMITTED)
    body = as_user(client, pw.world.member_user).get(reverse("proposals:list")).content
    assert reverse("proposals:ledger_xlsx").encode() not in body


@pytest.mark.parametrize("name", ["office", "member_user"])
def test_list_query_count_constant(pw, client, name):
    w = pw.world
    pw.bring_to(State.SUBMITTED)
    c = as_user(client, getattr(w, name))
    url = reverse("proposals:list")
    c.get(url)
    with CaptureQueriesContext(connection) as one:
        assert c.get(url).status_code == 200
    for i in range(9):
        services.proposal_submit(proposal=pw.draft(title=f"提案{i}"), user=w.member_user)
    with CaptureQueriesContext(connection) as ten:
        response = c.get(url)
    assert response.context["page"].paginator.count == 10
    assert len(ten) == len(one)


# ---------------------------------------------------------------- create


def test_create_member_creates_draft_and_invites_cosigner(pw, client):
    w = pw.world
    response = as_user(client, w.member_user).post(
        reverse("proposals:create"),
        {
            "title": "关于加强侨批档案保护的建议",
            "background": "侨批档案是世界记忆遗产。",
            "suggestions": "设立专项经费。",
            "category": "culture",
            "cosigners": [w.other_member.pk],
        },
    )
    p = Proposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(p)
    assert (p.state, p.author_id, p.session_id, p.category) == (
        State.DRAFT,
        w.member.pk,
        pw.session.pk,
        "culture",
    )
    assert list(p.cosigners.values_list("member_id", "status")) == [(w.other_member.pk, "invited")]


def test_saving_the_same_draft_form_twice_makes_one_draft(pw, client):
    c = as_user(client, pw.world.member_user)
    page = c.get(reverse("proposals:create"))
    token = page.context["client_token"]
    assert f'name="client_token" value="{token}"' in page.content.decode()
    form = {
        "title": "关于加强侨批档案保护的建议",
        "background": "案据",
        "suggestions": "建议",
        "category": "culture",
    }
    first = c.post(reverse("proposals:create"), {**form, "client_token": token})
    again = c.post(
        reverse("proposals:create"), {**form, "client_token": token}
    )  # saved again after a timeout
    p = Proposal.objects.get()
    assert first["Location"] == again["Location"] == detail_url(p)
    other = c.post(
        reverse("proposals:create"),
        {**form, "client_token": c.get(reverse("proposals:create")).context["client_token"]},
    )
    assert other.status_code == 302 and Proposal.objects.count() == 2  # a new form is a new draft


def test_an_invalid_draft_form_keeps_its_token(pw, client):
    c = as_user(client, pw.world.member_user)
    response = c.post(
        reverse("proposals:create"),
        {
            "title": " ",
            "background": "案据",
            "suggestions": "建议",
            "category": "other",
            "client_token": "t-1",
        },
    )
    assert response.context["client_token"] == "t-1"


def test_create_picks_latest_session(pw, client):
    from zhengxie.org.models import Session

    later = Session.objects.create(committee=pw.world.city, term=pw.session.term, number=3, year=2027)
    response = as_user(client, pw.world.member_user).get(reverse("proposals:create"))
    assert response.context["session"] == later


def test_create_non_member_gets_404(pw, client):
    assert as_user(client, pw.world.office).get(reverse("proposals:create")).status_code == 404


def test_create_empty_title_rejected_with_chinese_message(pw, client):
    response = as_user(client, pw.world.member_user).post(
        reverse("proposals:create"),
        {"title": "  ", "background": "案据", "suggestions": "建议", "category": "other"},
    )
    assert response.status_code == 200
    assert texts(response, django_messages.ERROR) == ["请填写案由"]
    assert Proposal.objects.count() == 0


def test_create_overlong_title_rejected_with_chinese_message(pw, client):
    response = as_user(client, pw.world.member_user).post(
        reverse("proposals:create"),
        {"title": "长" * 201, "background": "案据", "suggestions": "建议", "category": "other"},
    )
    assert texts(response, django_messages.ERROR) == ["案由不能超过200字"]
    assert Proposal.objects.count() == 0


@pytest.mark.parametrize(
    "chars, status",
    [
        (2 * 1024 * 1024, 400),  # 6 MB of form data: over DATA_UPLOAD_MAX_MEMORY_SIZE
        (10 * 1024 * 1024, 413),  # 30 MB: over REQUEST_MAX_BYTES, refused before the body is read
    ],
)
def test_create_huge_title_rejected_and_nothing_created(pw, client, chars, status):
    response = as_user(client, pw.world.member_user).post(
        reverse("proposals:create"),
        {
            "title": "长" * chars,
            "background": "案据",
            "suggestions": "建议",
            "category": "other",
        },
    )
    assert response.status_code == status
    assert Proposal.objects.count() == 0


def test_create_cosigner_of_other_committee_rejected(pw, client):
    w = pw.world
    response = as_user(client, w.member_user).post(
        reverse("proposals:create"),
        {
            "title": "标题",
            "background": "案据",
            "suggestions": "建议",
            "category": "other",
            "cosigners": [w.sibling_member.pk],
        },
    )
    assert texts(response, django_messages.ERROR) == ["只能邀请本政协委员"]
    assert Proposal.objects.count() == 0


# ---------------------------------------------------------------- act: protocol


def test_act_get_is_405(pw, client):
    p = pw.bring_to(State.DRAFT)
    assert as_user(client, pw.world.member_user).get(act_url(p, "submit")).status_code == 405


def test_act_unknown_action_404(pw, client):
    p = pw.bring_to(State.DRAFT)
    assert as_user(client, pw.world.member_user).post(act_url(p, "explode")).status_code == 404


def test_act_invisible_proposal_404_and_nothing_changes(pw, client):
    p = pw.bring_to(State.DRAFT)
    before = snapshot(p)
    assert as_user(client, pw.world.office).post(act_url(p, "submit")).status_code == 404
    assert snapshot(p) == before


def test_act_requires_csrf_token(pw):
    from django.test import Client

    p = pw.bring_to(State.DRAFT)
    c = Client(enforce_csrf_checks=True)
    c.force_login(pw.world.member_user)
    assert c.post(act_url(p, "submit")).status_code == 403
    assert Proposal.objects.get(pk=p.pk).state == State.DRAFT


def test_submit_double_post_same_token_gives_one_number(pw, client):
    p = pw.bring_to(State.DRAFT)
    c = as_user(client, pw.world.member_user)
    first = c.post(act_url(p, "submit"), {"client_token": "tok-1"})
    second = c.post(act_url(p, "submit"), {"client_token": "tok-1"})
    p.refresh_from_db()
    assert (first.status_code, second.status_code) == (302, 302)
    assert texts(second, django_messages.ERROR) == []
    assert (p.state, p.number) == (State.SUBMITTED, 1)
    assert Transition.objects.filter(proposal=p, action="submit").count() == 1


# ---------------------------------------------------------------- act: every action, right and wrong role


def chair(pw):
    return MemberFactory(committee=pw.world.city, position="chair", name="主席甲")


def co_user(pw):
    return pw.other_unit_user


def cosigner_setup(pw):
    w = pw.world
    li = give_user(w.other_member, "lisi")
    p = pw.bring_to(State.DRAFT)
    services.cosigner_invite(proposal=p, user=w.member_user, members=[w.other_member])
    return p, li


def merge_target(pw):
    target = services.proposal_submit(proposal=pw.draft(title="并案目标"), user=pw.world.member_user)
    return {"into": str(target.number)}


# (action, state, right user, wrong user, data factory, check on the proposal after the right user acted)
CASES = [
    ("submit", State.DRAFT, "member_user", "cosigner", lambda pw: {"client_token": "t"}, "state=submitted"),
    ("withdraw", State.SUBMITTED, "member_user", "office", lambda pw: {"reason": "重复"}, "state=withdrawn"),
    ("file", State.SUBMITTED, "office", "member_user", lambda pw: {"category": "economy"}, "state=filed"),
    (
        "not_file",
        State.SUBMITTED,
        "office",
        "leader",
        lambda pw: {"reason": "不属于提案范围", "conversion": "opinion"},
        "state=not_filed",
    ),
    ("merge", State.SUBMITTED, "office", "member_user", merge_target, "state=merged"),
    ("assign", State.FILED, "office", "leader", lambda pw: {"lead": pw.world.unit.pk}, "state=assigned"),
    (
        "request_return",
        State.ASSIGNED,
        "unit_user",
        "co_unit",
        lambda pw: {"reason": "非本单位职责"},
        "state=returned",
    ),
    (
        "reassign",
        State.RETURNED,
        "office",
        "member_user",
        lambda pw: {"lead": pw.other_unit.pk},
        "state=assigned",
    ),
    (
        "contact",
        State.ASSIGNED,
        "unit_user",
        "member_user",
        lambda pw: {"method": "电话", "note": "已沟通"},
        "contacts=1",
    ),
    (
        "reply",
        State.ASSIGNED,
        "unit_user",
        "member_user",
        lambda pw: {"letter": "已采纳。", "result": "A", "doc_number": "江教函〔2026〕1号"},
        "state=replied",
    ),
    ("rate", State.REPLIED, "member_user", "office", lambda pw: {"rating": "satisfied"}, "state=closed"),
    ("cosign_confirm", State.DRAFT, "cosigner", "member_user", lambda pw: {}, "cosign=confirmed"),
    ("cosign_decline", State.DRAFT, "cosigner", "member_user", lambda pw: {}, "cosign=declined"),
    ("key", State.FILED, "office", "leader", lambda pw: {"leaders": [chair(pw).pk]}, "is_key"),
    ("first", State.FILED, "office", "member_user", lambda pw: {}, "is_first"),
    ("excellent", State.CLOSED, "office", "member_user", lambda pw: {}, "is_excellent"),
]


def setup_case(pw, action, state):
    if action.startswith("cosign") or action == "submit":
        return cosigner_setup(pw)
    return pw.bring_to(state), None


def resolve(pw, name, cosigner):
    if name == "cosigner":
        return cosigner
    if name == "co_unit":
        return co_user(pw)
    return getattr(pw.world, name)


def check(p, expectation):
    p = Proposal.objects.get(pk=p.pk)
    if expectation.startswith("state="):
        return p.state == expectation.removeprefix("state=")
    if expectation == "contacts=1":
        return Contact.objects.filter(proposal=p).count() == 1
    if expectation.startswith("cosign="):
        return list(p.cosigners.values_list("status", flat=True)) == [expectation.removeprefix("cosign=")]
    return getattr(p, expectation) is True


@pytest.mark.parametrize(
    ("action", "state", "right", "wrong", "data", "expect"), CASES, ids=[c[0] for c in CASES]
)
def test_act_right_role_succeeds(pw, client, action, state, right, wrong, data, expect):
    p, cosigner = setup_case(pw, action, state)
    payload = data(pw)
    response = as_user(client, resolve(pw, right, cosigner)).post(act_url(p, action), payload)
    assert response.status_code == 302
    assert texts(response, django_messages.ERROR) == []
    assert check(p, expect) is True


@pytest.mark.parametrize(
    ("action", "state", "right", "wrong", "data", "expect"), CASES, ids=[c[0] for c in CASES]
)
def test_act_wrong_role_shows_error_and_changes_nothing(
    pw, client, action, state, right, wrong, data, expect
):
    p, cosigner = setup_case(pw, action, state)
    payload = data(pw)
    before = snapshot(p)
    response = as_user(client, resolve(pw, wrong, cosigner)).post(act_url(p, action), payload)
    assert response.status_code == 302
    assert response["Location"] == detail_url(p)
    errors = texts(response, django_messages.ERROR)
    assert len(errors) == 1
    assert errors[0] != ""
    assert snapshot(p) == before


def test_act_co_unit_sends_opinion_without_changing_state(pw, client):
    p = pw.bring_to(State.ASSIGNED)
    response = as_user(client, pw.other_unit_user).post(act_url(p, "reply"), {"letter": "会办意见如下。"})
    p.refresh_from_db()
    assert texts(response, django_messages.SUCCESS) == ["会办意见已送主办单位"]
    assert p.state == State.ASSIGNED
    assert list(Reply.objects.filter(proposal=p).values_list("role", flat=True)) == ["co"]


def test_act_reply_without_result_shows_error(pw, client):
    p = pw.bring_to(State.ASSIGNED)
    before = snapshot(p)
    response = as_user(client, pw.world.unit_user).post(act_url(p, "reply"), {"letter": "答复。"})
    assert texts(response, django_messages.ERROR) == ["请选择办理结果（A、B或C）"]
    assert snapshot(p) == before


def test_act_assign_unit_of_other_committee_rejected(pw, client):
    from zhengxie.testing.factories import HandlingUnitFactory

    p = pw.bring_to(State.FILED)
    foreign = HandlingUnitFactory(committee=pw.world.sibling, name="贺州市教育局")
    before = snapshot(p)
    response = as_user(client, pw.world.office).post(act_url(p, "assign"), {"lead": foreign.pk})
    assert texts(response, django_messages.ERROR) == ["承办单位无效"]
    assert snapshot(p) == before


def test_act_merge_unknown_number_rejected(pw, client):
    p = pw.bring_to(State.SUBMITTED)
    before = snapshot(p)
    response = as_user(client, pw.world.office).post(act_url(p, "merge"), {"into": "99"})
    assert texts(response, django_messages.ERROR) == ["本次会议没有第0099号提案"]
    assert snapshot(p) == before


def test_act_key_with_non_leader_member_rejected(pw, client):
    p = pw.bring_to(State.FILED)
    before = snapshot(p)
    response = as_user(client, pw.world.office).post(
        act_url(p, "key"), {"leaders": [pw.world.other_member.pk]}
    )
    assert texts(response, django_messages.ERROR) == ["督办领导须为本政协主席或副主席"]
    assert snapshot(p) == before


def test_act_unit_request_return_redirects_to_list(pw, client):
    p = pw.bring_to(State.ASSIGNED)
    response = as_user(client, pw.world.unit_user).post(
        act_url(p, "request_return"), {"reason": "非本单位职责"}
    )
    assert response["Location"] == reverse("proposals:list")


@pytest.mark.parametrize("state", [s for s in State.values if s != State.DRAFT])
@pytest.mark.parametrize("name", ["member_user", "office", "leader"])
def test_detail_renders_in_every_state(pw, client, state, name):
    p = pw.bring_to(state)
    response = as_user(client, getattr(pw.world, name)).get(detail_url(p))
    assert response.status_code == 200
    assert p.title in response.content.decode()


def test_detail_office_key_form_lists_chairs_only(pw, client):
    p = pw.bring_to(State.FILED)
    leader = chair(pw)
    body = as_user(client, pw.world.office).get(detail_url(p)).content.decode()
    assert f'<option value="{leader.pk}">主席甲（主席）</option>' in body
    assert pw.world.other_member.name not in body


def test_detail_office_without_chairs_sees_hint(pw, client):
    p = pw.bring_to(State.FILED)
    body = as_user(client, pw.world.office).get(detail_url(p)).content.decode()
    assert "本政协尚未录入主席、副主席" in body


def test_linkage_escalate_over_http_and_both_sides_see_progress(pw, client):  # type: ignore[no-untyped-def]
    from zhengxie.org.models import Session, Term
    from zhengxie.proposals.models import Proposal
    from zhengxie.testing.factories import MemberFactory

    w = pw.world
    local = pw.bring_to("filed")
    provincial = MemberFactory(committee=w.province, user=w.member_user, name="张三")
    term = Term.objects.create(committee=w.province, number=13, start_year=2023, end_year=2027)
    Session.objects.create(committee=w.province, term=term, number=4, year=2026)
    client.force_login(w.member_user)
    page = client.get(reverse("proposals:detail", args=[local.pk])).content.decode()
    assert "提交到上级政协" in page
    response = client.post(reverse("proposals:act", args=[local.pk, "escalate"]), {"member": provincial.pk})
    assert response.status_code == 302
    up = Proposal.objects.get(origin=local)
    assert (up.committee_id, up.author_id, up.state) == (w.province.pk, provincial.pk, "draft")
    assert "广东省政协" in client.get(reverse("proposals:detail", args=[local.pk])).content.decode()
    assert "江门市政协" in client.get(reverse("proposals:detail", args=[up.pk])).content.decode()


def test_linkage_escalate_refused_without_higher_membership(pw, client):  # type: ignore[no-untyped-def]
    from zhengxie.proposals.models import Proposal

    local = pw.bring_to("filed")
    client.force_login(pw.world.member_user)
    client.post(reverse("proposals:act", args=[local.pk, "escalate"]), {"member": pw.world.sibling_member.pk})
    assert Proposal.objects.filter(origin=local).count() == 0


def test_list_overdue_filter_shows_only_late_handling(pw, client):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    from zhengxie.proposals.models import Proposal

    late = pw.bring_to("assigned")
    Proposal.objects.filter(pk=late.pk).update(deadline=timezone.localdate() - timedelta(days=1))
    pw.bring_to("assigned")  # deadline in three months
    pw.bring_to("closed")
    client.force_login(pw.world.office)
    page = client.get(reverse("proposals:list"), {"overdue": "1"}).context["page"]
    assert [p.pk for p in page] == [late.pk]


@pytest.mark.parametrize(
    ("data", "expected"),
    [({"lead": "999999"}, "承办单位无效"), ({"deadline": "2027/13/45"}, None), ({"deadline": "明年"}, None)],
)
def test_act_assign_unknown_unit_or_bad_date_changes_nothing(pw, client, data, expected):  # type: ignore[no-untyped-def]
    p = pw.bring_to(State.FILED)
    before = snapshot(p)
    payload = {"lead": pw.world.unit.pk, **data}
    errors = texts(
        as_user(client, pw.world.office).post(act_url(p, "assign"), payload), django_messages.ERROR
    )
    assert len(errors) == 1
    if expected:
        assert errors == [expected]
    assert all("\u4e00" <= ch <= "\u9fff" for ch in errors[0] if ch.isalpha())  # a Chinese message
    assert snapshot(p) == before


def test_act_assign_with_split_units_creates_several_leads(pw, client):  # type: ignore[no-untyped-def]
    from zhengxie.proposals.models import Assignment

    p = pw.bring_to(State.FILED)
    payload = {"lead": pw.world.unit.pk, "split_units": [pw.other_unit.pk]}
    as_user(client, pw.world.office).post(act_url(p, "assign"), payload)
    assert sorted(Assignment.objects.filter(proposal=p).values_list("unit__name", "role")) == [
        ("江门市住房和城乡建设局", "lead"),
        ("江门市教育局", "lead"),
    ]
