from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from zhengxie.accounts.models import Role
from zhengxie.consultations import services
from zhengxie.consultations.models import Consultation, Form, Outcome, Participant
from zhengxie.org.models import HandlingUnit, Station
from zhengxie.testing.factories import HandlingUnitFactory, StationFactory, UserFactory, grant


@dataclass
class CW:
    world: object
    station: Station
    other_unit: HandlingUnit
    other_unit_user: object

    @property
    def past(self):  # type: ignore[no-untyped-def]
        return timezone.localdate() - timedelta(days=3)

    def consultation(self, **kwargs) -> Consultation:
        w = self.world
        data = {
            "user": w.office,
            "committee": w.city,
            "title": "关于加快江门市老旧小区加装电梯的协商",
            "held_on": self.past,
            "form": Form.STANDING,
        }
        data.update(kwargs)
        return services.consultation_create(**data)

    def held(self, members=None, **kwargs) -> Consultation:  # type: ignore[no-untyped-def]
        """Held, with the given members (default 张三 and 李四) present."""
        w = self.world
        c = self.consultation(**kwargs)
        for m in members if members is not None else [w.member, w.other_member]:
            p = services.participant_add(consultation=c, user=w.office, member=m)
            services.attendance_set(
                consultation=c, user=w.office, participant=p, attendance=Participant.Attendance.ATTENDED
            )
        return services.consultation_hold(consultation=c, user=w.office, summary="与会人员充分协商。")

    def outcome(self, consultation: Consultation | None = None, text: str = "增设路灯") -> Outcome:
        c = consultation or self.held()
        return services.outcome_add(consultation=c, user=self.world.office, text=text)

    def transferred(self, consultation: Consultation | None = None) -> Outcome:
        o = self.outcome(consultation)
        return services.outcome_transfer(
            outcome=o,
            user=self.world.office,
            unit=self.world.unit,
            deadline=timezone.localdate() + timedelta(days=30),
        )


@pytest.fixture
def cw(world):  # type: ignore[no-untyped-def]
    station = StationFactory(committee=world.city, name="蓬江区委员工作室", address="江门市蓬江区")
    other_unit = HandlingUnitFactory(committee=world.city, name="江门市住房和城乡建设局")
    other_unit_user = UserFactory(username="unit2")
    grant(other_unit_user, world.city, Role.UNIT, other_unit)
    return CW(world=world, station=station, other_unit=other_unit, other_unit_user=other_unit_user)
