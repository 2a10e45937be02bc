"""A committee-year with rules, records of several kinds and a computed evaluation."""

from dataclasses import dataclass
from datetime import date

import pytest
from django.contrib.messages import get_messages

from zhengxie.duties import scoring, services
from zhengxie.duties.models import DutyKind, DutyRecord, ScoringScheme

YEAR = date.today().year
DAY = date(YEAR, 1, 1)


@dataclass
class DW:
    world: object
    scheme: ScoringScheme

    def staff(self, member, kind, title="事项", on=DAY, **detail) -> DutyRecord:
        return services.duty_add_by_staff(
            user=self.world.office, member=member, kind=kind, title=title, occurred_on=on, detail=detail
        )

    def recompute(self) -> None:
        scoring.recompute(self.world.city.pk, YEAR)


@pytest.fixture
def dw(world):
    scheme = services.scheme_create(
        user=world.office,
        committee=world.city,
        year=YEAR,
        name=f"{YEAR}年度委员履职考评办法",
        rules={DutyKind.TRAINING: (2, 4), DutyKind.INVESTMENT: (5, None), DutyKind.ABSENCE: (-5, 20)},
        threshold=10,
    )
    d = DW(world=world, scheme=scheme)
    for i in range(3):
        d.staff(world.member, DutyKind.TRAINING, f"参加履职培训第{i + 1}期")  # 2 + 2 + 0 (capped at 4)
    d.staff(world.member, DutyKind.INVESTMENT, "引进冷链物流中心项目", contract_value="32000")
    d.staff(world.other_member, DutyKind.ABSENCE, "未请假缺席全体会议")
    d.recompute()
    return d


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]
