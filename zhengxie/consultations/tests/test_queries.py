"""Visibility of consultations, agreed items and plans (queries.py), rule by rule. The `cv` fixture here is
shared with the view and API tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from zhengxie.accounts.models import Role
from zhengxie.consultations import queries, services
from zhengxie.consultations.models import Consultation, ConsultationPlan, Form, Outcome
from zhengxie.testing.factories import (
    HandlingUnitFactory,
    MemberFactory,
    StationFactory,
    UserFactory,
    grant,
)

pytestmark = pytest.mark.django_db


@dataclass
class CV:
    world: object
    station: object
    station_user: object  # a member of the city assigned to the station
    station_member: object
    other_unit: object
    other_unit_user: object
    lisi_user: object  # 李四 (other_member) with a login

    def make(self, *, state: str = "planned", form: str = Form.MICRO, kind: str = "consultation", **extra):
        w = self.world
        data = {
            "user": w.office,
            "committee": w.city,
            "title": "朝翠路路灯亮化",
            "held_on": timezone.localdate() - timedelta(days=1),
            "kind": kind,
            "form": form,
            "series": "有事来协商",
            "station_id": self.station.pk,
        }
        data.update(extra)
        c = services.consultation_create(**data)
        if state == Consultation.State.CANCELLED:
            return services.consultation_cancel(consultation=c, user=w.office)
        if state == Consultation.State.PLANNED:
            return c
        c = services.consultation_hold(consultation=c, user=w.office, summary="与居民协商")
        if state == Consultation.State.CLOSED:
            c = services.consultation_close(consultation=c, user=w.office)
        return c

    def item(self, consultation, *, to: str = "transferred", unit=None, deadline=None) -> Outcome:
        """An agreed item driven to `to` through the services."""
        w = self.world
        o = services.outcome_add(consultation=consultation, user=w.office, text="增设路灯12盏")
        consultation.refresh_from_db()
        if to == "draft":
            return o
        unit = unit or w.unit
        unit_user = w.unit_user if unit == w.unit else self.other_unit_user
        o = services.outcome_transfer(
            outcome=o,
            user=w.office,
            unit=unit,
            deadline=deadline or timezone.localdate() + timedelta(days=30),
        )
        if to == "transferred":
            return o
        if to == "not_accepted":
            return services.outcome_respond(outcome=o, user=unit_user, accept=False, response="无资金")
        o = services.outcome_respond(outcome=o, user=unit_user, accept=True, response="同意")
        if to == "accepted":
            return o
        o = services.outcome_complete(outcome=o, user=unit_user, note="已亮灯")
        if to == "done":
            return o
        return services.outcome_report_back(outcome=o, user=w.office, feedback="已告知居民")


@pytest.fixture
def cv(world):
    station = StationFactory(committee=world.city, name="江海区委员工作室")
    station_user = UserFactory(username="stationmember")
    station_member = MemberFactory(committee=world.city, user=station_user, name="赵六", station=station)
    grant(station_user, world.city, Role.MEMBER)
    other_unit = HandlingUnitFactory(committee=world.city, name="江门市住房和城乡建设局")
    other_unit_user = UserFactory(username="unit2")
    grant(other_unit_user, world.city, Role.UNIT, other_unit)
    lisi_user = UserFactory(username="lisi")
    world.other_member.user = lisi_user
    world.other_member.save()
    grant(lisi_user, world.city, Role.MEMBER)
    return CV(
        world=world,
        station=station,
        station_user=station_user,
        station_member=station_member,
        other_unit=other_unit,
        other_unit_user=other_unit_user,
        lisi_user=lisi_user,
    )


def visible(user):
    return set(queries.consultations_visible_to(user).values_list("pk", flat=True))


def test_office_and_leader_see_every_consultation_of_the_committee_in_every_state(cv):
    w = cv.world
    ids = {cv.make(state=s).pk for s in ("planned", "held", "cancelled", "closed")}
    assert visible(w.office) == ids
    assert visible(w.leader) == ids


def test_member_of_the_committee_sees_all_but_cancelled(cv):
    w = cv.world
    planned, held, cancelled = cv.make(), cv.make(state="held"), cv.make(state="cancelled")
    assert visible(w.member_user) == {planned.pk, held.pk}
    assert cancelled.pk not in visible(w.member_user)


def test_participant_sees_a_cancelled_consultation_they_were_invited_to(cv):
    w = cv.world
    c = cv.make()
    services.participant_add(consultation=c, user=w.office, member=w.member)
    c.refresh_from_db()
    services.consultation_cancel(consultation=c, user=w.office)
    assert visible(w.member_user) == {c.pk}
    assert visible(cv.lisi_user) == set()


def test_resident_member_of_a_higher_committee_sees_only_what_they_take_part_in(cv):
    w = cv.world
    resident_user = UserFactory(username="resident")
    resident = MemberFactory(
        committee=w.province, user=resident_user, name="住区委员", resident_committee=w.city
    )
    invited, other = cv.make(), cv.make()
    services.participant_add(consultation=invited, user=w.office, member=resident)
    assert visible(resident_user) == {invited.pk}
    assert other.pk not in visible(resident_user)


def test_station_member_sees_cancelled_micro_consultations_of_their_station(cv):
    c = cv.make(state="cancelled")
    elsewhere = cv.make(state="cancelled", station_id=StationFactory(committee=cv.world.city).pk)
    assert visible(cv.station_user) == {c.pk}
    assert elsewhere.pk not in visible(cv.station_user)


@pytest.mark.parametrize("name", ["sibling_office", "province_office", "admin", "auditor"])
def test_other_roles_and_committees_see_nothing(cv, name):
    cv.make(state="held")
    assert visible(getattr(cv.world, name)) == set()


def test_member_of_another_committee_sees_nothing(cv):
    w = cv.world
    wang = UserFactory(username="wangwu")
    w.sibling_member.user = wang
    w.sibling_member.save()
    grant(wang, w.sibling, Role.MEMBER)
    cv.make(state="held")
    assert visible(wang) == set()


def test_anonymous_sees_nothing(cv):
    from django.contrib.auth.models import AnonymousUser

    cv.make()
    assert visible(AnonymousUser()) == set()


def test_unit_sees_consultation_only_while_holding_an_item_and_only_its_items(cv):
    w = cv.world
    c = cv.make(state="held")
    assert visible(w.unit_user) == set()
    mine = cv.item(c)
    cv.item(c, unit=cv.other_unit)
    assert visible(w.unit_user) == {c.pk}
    assert not queries.sees_whole(w.unit_user, c)
    assert list(queries.outcomes_visible_in(w.unit_user, c, whole=False)) == [mine]
    services.outcome_hand_back(outcome=mine, user=w.unit_user, reason="不属于本单位职责")
    assert visible(w.unit_user) == set()


def test_access_consultation_answers_404_outside(cv):
    c = cv.make()
    with pytest.raises(Http404):
        queries.access_consultation(cv.world.sibling_office, c.pk)
    assert queries.access_consultation(cv.world.office, c.pk) == c


def test_outcomes_for_unit_puts_overdue_first_then_open_by_deadline_then_finished(cv):
    w = cv.world
    c = cv.make(state="held")
    today = timezone.localdate()
    closed = cv.item(c, to="closed", deadline=today + timedelta(days=1))
    later = cv.item(c, deadline=today + timedelta(days=20))
    sooner = cv.item(c, to="accepted", deadline=today + timedelta(days=5))
    overdue = cv.item(c, deadline=today + timedelta(days=3))
    Outcome.objects.filter(pk=overdue.pk).update(deadline=today - timedelta(days=2))
    cv.item(c, unit=cv.other_unit)
    assert list(queries.outcomes_for_unit(w.unit_user)) == [overdue, sooner, later, closed]
    assert list(queries.outcomes_for_unit(w.member_user)) == []


def test_filter_consultations_by_each_field(cv):
    w = cv.world
    micro = cv.make(state="held")
    research = cv.make(kind="research", form="", series="", station_id=None, title="调研")
    overdue = cv.make(state="held", series="委员议事厅")
    item = cv.item(overdue)
    Outcome.objects.filter(pk=item.pk).update(deadline=timezone.localdate() - timedelta(days=1))
    rows = queries.consultations_visible_to(w.office)

    def ids(**params):
        return set(queries.filter_consultations(rows, params).values_list("pk", flat=True))

    assert ids(form="micro") == {micro.pk, overdue.pk}
    assert ids(kind="research") == {research.pk}
    assert ids(state="planned") == {research.pk}
    assert ids(series="委员议事厅") == {overdue.pk}
    assert ids(station=str(cv.station.pk)) == {micro.pk, overdue.pk}
    assert ids(overdue="1") == {overdue.pk}
    assert ids(year=str(timezone.localdate().year)) == {micro.pk, research.pk, overdue.pk}
    assert ids(form="bogus", state="<script>", year="20x6") == {micro.pk, research.pk, overdue.pk}
    counts = {c.pk: c.overdue_count for c in queries.with_outcome_counts(rows)}
    assert counts == {micro.pk: 0, research.pk: 0, overdue.pk: 1}


def test_plans_office_and_leader_see_drafts_members_only_published(cv):
    w = cv.world
    draft = ConsultationPlan.objects.create(committee=w.city, year=2025, title="2025年度协商计划")
    published = ConsultationPlan.objects.create(
        committee=w.city, year=2026, title="2026年度协商计划", state=ConsultationPlan.State.PUBLISHED
    )
    hezhou = ConsultationPlan.objects.create(
        committee=w.sibling, year=2026, title="贺州", state=ConsultationPlan.State.PUBLISHED
    )

    def plans(user):
        return set(queries.plans_visible_to(user).values_list("pk", flat=True))

    assert plans(w.office) == {draft.pk, published.pk}
    assert plans(w.leader) == {draft.pk, published.pk}
    assert plans(w.member_user) == {published.pk}
    assert plans(w.sibling_office) == {hezhou.pk}
    for name in ("unit_user", "auditor", "admin", "province_office"):
        assert plans(getattr(w, name)) == set()
    with pytest.raises(Http404):
        queries.access_plan(w.member_user, draft.pk)
