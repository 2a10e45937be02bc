"""Schemas shared by every router. Each schema class is an OpenAPI component named after the class, so a
class name is used once in the whole API (test_openapi_document guards it)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from ninja import Schema
from pydantic import WithJsonSchema


def choices_schema(choices: type[Enum], name: str) -> WithJsonSchema:
    """A model's choices inline under a name of their own: Django names them after the inner class
    (Proposal.Kind, OpinionReport.Kind), and two components called Kind would overwrite each other."""
    return WithJsonSchema({"title": name, "type": "string", "enum": [c.value for c in choices]})


class ErrorOut(Schema):
    """Every refusal: {"detail": "…"} in Chinese."""

    detail: str


class TransitionOut(Schema):
    """One step of a workflow's history (proposals, 社情民意)."""

    action: str
    from_state: str
    to_state: str
    reason: str
    at: datetime


class GrantOut(Schema):
    committee_id: int
    committee: str
    role: str
    role_label: str
    handling_unit_id: int | None


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    grants: list[GrantOut]


class MemberOut(Schema):
    """Personal data leaves the API masked only."""

    id: int
    committee_id: int
    committee: str
    name: str
    gender: str
    sector: str
    party: str | None
    position: str
    position_label: str
    station: str | None
    is_cpc_member: bool
    is_hk_macao: bool
    enterprise: str
    mobile_masked: str
    id_number_masked: str
    resident_committee_id: int | None

    @staticmethod
    def resolve_committee(obj: Any) -> str:
        return obj.committee.name

    @staticmethod
    def resolve_sector(obj: Any) -> str:
        return obj.sector.name

    @staticmethod
    def resolve_party(obj: Any) -> str | None:
        return obj.party.short_name if obj.party_id else None

    @staticmethod
    def resolve_station(obj: Any) -> str | None:
        return obj.station.name if obj.station_id else None

    @staticmethod
    def resolve_position_label(obj: Any) -> str:
        return obj.get_position_display()


class CommitteeStatsOut(Schema):
    committee_id: int
    committee: str
    division_code: str | None
    members: int
    members_in_children: int
    children: int
