"""Shared pytest fixtures: a small committee tree and one user per role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from zhengxie.accounts.models import Role, User
from zhengxie.org.models import Committee, HandlingUnit, Member
from zhengxie.testing.factories import (
    CommitteeFactory,
    HandlingUnitFactory,
    MemberFactory,
    UserFactory,
    grant,
)


@dataclass
class World:
    province: Committee
    city: Committee  # e.g. Jiangmen
    sibling: Committee  # e.g. Hezhou: same level, another subtree
    county: Committee  # child of city
    member_user: User
    member: Member
    other_member: Member  # same committee, another person
    sibling_member: Member
    office: User
    leader: User
    unit_user: User
    unit: HandlingUnit
    admin: User
    auditor: User
    province_office: User
    sibling_office: User


@pytest.fixture
def world(db) -> World:  # type: ignore[no-untyped-def]
    province = CommitteeFactory(name="广东省政协", level=Committee.Level.PROVINCIAL, division_code="440000")
    city = CommitteeFactory(name="江门市政协", parent=province, division_code="440700", region_name="江门市")
    sibling = CommitteeFactory(
        name="贺州市政协", parent=province, division_code="451100", region_name="贺州市"
    )
    county = CommitteeFactory(
        name="江海区政协",
        parent=city,
        level=Committee.Level.COUNTY,
        division_code="440704",
        region_name="江海区",
    )
    member_user = UserFactory(username="member1")
    member = MemberFactory(committee=city, user=member_user, name="张三")
    grant(member_user, city, Role.MEMBER)
    other_member = MemberFactory(committee=city, name="李四")
    sibling_member = MemberFactory(committee=sibling, name="王五")
    office = UserFactory(username="office1")
    grant(office, city, Role.OFFICE)
    leader = UserFactory(username="leader1")
    grant(leader, city, Role.LEADER)
    unit = HandlingUnitFactory(committee=city, name="江门市教育局")
    unit_user = UserFactory(username="unit1")
    grant(unit_user, city, Role.UNIT, unit)
    admin = UserFactory(username="admin1")
    grant(admin, city, Role.ADMIN)
    auditor = UserFactory(username="auditor1")
    grant(auditor, city, Role.AUDITOR)
    province_office = UserFactory(username="provoffice")
    grant(province_office, province, Role.OFFICE)
    sibling_office = UserFactory(username="hezhouoffice")
    grant(sibling_office, sibling, Role.OFFICE)
    return World(
        province=province,
        city=city,
        sibling=sibling,
        county=county,
        member_user=member_user,
        member=member,
        other_member=other_member,
        sibling_member=sibling_member,
        office=office,
        leader=leader,
        unit_user=unit_user,
        unit=unit,
        admin=admin,
        auditor=auditor,
        province_office=province_office,
        sibling_office=sibling_office,
    )
