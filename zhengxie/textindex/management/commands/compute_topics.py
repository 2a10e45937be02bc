"""Enqueue the hot topics of a year for every committee with work that year (or one committee): for cron."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhengxie.org.models import Committee
from zhengxie.textindex import topics


class Command(BaseCommand):
    help = "计算热点议题（后台任务）：每个有提案、社情民意或群众诉求的政协，本级及含下级各一份"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--year", type=int, default=None, help="年度（默认今年）")
        parser.add_argument("--committee", type=int, default=None, help="只算这一个政协")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        year = options["year"] or timezone.localdate().year
        if options["committee"] is not None:
            if not Committee.objects.filter(pk=options["committee"]).exists():
                raise CommandError("没有这个政协")
            ids = [options["committee"]]
        else:
            ids = list(topics.committees_with_work(year))
        # Scope "all" (with every committee below) for each committee above one with work, and for one
        # with work that has committees below it.
        above = {a for c in Committee.objects.filter(pk__in=ids) for a in c.ancestors_ids()}
        parents = set(Committee.objects.filter(parent_id__in=ids).values_list("parent_id", flat=True))
        jobs = [(pk, False) for pk in ids] + [(pk, True) for pk in sorted(above | parents)]
        for committee_id, include_children in jobs:
            topics.compute_hot_topics.enqueue(committee_id, year, include_children)
        n = len(jobs)
        self.stdout.write(f"已提交 {n} 项热点议题计算（{year}年）")
