"""factory_boy factories for the whole project's tests (real rows, no mocks)."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from zhengxie.accounts.crypto import id_number_with_check
from zhengxie.accounts.models import RoleGrant, User
from zhengxie.org import services
from zhengxie.org.models import Committee, HandlingUnit, Member, Party, Sector, Station

DEFAULT_PASSWORD = "Zx-test-2026"


class CommitteeFactory(DjangoModelFactory):
    class Meta:
        model = Committee

    name = factory.Sequence(lambda n: f"测试市{n}政协")
    region_name = factory.Sequence(lambda n: f"测试市{n}")
    level = Committee.Level.PREFECTURE
    division_code = factory.Sequence(lambda n: f"{900000 + n:06d}")
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # type: ignore[no-untyped-def]
        return services.committee_create(
            name=kwargs["name"],
            level=kwargs["level"],
            parent=kwargs.get("parent"),
            division_code=kwargs.get("division_code"),
            region_name=kwargs.get("region_name", ""),
        )


class SectorFactory(DjangoModelFactory):
    class Meta:
        model = Sector

    committee = factory.SubFactory(CommitteeFactory)
    name = factory.Sequence(lambda n: f"界别{n}")


class PartyFactory(DjangoModelFactory):
    class Meta:
        model = Party

    committee = factory.SubFactory(CommitteeFactory)
    name = factory.Sequence(lambda n: f"党派{n}")
    short_name = factory.Sequence(lambda n: f"党{n}")
    kind = Party.Kind.DEMOCRATIC


class StationFactory(DjangoModelFactory):
    class Meta:
        model = Station

    committee = factory.SubFactory(CommitteeFactory)
    name = factory.Sequence(lambda n: f"委员工作室{n}")
    kind = Station.Kind.STUDIO
    level = Station.Level.STREET


class HandlingUnitFactory(DjangoModelFactory):
    class Meta:
        model = HandlingUnit

    committee = factory.SubFactory(CommitteeFactory)
    name = factory.Sequence(lambda n: f"测试局{n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create:
            self.save()


class MemberFactory(DjangoModelFactory):
    class Meta:
        model = Member

    committee = factory.SubFactory(CommitteeFactory)
    name = factory.Sequence(lambda n: f"委员{n}")
    sector = factory.LazyAttribute(lambda o: SectorFactory(committee=o.committee))
    mobile = factory.Sequence(lambda n: f"139{n:08d}")
    id_number = factory.Sequence(lambda n: id_number_with_check(f"44070019800101{n % 1000:03d}"))


def grant(user: User, committee: Committee, role: str, unit: HandlingUnit | None = None) -> RoleGrant:
    return RoleGrant.objects.create(user=user, committee=committee, role=role, handling_unit=unit)
