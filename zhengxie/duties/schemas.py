"""API schemas for duty records and the annual evaluation. Input schemas hold only what the caller may set:
the member, committee, status and origin of a claim come from the caller, never from the body."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema


class RecordOut(Schema):
    id: int
    year: int
    kind: str
    kind_label: str
    title: str
    occurred_on: date
    status: str
    status_label: str
    origin: str
    url: str
    detail: dict
    evidence: str
    review_note: str
    points: Decimal | None = None
    capped_from: Decimal | None = None


class EvaluationOut(Schema):
    points: Decimal
    rank: int
    of: int
    records: int
    scheme: str
    scheme_version: int
    computed_at: datetime


class ContestOut(Schema):
    id: int
    record_id: int
    record_title: str
    reason: str
    state: str
    state_label: str
    resolution: str
    created_at: datetime


class MyFileOut(Schema):
    member_id: int
    name: str
    committee: str
    year: int
    evaluation: EvaluationOut | None
    records: list[RecordOut]
    contests: list[ContestOut]


class RankingOut(Schema):
    rank: int
    member_id: int
    name: str
    sector: str
    party: str
    points: Decimal
    records: int
    below_threshold: bool


class ClaimIn(Schema):
    kind: str = Field(max_length=20)
    title: str = Field(max_length=200)
    occurred_on: date
    evidence: str = Field(max_length=5000)


class ContestIn(Schema):
    reason: str = Field(max_length=2000)
