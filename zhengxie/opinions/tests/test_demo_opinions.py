"""Demo 社情民意: seed_demo drives reports through the services for every demo committee. Only the
organisation and this part are seeded, to keep the test fast; the conversion of a demo proposal is covered
by test_conversion (services) and happens in a full seed_demo when the demo proposals left one."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Count

from zhengxie.duties.models import DutyKind, DutyRecord
from zhengxie.opinions.demo import seed_opinions
from zhengxie.opinions.models import (
    Instruction,
    InstructionLevel,
    OpinionReport,
    ReportState,
    ReportTransition,
)
from zhengxie.org.models import Committee


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        out = io.StringIO()
        call_command("seed_demo", "--only", "org,opinions", stdout=out)
        yield out.getvalue()
        call_command("flush", interactive=False, verbosity=0)


@pytest.mark.django_db
def test_every_state_and_kind_for_jiangmen(seeded):
    assert "已生成演示社情民意信息" in seeded
    jiangmen = Committee.objects.get(division_code="440700")
    rows = OpinionReport.objects.filter(committee=jiangmen)
    assert set(rows.values_list("state", flat=True)) == set(ReportState.values)
    assert 20 <= rows.count() <= 45
    kinds = set(rows.values_list("kind", flat=True))
    assert OpinionReport.Kind.OPINION in kinds and len(kinds) >= 3
    # Every demo committee has reports, each state somewhere.
    for committee in Committee.objects.filter(members__isnull=False).distinct():
        assert OpinionReport.objects.filter(committee=committee, consultations__isnull=True).count() >= 7


@pytest.mark.django_db
def test_instructions_at_every_level_and_some_reports_twice(seeded):
    assert set(Instruction.objects.values_list("level", flat=True)) == set(InstructionLevel.values)
    instructed_twice = OpinionReport.objects.annotate(n=Count("instructions")).filter(n__gte=2)
    assert instructed_twice.exists()
    assert not Instruction.objects.exclude(report__state=ReportState.ADOPTED).exists()
    jiangmen = Committee.objects.get(division_code="440700")
    assert Instruction.objects.filter(committee=jiangmen).values("level").distinct().count() >= 2
    # Each instruction reached its authors' duty records through the service.
    instruction = Instruction.objects.filter(committee=jiangmen).first()
    assert DutyRecord.objects.filter(kind=DutyKind.INSTRUCTION, source_id=instruction.pk).exists()


@pytest.mark.django_db
def test_demo_reports_are_real(seeded):
    jiangmen = Committee.objects.get(division_code="440700")
    rows = OpinionReport.objects.filter(committee=jiangmen)
    forwarded = rows.filter(state__in=[ReportState.FORWARDED, ReportState.ADOPTED])
    assert not forwarded.filter(number__isnull=True).exists()
    numbers = forwarded.values("year", "number").annotate(n=Count("id"))
    assert all(r["n"] == 1 for r in numbers)
    adopted = rows.filter(state=ReportState.ADOPTED).first()
    actions = list(ReportTransition.objects.filter(report=adopted).values_list("action", flat=True))
    assert actions[-2:] == ["forward", "adopt"]
    merged = rows.filter(state=ReportState.MERGED).first()
    assert merged.merged_into.committee == jiangmen
    assert rows.filter(state=ReportState.ARCHIVED).exclude(archive_reason="").exists()
    # Across the demo: reports for a party or a station, and reports the office entered for a member.
    assert OpinionReport.objects.filter(source_kind__in=["party", "station"]).exists()
    assert ReportTransition.objects.filter(action="receive", reason="工作人员代为录入").exists()
    mine = rows.filter(created_by__username="jm_member")
    assert set(mine.values_list("state", flat=True)) >= {
        ReportState.DRAFT,
        ReportState.SUBMITTED,
        ReportState.ADOPTED,
    }
    assert Instruction.objects.filter(report__in=mine).exists()


@pytest.mark.django_db
def test_demo_opinions_seed_only_once(seeded):
    before = OpinionReport.objects.count()
    assert seed_opinions() == 0
    assert OpinionReport.objects.count() == before
