"""Reports in each state, driven through the services as the right people."""

from __future__ import annotations

import pytest

from zhengxie.opinions import services
from zhengxie.opinions.models import OpinionReport, ReportState


class Reports:
    def __init__(self, world) -> None:  # type: ignore[no-untyped-def]
        self.world = world
        self.count = 0

    def draft(self, **kwargs) -> OpinionReport:  # type: ignore[no-untyped-def]
        self.count += 1
        data = {
            "user": self.world.member_user,
            "committee": self.world.city,
            "title": f"关于解决江海区学校周边交通拥堵的建议{self.count}",
            "situation": "上下学高峰期学校周边道路拥堵严重。",
            "suggestion": "增设临时停车位，错峰放学。",
        }
        data.update(kwargs)
        return services.report_create(**data)

    def bring_to(self, state: str, **kwargs) -> OpinionReport:  # type: ignore[no-untyped-def]
        w = self.world
        author = kwargs.get("user", w.member_user)
        report = self.draft(**kwargs)
        if state == ReportState.DRAFT:
            return report
        report = services.report_submit(report=report, user=author)
        if state == ReportState.SUBMITTED:
            return report
        if state == ReportState.WITHDRAWN:
            return services.report_withdraw(report=report, user=author)
        if state == ReportState.ARCHIVED:
            return services.report_archive(report=report, user=w.office, reason="内容已有反映")
        if state == ReportState.MERGED:
            into = services.report_submit(report=self.draft(), user=w.member_user)
            return services.report_merge(report=report, user=w.office, into=into)
        forwarding = services.report_forward(
            report=report, user=w.office, target="party_committee", receiver="江门市委办公室"
        )
        report.refresh_from_db()
        if state == ReportState.FORWARDED:
            return report
        services.report_adopt(report=report, user=w.office, forwarding=forwarding)
        report.refresh_from_db()
        assert report.state == state == ReportState.ADOPTED
        return report


@pytest.fixture
def reports(world) -> Reports:  # type: ignore[no-untyped-def]
    return Reports(world)
