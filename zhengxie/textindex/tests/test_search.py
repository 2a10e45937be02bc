"""Search: bigram index with exact verification, filters, highlighting and rights applied in the index."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from zhengxie.consultations.tests.conftest import CW as ConsultationWorld
from zhengxie.grassroots.tests.conftest import CW as ConcernWorld
from zhengxie.opinions.models import ReportState
from zhengxie.opinions.tests.conftest import Reports
from zhengxie.org.models import Session, Term
from zhengxie.proposals import services
from zhengxie.proposals.models import Proposal, State
from zhengxie.proposals.tests.conftest import PW
from zhengxie.testing.factories import HandlingUnitFactory, StationFactory, UserFactory, grant
from zhengxie.textindex import search
from zhengxie.textindex.models import SearchDocument


@pytest.fixture
def pw(world) -> PW:  # type: ignore[no-untyped-def]
    term = Term.objects.create(committee=world.city, number=14, start_year=2023, end_year=2027)
    session = Session.objects.create(committee=world.city, term=term, number=2, year=2026)
    other_unit = HandlingUnitFactory(committee=world.city, name="江门市住房和城乡建设局")
    other_unit_user = UserFactory(username="unit2")
    grant(other_unit_user, world.city, "unit", other_unit)
    return PW(world=world, session=session, other_unit=other_unit, other_unit_user=other_unit_user)


def titles(user, text: str, **filters) -> list[str]:  # type: ignore[no-untyped-def]
    result = search.search_for(user, text, search.Filters(**filters))
    return [h.title for h in result.hits(result.ids)]


def kinds(user, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    result = search.search_for(user, text)
    return sorted(h.kind for h in result.hits(result.ids))


def test_two_character_query_finds_title_and_text(pw):
    w = pw.world
    pw.bring_to(State.FILED)
    assert titles(w.office, "电梯") == ["关于加快江门市老旧小区加装电梯的建议"]
    assert titles(w.office, "审批") == ["关于加快江门市老旧小区加装电梯的建议"]  # only in the text
    assert titles(w.office, "地铁") == []


def test_longer_queries_are_verified_not_just_bigrams(pw):
    w = pw.world
    pw.bring_to(State.FILED)
    pw.draft(title="关于加装电梯补贴的建议", background="电梯老旧。", suggestions="加大投入。")
    # "加装电梯" occurs in the first; the second has the bigrams 加装, 装电, 电梯 as well.
    assert titles(w.office, "老年人") == ["关于加快江门市老旧小区加装电梯的建议"]
    assert titles(w.office, "小区加装") == ["关于加快江门市老旧小区加装电梯的建议"]
    assert titles(w.office, "梯补") == []  # the second is a draft: the office does not read it


def test_a_jieba_phrase_finds_its_words_apart(pw):
    w = pw.world
    pw.bring_to(State.FILED)
    # Not a substring of the text; jieba cuts it into 老旧小区 / 电梯 / 补贴 ... each of which occurs.
    assert titles(w.office, "老旧小区电梯补贴") == ["关于加快江门市老旧小区加装电梯的建议"]
    assert titles(w.office, "电梯 补贴") == ["关于加快江门市老旧小区加装电梯的建议"]
    assert titles(w.office, "电梯 地铁") == []


def test_one_character_is_refused_with_a_message(world):
    with pytest.raises(search.QueryError, match="两个连续"):
        search.search_for(world.office, "路")
    with pytest.raises(search.QueryError, match="请输入"):
        search.search_for(world.office, "   ")


def test_title_hits_rank_first(pw):
    w = pw.world
    body_only = pw.bring_to(State.FILED)
    body_only.title = "关于改善居民出行的建议"
    body_only.background = "加装电梯困难。"
    body_only.save()
    title_hit = pw.draft(title="电梯安全管理的建议", background="情况。", suggestions="措施。")
    services.proposal_submit(proposal=title_hit, user=w.member_user)
    assert titles(w.office, "电梯") == ["电梯安全管理的建议", "关于改善居民出行的建议"]


def test_filters_year_kind_state_unit(pw):
    w = pw.world
    pw.bring_to(State.REPLIED)  # assigned to 教育局 (lead) and 住建局 (co), then replied
    assert kinds(w.office, "电梯") == ["proposal", "reply"]
    assert titles(w.office, "电梯", year=2026) != []
    assert titles(w.office, "电梯", year=2025) == []
    assert kinds(w.office, "电梯") == ["proposal", "reply"]
    assert titles(w.office, "电梯", kind="reply") == ["关于加快江门市老旧小区加装电梯的建议"]
    assert titles(w.office, "电梯", state=State.REPLIED, kind="proposal") != []
    assert titles(w.office, "电梯", state=State.FILED) == []
    assert titles(w.office, "电梯", unit=w.unit.pk, kind="proposal") != []
    assert titles(w.office, "电梯", unit=HandlingUnitFactory(committee=w.city).pk) == []
    assert titles(w.office, "电梯", committee=w.city.pk, kind="proposal") != []
    assert titles(w.office, "电梯", committee=w.sibling.pk) == []
    assert titles(w.office, "电梯", sector=w.member.sector_id, kind="proposal") != []


def test_filters_from_request_parameters_ignore_bad_values():
    f = search.Filters.from_params(
        {"kind": "x' OR 1", "year": "20x6", "state": "<b>", "unit": "-1", "committee": "7"}
    )
    assert (f.kind, f.year, f.state, f.unit, f.committee) == ("", None, "", None, 7)


def test_others_never_see_foreign_or_draft_rows(pw):
    w = pw.world
    pw.bring_to(State.ASSIGNED)
    draft = pw.draft(title="尚未提交的电梯草稿")
    own = sorted(titles(w.member_user, "电梯"))
    assert own == ["关于加快江门市老旧小区加装电梯的建议", draft.title]
    assert titles(w.office, "电梯") == ["关于加快江门市老旧小区加装电梯的建议"]
    assert titles(w.other_member.user or UserFactory(), "电梯") == []
    for outsider in (w.sibling_office, w.province_office, w.auditor, w.admin):
        result = search.search_for(outsider, "电梯")
        assert (result.total, result.ids) == (0, [])
    # The co-handling unit reads it while assigned; a unit never assigned does not.
    assert titles(pw.other_unit_user, "电梯") == ["关于加快江门市老旧小区加装电梯的建议"]
    stranger = UserFactory(username="unit3")
    grant(stranger, w.city, "unit", HandlingUnitFactory(committee=w.city, name="江门市水利局"))
    assert titles(stranger, "电梯") == []


def test_a_cosigner_reads_the_draft_they_were_invited_to(pw):
    from zhengxie.proposals.models import CoSigner

    w = pw.world
    colleague = UserFactory(username="colleague")
    w.other_member.user = colleague
    w.other_member.save()
    draft = pw.draft(title="联名电梯草稿")
    assert titles(colleague, "电梯") == []
    CoSigner.objects.create(proposal=draft, member=w.other_member)
    assert titles(colleague, "电梯") == ["联名电梯草稿"]


def test_opinion_reports_follow_their_rules(world):
    reports = Reports(world)
    draft = reports.draft()
    forwarded = reports.bring_to(ReportState.FORWARDED)
    assert sorted(titles(world.member_user, "拥堵")) == sorted([draft.title, forwarded.title])
    assert titles(world.office, "拥堵") == [forwarded.title]
    assert titles(world.sibling_office, "拥堵") == []


def test_outcomes_read_as_their_consultation_units_only_their_items(world):
    cw = ConsultationWorld(
        world=world, station=StationFactory(committee=world.city), other_unit=None, other_unit_user=None
    )  # type: ignore[arg-type]
    c = cw.held()
    cw.transferred(c)  # 增设路灯 → 教育局
    cw.outcome(c, text="拓宽朝翠路")
    assert sorted(titles(world.member_user, "朝翠")) == [c.title]
    assert len(search.search_for(world.office, "路灯").ids) == 1
    assert titles(world.unit_user, "路灯") == [c.title]
    assert titles(world.unit_user, "朝翠") == []
    assert titles(world.sibling_office, "路灯") == []


def test_concerns_read_by_office_station_and_taker(world):
    cw_station = StationFactory(committee=world.city, name="江海区委员工作室")
    world.member.station = cw_station
    world.member.save()
    concerns = ConcernWorld(
        world=world,
        station=cw_station,
        other_station=StationFactory(committee=world.city),
        colleague_user=None,  # type: ignore[arg-type]
        colleague=None,  # type: ignore[arg-type]
        other_station_user=None,  # type: ignore[arg-type]
    )
    concern = concerns.raise_one()
    assert titles(world.office, "路灯") == [concern.title]
    assert titles(world.member_user, "路灯") == [concern.title]  # published at their station
    assert titles(world.leader, "路灯") == [concern.title]
    assert titles(world.sibling_office, "路灯") == []
    assert titles(world.unit_user, "路灯") == []


def test_index_follows_edits_and_deletions(pw):
    w = pw.world
    p = pw.bring_to(State.SUBMITTED)
    p.title = "关于整治噪声扰民的建议"
    p.save()
    assert titles(w.office, "电梯") == []  # it was only in the title
    assert titles(w.office, "老年人") == ["关于整治噪声扰民的建议"]
    assert titles(w.office, "噪声") == ["关于整治噪声扰民的建议"]
    Proposal.objects.filter(pk=p.pk).first().delete()  # type: ignore[union-attr]
    assert titles(w.office, "噪声") == []
    assert not SearchDocument.objects.filter(kind="proposal", object_id=p.pk).exists()


def test_rebuild_command_restores_the_index(pw):
    w = pw.world
    pw.bring_to(State.REPLIED)
    before = sorted(SearchDocument.objects.values_list("kind", "object_id", "tokens"))
    SearchDocument.objects.all()._raw_delete(SearchDocument.objects.db)  # type: ignore[attr-defined]
    assert titles(w.office, "电梯") == []
    out = StringIO()
    call_command("rebuild_text_index", stdout=out)
    assert "提案 1 条" in out.getvalue() and "答复" in out.getvalue()
    assert sorted(SearchDocument.objects.values_list("kind", "object_id", "tokens")) == before
    assert kinds(w.office, "电梯") == ["proposal", "reply"]


def test_highlight_escapes_before_marking():
    html = search.highlight('<script>alert("电梯")</script>电梯', ["电梯"])
    assert html == "&lt;script&gt;alert(&quot;<mark>电梯</mark>&quot;)&lt;/script&gt;<mark>电梯</mark>"
    assert search.highlight("a<b", ["<b"]) == "a<mark>&lt;b</mark>"


def test_search_page_shows_marked_escaped_hits(client, pw):
    w = pw.world
    p = pw.bring_to(State.FILED)
    p.title = "<img src=x onerror=alert(1)>电梯"
    p.save()
    client.force_login(w.office)
    response = client.get(reverse("textindex:search"), {"q": "电梯"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;<mark>电梯</mark>" in body
    assert reverse("proposals:detail", args=[p.pk]) in body
    assert "共 1 条结果" in body
    response = client.get(reverse("textindex:search"), {"q": "路"})
    assert "两个连续" in response.content.decode()


def test_search_page_asks_anonymous_to_log_in(client):
    response = client.get(reverse("textindex:search"), {"q": "电梯"})
    assert response.status_code == 302


def test_search_page_queries_do_not_grow_with_hits(client, pw, django_assert_max_num_queries):
    w = pw.world
    pw.bring_to(State.FILED)
    client.force_login(w.office)
    url = reverse("textindex:search")
    client.get(url, {"q": "电梯"})  # warm the grants cache path and jieba
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert "共 1 条结果" in client.get(url, {"q": "电梯"}).content.decode()
    for n in range(2):
        services.proposal_submit(proposal=pw.draft(title=f"电梯维保第{n}号"), user=w.member_user)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert "共 3 条结果" in client.get(url, {"q": "电梯"}).content.decode()
