from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from zhengxie.duties.models import DutyKind, DutyRecord, Evaluation, ScoringRule, ScoringScheme

pytestmark = pytest.mark.django_db


def test_recompute_command_picks_up_new_records(world):
    scheme = ScoringScheme.objects.create(committee=world.city, year=2026, version=1, name="办法")
    ScoringRule.objects.create(scheme=scheme, kind=DutyKind.TRAINING, points=3)
    DutyRecord.objects.create(
        committee=world.city,
        member=world.member,
        year=2026,
        kind=DutyKind.TRAINING,
        title="培训",
        occurred_on=date(2026, 5, 1),
    )
    out = StringIO()
    call_command("recompute_evaluations", "--year", "2026", stdout=out)
    assert "江门市政协 2026年" in out.getvalue()
    assert Evaluation.objects.get(member=world.member).points == 3
    with pytest.raises(CommandError, match="未找到"):
        call_command("recompute_evaluations", "--committee", "999999", "--year", "2026")
    out = StringIO()
    call_command("recompute_evaluations", "--year", "2019", stdout=out)
    assert "没有需要计算" in out.getvalue()
