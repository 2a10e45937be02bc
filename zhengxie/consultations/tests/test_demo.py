"""Demo consultations: seed_demo (org and consultations) gives every demo committee a published plan and consultations of
every form with agreed items at every stage; Guang'an district's micro consultations run at its stations."""

import io

import pytest
from django.core.management import call_command

from zhengxie.consultations import reviews, services
from zhengxie.consultations.demo import seed_consultations
from zhengxie.consultations.models import (
    Consultation,
    ConsultationPlan,
    Contribution,
    DemocraticReview,
    Form,
    Outcome,
    OutcomeState,
    Speech,
    Visit,
)
from zhengxie.duties.models import DutyKind, DutyRecord
from zhengxie.opinions.models import Instruction
from zhengxie.org.models import Committee


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        out = io.StringIO()
        call_command("seed_demo", "--only", "org,consultations", stdout=out)
        yield out.getvalue()
        call_command("flush", interactive=False, verbosity=0)


@pytest.mark.django_db
def test_every_demo_committee_has_a_published_plan_and_every_form(seeded):
    assert "已生成演示协商活动" in seeded
    committees = Committee.objects.filter(handling_units__isnull=False, members__isnull=False).distinct()
    assert committees.count() >= 7
    for committee in committees:
        plan = ConsultationPlan.objects.get(committee=committee)
        assert plan.state == ConsultationPlan.State.PUBLISHED and 9 <= plan.topics.count() <= 13
        rows = Consultation.objects.filter(committee=committee)
        assert set(rows.exclude(form="").values_list("form", flat=True)) == set(Form.values)
        assert set(rows.values_list("kind", flat=True)) == set(Consultation.Kind.values)
        assert set(rows.values_list("state", flat=True)) >= {"planned", "held", "closed"}
        assert rows.filter(is_good_case=True).count() >= 2


@pytest.mark.django_db
def test_jiangmen_items_are_at_every_stage_and_some_overdue(seeded):
    jiangmen = Committee.objects.get(division_code="440700")
    items = Outcome.objects.filter(committee=jiangmen)
    assert set(items.values_list("state", flat=True)) == set(OutcomeState.values)
    assert services.overdue_outcomes(jiangmen.pk).count() == 2
    accepted = items.filter(state=OutcomeState.ACCEPTED).first()
    assert accepted.progress.filter(action="progress").exists() and 0 < accepted.percent < 100
    # A closed consultation's items are all closed, as the rule demands.
    for c in Consultation.objects.filter(committee=jiangmen, state="closed"):
        assert not c.outcomes.exclude(state=OutcomeState.CLOSED).exists()


@pytest.mark.django_db
def test_jiangmen_has_speeches_rounds_a_review_visits_and_an_instructed_report(seeded):
    jiangmen = Committee.objects.get(division_code="440700")
    rows = Consultation.objects.filter(committee=jiangmen)
    assert Speech.objects.filter(consultation__in=rows).exists()
    assert Contribution.objects.filter(round__consultation__in=rows, reply_to__isnull=False).exists()
    assert Visit.objects.filter(consultation__kind="inspection", consultation__in=rows).exists()
    supervisory = rows.get(form=Form.SUPERVISORY)
    results = reviews.consultation_review_results(supervisory)
    assert len(results) == 2 and all(r["respondents"] >= 2 and r["score"] is not None for r in results)
    assert DemocraticReview.objects.filter(consultation=supervisory, is_open=False).count() == 1
    trip = rows.get(kind="research")
    assert Instruction.objects.filter(report=trip.report).exists()
    assert DutyRecord.objects.filter(committee=jiangmen, kind=DutyKind.CONSULTATION).exists()
    assert DutyRecord.objects.filter(committee=jiangmen, kind=DutyKind.RESEARCH).exists()
    assert DutyRecord.objects.filter(committee=jiangmen, kind=DutyKind.SPEECH).exists()


@pytest.mark.django_db
def test_guangan_micro_consultations_run_under_its_series_at_its_stations(seeded):
    guangan = Committee.objects.get(division_code="511602")
    micro = Consultation.objects.filter(committee=guangan, form=Form.MICRO)
    assert micro.count() >= 4
    assert set(micro.values_list("series", flat=True)) == {"有事来协商"}
    assert all("有事来协商" in c.station.name for c in micro.select_related("station"))
    # One of them is run by the demo member login at their own station.
    assert micro.filter(created_by__username="ga_member").exists()
    assert micro.filter(is_good_case=True, state="closed").exists()


@pytest.mark.django_db
def test_demo_consultations_seed_only_once(seeded):
    before = Consultation.objects.count()
    assert seed_consultations() == 0
    assert Consultation.objects.count() == before
