"""`manage.py retrain_routing [--committee ID] [--enqueue]`: retrain the routing suggestion from the
committees' past proposals and assignments (nightly from cron; also queued by itself after every
routing.RETRAIN_EVERY new assignments of a committee). Without --committee: every committee with history."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhengxie.org.models import Committee
from zhengxie.textindex import routing


class Command(BaseCommand):
    help = "重新训练交办建议模型（各政协以往的提案类别和交办单位）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--committee", type=int, help="只训练该政协（编号）；不填则全部")
        parser.add_argument("--enqueue", action="store_true", help="交给后台任务执行，而不是立即训练")

    def handle(self, *args: Any, **options: Any) -> None:
        committee_id = options.get("committee")
        if committee_id is not None and not Committee.objects.filter(pk=committee_id).exists():
            raise CommandError(f"没有编号为 {committee_id} 的政协")
        if options["enqueue"]:
            result = routing.retrain_routing_task.enqueue(committee_id=committee_id)
            self.stdout.write(f"已加入后台任务：{result.id}")
            return
        for models in routing.retrain(committee_id):
            who = "全部政协（类别）" if models.committee_id is None else f"政协 {models.committee_id}"
            parts = [f"提案 {models.n_proposals} 件"]
            if models.committee_id is not None:
                parts.append(f"交办 {models.n_assignments} 条")
            trained = [
                name
                for name, m in (("类别", models.category), ("主办", models.lead), ("会办", models.co))
                if m is not None
            ]
            parts.append("已训练：" + ("、".join(trained) if trained else "历史不足，使用对照表"))
            self.stdout.write(f"{who}：{'，'.join(parts)}（{models.version}）")
