"""Recompute annual evaluations. Platform steps add duty records all day without recomputing on each one;
run this nightly (cron or a systemd timer) so ranks include yesterday's duties."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhengxie.duties import scoring
from zhengxie.duties.models import ScoringScheme
from zhengxie.org.models import Committee


class Command(BaseCommand):
    help = "重新计算履职考评得分与排名（默认：今年所有已制定考评办法的政协）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--committee", help="政协行政区划代码（默认全部）")
        parser.add_argument("--year", type=int, help="年度（默认今年）")

    def handle(self, *args: Any, **options: Any) -> None:
        year = options["year"] or timezone.localdate().year
        schemes = ScoringScheme.objects.filter(year=year)
        if options["committee"]:
            committee = Committee.objects.filter(division_code=options["committee"]).first()
            if committee is None:
                raise CommandError(f"未找到行政区划代码为 {options['committee']} 的政协")
            schemes = schemes.filter(committee=committee)
        committee_ids = sorted(set(schemes.values_list("committee_id", flat=True)))
        if not committee_ids:
            self.stdout.write(f"{year}年没有需要计算的政协（未制定考评办法）")
            return
        for committee_id in committee_ids:
            result = scoring.recompute(committee_id, year)
            name = Committee.objects.get(pk=committee_id).name
            self.stdout.write(f"{name} {year}年：委员{result.members}名，履职记录{result.records}条")
