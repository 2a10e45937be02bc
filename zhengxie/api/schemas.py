from __future__ import annotations

from typing import Any

from ninja import Schema


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
