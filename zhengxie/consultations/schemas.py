"""API schemas for 协商议政. Input schemas hold only what the caller may set: committee, state, number,
percent of a completed item and the unit of an item (except through the office's transfer) are never
accepted (unknown fields are ignored)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from zhengxie.consultations.models import Consultation, ConsultationPlan, Outcome


class ConsultationListOut(Schema):
    id: int
    committee_id: int
    committee: str
    kind: str
    form: str
    form_label: str
    series: str
    title: str
    held_on: date
    place: str
    station_id: int | None
    station: str
    state: str
    state_label: str
    is_good_case: bool
    outcome_count: int = 0
    overdue_count: int = 0

    @staticmethod
    def resolve_committee(obj: Consultation) -> str:
        return obj.committee.name

    @staticmethod
    def resolve_form_label(obj: Consultation) -> str:
        return obj.get_form_display() if obj.form else ""

    @staticmethod
    def resolve_station(obj: Consultation) -> str:
        return obj.station.name if obj.station_id else ""  # type: ignore[union-attr]

    @staticmethod
    def resolve_state_label(obj: Consultation) -> str:
        return obj.get_state_display()


class ParticipantOut(Schema):
    id: int
    kind: str
    name: str
    organisation: str
    attendance: str


class ProgressOut(Schema):
    action: str
    from_state: str
    to_state: str
    percent: int
    note: str
    at: datetime


class OutcomeOut(Schema):
    id: int
    consultation_id: int
    consultation: str
    number: int
    text: str
    unit_id: int | None
    unit: str
    deadline: date | None
    state: str
    state_label: str
    percent: int
    response: str
    feedback: str
    overdue: bool
    version: int
    progress: list[ProgressOut]
    actions: list[str] = Field(description="当前用户在此状态下可执行的流转操作")

    @staticmethod
    def resolve_consultation(obj: Outcome) -> str:
        return obj.consultation.title

    @staticmethod
    def resolve_unit(obj: Outcome) -> str:
        return obj.unit.name if obj.unit_id else ""  # type: ignore[union-attr]

    @staticmethod
    def resolve_state_label(obj: Outcome) -> str:
        return obj.get_state_display()

    @staticmethod
    def resolve_overdue(obj: Outcome) -> bool:
        from zhengxie.consultations.queries import is_overdue

        return is_overdue(obj)

    @staticmethod
    def resolve_progress(obj: Outcome) -> list[Any]:
        return list(obj.progress.all())

    @staticmethod
    def resolve_actions(obj: Outcome) -> list[str]:
        return getattr(obj, "api_actions", [])


class ConsultationOut(ConsultationListOut):
    summary: str
    minutes: str
    version: int
    participants: list[ParticipantOut] = Field(description="仅对能看到整个活动的人列出")
    outcomes: list[OutcomeOut]

    @staticmethod
    def resolve_participants(obj: Consultation) -> list[Any]:
        return getattr(obj, "api_participants", None) or []

    @staticmethod
    def resolve_minutes(obj: Consultation) -> str:
        return obj.minutes if getattr(obj, "api_participants", None) is not None else ""

    @staticmethod
    def resolve_outcomes(obj: Consultation) -> list[Any]:
        return getattr(obj, "api_outcomes", [])


class TopicOut(Schema):
    id: int
    title: str
    form: str
    month: int
    lead_id: int | None
    description: str


class PlanListOut(Schema):
    id: int
    committee_id: int
    year: int
    title: str
    state: str
    approved_on: date | None
    published_at: datetime | None


class PlanOut(PlanListOut):
    approval_document: str
    topics: list[TopicOut]

    @staticmethod
    def resolve_topics(obj: ConsultationPlan) -> list[Any]:
        return list(obj.topics.order_by("order", "month", "id"))


class TransferIn(Schema):
    unit_id: int
    deadline: date


class RespondIn(Schema):
    accept: bool
    response: str = Field("", max_length=5000)


class ConsultationReasonIn(Schema):
    reason: str = Field(max_length=500)


class ProgressIn(Schema):
    percent: int = Field(ge=0, le=99, description="0到99；完成请调用 complete")
    note: str = Field(max_length=5000)


class NoteIn(Schema):
    note: str = Field(max_length=5000)


class FeedbackIn(Schema):
    feedback: str = Field(max_length=5000)
