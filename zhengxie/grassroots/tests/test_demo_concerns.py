"""Demo concerns: seed_demo drives concerns through the services at the stations of every demo committee,
without needing the other parts' demo data (only the organisation is seeded here)."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from zhengxie.accounts.models import AuditLog
from zhengxie.duties.models import DutyKind, DutyRecord
from zhengxie.grassroots import services
from zhengxie.grassroots.demo import seed_concerns
from zhengxie.grassroots.models import Concern, ConcernState
from zhengxie.org.models import Committee, Station


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        out = io.StringIO()
        call_command("seed_demo", only="org,concerns", stdout=out)
        yield out.getvalue()
        call_command("flush", interactive=False, verbosity=0)


@pytest.mark.django_db
def test_every_state_and_outcome_at_guangan_studios(seeded):
    assert "已生成演示群众诉求" in seeded
    guangan = Committee.objects.get(division_code="511602")
    rows = Concern.objects.filter(committee=guangan)
    assert set(rows.values_list("state", flat=True)) == set(ConcernState.values)
    assert set(rows.exclude(outcome="").values_list("outcome", flat=True)) == set(Concern.Outcome.values)
    assert 30 <= rows.count() <= 60
    studios = set(Station.objects.filter(committee=guangan).values_list("pk", flat=True))
    assert set(rows.exclude(station=None).values_list("station", flat=True)) <= studios
    assert all("有事来协商" in s.name for s in Station.objects.filter(committee=guangan))


@pytest.mark.django_db
def test_every_demo_committee_with_stations_has_concerns(seeded):
    with_stations = Committee.objects.filter(stations__isnull=False).distinct()
    assert with_stations.count() >= 9
    for committee in with_stations:
        count = Concern.objects.filter(committee=committee).count()
        assert 10 <= count <= 60, (committee.name, count)


@pytest.mark.django_db
def test_demo_concerns_are_real(seeded):
    rows = Concern.objects.filter(committee__division_code="440700")
    closed = rows.filter(state=ConcernState.CLOSED)
    assert not closed.filter(taken_by=None).exists() and not closed.filter(result="").exists()
    flags = {f for c in rows.filter(state=ConcernState.REVIEW) for f in c.flags}
    assert flags == {"含有链接或联系方式", "疑似自动提交", "与近期诉求内容重复"}
    assert rows.filter(outcome="proposal", proposal__isnull=False).exists()
    assert rows.filter(outcome="opinion", opinion_report__isnull=False).exists()
    assert rows.filter(outcome="consultation", consultation__series="有事来协商").exists()
    assert set(rows.values_list("channel", flat=True)) >= {"web", "visit"}
    # History in order, dates spread out, each closed one a duty record of its taker on its closing day.
    concern = closed.filter(outcome="resolved").first()
    events = list(concern.events.order_by("at", "id").values_list("action", flat=True))
    assert events[0] == "raise" and events[-1] == "close" and "take" in events
    assert concern.created_at < concern.taken_at < concern.closed_at
    duty = DutyRecord.objects.get(member=concern.taken_by, kind=DutyKind.CONCERN, source_id=concern.pk)
    assert duty.occurred_on == timezone.localtime(concern.closed_at).date()
    assert len(set(rows.values_list("created_at__date", flat=True))) > 10
    # The look-up works for a demo number and shows no personal data.
    named = closed.exclude(name="").first()
    status = services.public_status(services.concern_lookup(named.number))
    assert status["state"] == "已办结" and named.name not in str(status)
    assert AuditLog.objects.filter(object_type="grassroots.Concern", actor_label="演示数据").exists()


@pytest.mark.django_db
def test_demo_member_login_has_concerns_at_their_station(seeded):
    mine = Concern.objects.filter(taken_by__user__username="jm_member")
    assert set(mine.values_list("state", flat=True)) >= {ConcernState.TAKEN, ConcernState.CLOSED}
    member = mine.first().taken_by
    assert Concern.objects.filter(station=member.station, state=ConcernState.OPEN).exists()


@pytest.mark.django_db
def test_demo_concerns_seed_only_once(seeded):
    before = Concern.objects.count()
    assert seed_concerns() == 0
    assert Concern.objects.count() == before
