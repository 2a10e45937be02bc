"""API schemas for 群众诉求. Input schemas hold only what the caller may set: state, number, taken_by,
flags, outcome links and (except where the person chooses where to raise it) committee are never accepted;
unknown fields are ignored. Output never carries the person's name or phone except in ConcernOut.person,
masked unless the caller handles the concern."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from zhengxie.grassroots.models import Concern, ConcernEvent


class ConcernListOut(Schema):
    id: int
    number: str
    committee_id: int
    committee: str
    station_id: int | None
    station: str
    title: str
    category: str
    category_label: str
    channel: str
    state: str
    state_label: str
    outcome: str
    taken_by: str
    created_at: datetime

    @staticmethod
    def resolve_committee(obj: Concern) -> str:
        return obj.committee.name

    @staticmethod
    def resolve_station(obj: Concern) -> str:
        return obj.station.name if obj.station_id else ""  # type: ignore[union-attr]

    @staticmethod
    def resolve_category_label(obj: Concern) -> str:
        return obj.get_category_display()

    @staticmethod
    def resolve_state_label(obj: Concern) -> str:
        return obj.get_state_display()

    @staticmethod
    def resolve_taken_by(obj: Concern) -> str:
        return obj.taken_by.name if obj.taken_by_id else ""  # type: ignore[union-attr]


class PersonOut(Schema):
    name: str
    phone: str
    masked: bool


class EventOut(Schema):
    action: str
    from_state: str
    to_state: str
    note: str
    public: bool
    at: datetime

    @staticmethod
    def resolve_note(obj: ConcernEvent) -> str:
        return obj.note


class ConcernOut(ConcernListOut):
    content: str
    result: str
    reject_reason: str
    flags: list[str]
    taken_at: datetime | None
    closed_at: datetime | None
    opinion_report_id: int | None
    proposal_id: int | None
    consultation_id: int | None
    person: PersonOut
    events: list[EventOut]
    actions: list[str]

    @staticmethod
    def resolve_person(obj: Any) -> dict[str, object]:
        return obj.api_person

    @staticmethod
    def resolve_flags(obj: Any) -> list[str]:
        return list(obj.flags) if obj.api_is_office else []

    @staticmethod
    def resolve_events(obj: Concern) -> list[ConcernEvent]:
        return list(obj.events.all())

    @staticmethod
    def resolve_actions(obj: Any) -> list[str]:
        return obj.api_actions


class PublicRaiseIn(Schema):
    committee_id: int
    station_id: int | None = None
    title: str = Field(max_length=200)
    content: str = Field(max_length=4000)
    category: str = Concern.Category.OTHER
    name: str = Field("", max_length=60)
    phone: str = Field("", max_length=40)
    # The honeypot of the web form, for clients that mirror it; people leave it empty.
    trap: str = Field("", max_length=200)


class PublicRaiseOut(Schema):
    number: str
    state: str
    state_label: str
    message: str


class ReceptionIn(Schema):
    station_id: int
    channel: str = Concern.Channel.VISIT
    title: str = Field(max_length=200)
    content: str = Field(max_length=4000)
    category: str = Concern.Category.OTHER
    name: str = Field("", max_length=60)
    phone: str = Field("", max_length=40)


class PublicEventOut(Schema):
    at: datetime
    note: str


class PublicStatusOut(Schema):
    number: str
    title: str
    station: str
    raised_on: date
    state: str
    outcome: str
    result: str
    follow_up: str
    events: list[PublicEventOut]


class ResultIn(Schema):
    result: str = Field(max_length=6000)


class ConcernReasonIn(Schema):
    reason: str = Field("", max_length=1000)


class OpinionIn(Schema):
    title: str = Field("", max_length=200)
    suggestion: str = Field("", max_length=20000)


class ProposalIn(Schema):
    session_id: int
    suggestions: str = Field("", max_length=20000)


class ConsultationIn(Schema):
    held_on: date
    title: str = Field("", max_length=200)
    series: str = Field("有事来协商", max_length=40)


class RouteIn(Schema):
    station_id: int
