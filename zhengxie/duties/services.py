"""Writing duty records. Capabilities call record_duty from inside their own transaction, so a
rolled-back step leaves no duty behind, and a retried one finds the row it wrote."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction

from zhengxie.duties.models import DutyRecord
from zhengxie.org.models import Member


def record_duty(
    *,
    member: Member,
    kind: str,
    source: models.Model,
    title: str,
    occurred_on: date,
    url: str = "",
    detail: dict | None = None,
    origin: str = DutyRecord.Origin.PLATFORM,
) -> DutyRecord:
    source_type = ContentType.objects.get_for_model(source)
    lookup = {"member": member, "kind": kind, "source_type": source_type, "source_id": source.pk}
    existing = DutyRecord.objects.filter(**lookup).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return DutyRecord.objects.create(
                **lookup,
                committee_id=member.committee_id,
                year=occurred_on.year,
                title=title[:200],
                occurred_on=occurred_on,
                url=url[:300],
                detail=detail or {},
                origin=origin,
            )
    except IntegrityError:  # the same step recorded at the same moment elsewhere
        return DutyRecord.objects.get(**lookup)


def record_duties(
    *,
    members: Iterable[Member],
    kind: str,
    source: models.Model,
    title: str,
    occurred_on: date,
    url: str = "",
    detail: dict | None = None,
) -> list[DutyRecord]:
    return [
        record_duty(
            member=m, kind=kind, source=source, title=title, occurred_on=occurred_on, url=url, detail=detail
        )
        for m in {m.pk: m for m in members}.values()
    ]


def duties_of_source(source: models.Model) -> models.QuerySet[DutyRecord]:
    return DutyRecord.objects.filter(
        source_type=ContentType.objects.get_for_model(source), source_id=source.pk
    ).select_related("member")
