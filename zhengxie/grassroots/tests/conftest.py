"""Concern fixtures: two stations of 江门市政协, a member at each, a colleague at the first."""

from dataclasses import dataclass

import pytest
from django.core.cache import cache

from zhengxie.accounts.models import Role, User
from zhengxie.grassroots import services
from zhengxie.grassroots.models import Concern
from zhengxie.org.models import Member, Station
from zhengxie.testing.factories import MemberFactory, StationFactory, UserFactory, grant


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    # The rate limits count in the cache, which outlives a test's transaction.
    cache.clear()
    yield
    cache.clear()


@dataclass
class CW:
    world: object
    station: Station
    other_station: Station
    colleague_user: User
    colleague: Member
    other_station_user: User

    def raise_one(self, **kwargs) -> Concern:
        data = {
            "committee": self.world.city,
            "station": self.station,
            "title": "小区门口路灯不亮",
            "content": "朝翠路东段路灯坏了两个月，晚上出行不安全。",
            "category": "urban",
            "name": "赵大妈",
            "phone": "13800138000",
            "source": "",
        }
        data.update(kwargs)
        return services.concern_raise(**data)

    def taken(self, **kwargs) -> Concern:
        return services.concern_take(concern=self.raise_one(**kwargs), user=self.world.member_user)


@pytest.fixture
def cw(world) -> CW:
    station = StationFactory(committee=world.city, name="江海区“有事来协商”委员工作室")
    other_station = StationFactory(committee=world.city, name="新会区委员工作室")
    world.member.station = station
    world.member.save()
    colleague_user = UserFactory(username="colleague", display_name="陈静")
    colleague = MemberFactory(committee=world.city, user=colleague_user, station=station, name="陈静")
    grant(colleague_user, world.city, Role.MEMBER)
    other_station_user = UserFactory(username="otherstation", display_name="黄伟")
    MemberFactory(committee=world.city, user=other_station_user, station=other_station, name="黄伟")
    grant(other_station_user, world.city, Role.MEMBER)
    return CW(
        world=world,
        station=station,
        other_station=other_station,
        colleague_user=colleague_user,
        colleague=colleague,
        other_station_user=other_station_user,
    )
