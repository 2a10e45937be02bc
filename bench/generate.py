"""Data generators for the benchmark: one committee tree and members at scale, written with bulk_create.

Members get their blind indexes computed exactly as Member.save does (bulk_create skips save()), and their
mobile and ID number are encrypted by the field on the way in, so the rows look like imported ones.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from zhengxie.accounts import crypto
from zhengxie.accounts.models import Role, RoleGrant, User
from zhengxie.org import services
from zhengxie.org.models import Committee, Member, Party, Sector, SpecialCommittee, Station, Term

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志海波宁婷雪梅丹林"
ENTERPRISE_HEADS = (
    "市人民医院",
    "市第一中学",
    "建设集团有限公司",
    "农业发展有限公司",
    "律师事务所",
    "科技股份有限公司",
)
POSITIONS = (
    [Member.Position.MEMBER] * 80
    + [Member.Position.STANDING] * 15
    + [Member.Position.VICE_CHAIR] * 3
    + [Member.Position.SECRETARY_GENERAL]
    + [Member.Position.CHAIR]
)
# Codes starting 91 are not GB/T 2260 divisions, so the bench tree never collides with load_divisions.
PROVINCE_CODE = "910000"
CITY_CODE = "910100"


@dataclass
class Tree:
    national: Committee
    province: Committee
    city: Committee
    counties: list[Committee] = field(default_factory=list)

    @property
    def all(self) -> list[Committee]:
        return [self.province, self.city, *self.counties]


@dataclass
class GenStats:
    members: int = 0
    links: int = 0
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.members / self.seconds if self.seconds else 0.0


def committee_tree(n_counties: int) -> Tree:
    """全国政协 (loaded by load_divisions, else created here) > 省 > 市 > n 个县, each with the standard lists."""
    national = Committee.objects.filter(level=Committee.Level.NATIONAL).order_by("pk").first()
    if national is None:
        national = services.committee_create(
            name="全国政协", level=Committee.Level.NATIONAL, parent=None, division_code=None
        )
    province = services.committee_create(
        name="基准省政协",
        region_name="基准省",
        level=Committee.Level.PROVINCIAL,
        parent=national,
        division_code=PROVINCE_CODE,
    )
    city = services.committee_create(
        name="基准市政协",
        region_name="基准市",
        level=Committee.Level.PREFECTURE,
        parent=province,
        division_code=CITY_CODE,
    )
    tree = Tree(national=national, province=province, city=city)
    for i in range(1, n_counties + 1):
        tree.counties.append(
            services.committee_create(
                name=f"基准{i}县政协",
                region_name=f"基准{i}县",
                level=Committee.Level.COUNTY,
                parent=city,
                division_code=f"9101{i:02d}",
            )
        )
    for committee in tree.all:
        furnish(committee)
    return tree


def furnish(committee: Committee) -> None:
    """The standard lists, a term and eight stations: what members are generated against."""
    services.committee_setup_defaults(committee=committee)
    Term.objects.create(committee=committee, number=14, start_year=2022, end_year=2027)
    Station.objects.bulk_create(
        [
            Station(
                committee=committee,
                name=f"{committee.region_name}第{k}委员工作室",
                kind=Station.Kind.STUDIO,
                level=Station.Level.STREET,
            )
            for k in range(1, 9)
        ]
    )


def _lookups(committee: Committee) -> dict[str, list[int]]:
    return {
        "sectors": list(Sector.objects.filter(committee=committee).values_list("pk", flat=True)),
        "parties": list(Party.objects.filter(committee=committee).values_list("pk", flat=True)),
        "stations": list(Station.objects.filter(committee=committee).values_list("pk", flat=True)),
        "specials": list(SpecialCommittee.objects.filter(committee=committee).values_list("pk", flat=True)),
        "term": [Term.objects.get(committee=committee).pk],
    }


def members(plan: list[tuple[Committee, int]], *, resident_share: float = 0.02, seed: int = 2026) -> GenStats:
    """Create the members of each (committee, count) in plan, interleaved across committees the way a shared
    database fills up over time. A share of the first committee's members are 住区委员 of its children."""
    rng = random.Random(seed)
    started = time.perf_counter()
    lookups = {c.pk: _lookups(c) for c, _ in plan}
    children = {c.pk: list(Committee.objects.filter(parent=c).values_list("pk", flat=True)) for c, _ in plan}
    slots = [c for c, n in plan for _ in range(n)]
    rng.shuffle(slots)
    born0 = date(1955, 1, 1)
    batch: list[Member] = []
    specials: list[int | None] = []
    stats = GenStats()
    through = Member.special_committees.through

    def flush() -> None:
        created = Member.objects.bulk_create(batch, batch_size=1000)
        links = [
            through(member_id=m.pk, specialcommittee_id=s)
            for m, s in zip(created, specials, strict=True)
            if s is not None
        ]
        through.objects.bulk_create(links, batch_size=2000)
        stats.members += len(created)
        stats.links += len(links)
        batch.clear()
        specials.clear()

    for i, committee in enumerate(slots):
        look = lookups[committee.pk]
        born = born0 + timedelta(days=i % 12000)
        id_number = crypto.id_number_with_check(f"{committee.division_code}{born:%Y%m%d}{i // 12000:03d}")
        mobile = crypto.normalise_mobile(f"13{i:09d}")
        resident = None
        if children[committee.pk] and rng.random() < resident_share:
            resident = rng.choice(children[committee.pk])
        batch.append(
            Member(
                committee=committee,
                term_id=look["term"][0],
                name=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
                gender=rng.choice("MF"),
                birth_year=born.year,
                sector_id=rng.choice(look["sectors"]),
                party_id=rng.choice(look["parties"]) if rng.random() < 0.6 else None,
                position=rng.choice(POSITIONS),
                station_id=rng.choice(look["stations"]) if rng.random() < 0.5 else None,
                is_cpc_member=rng.random() < 0.4,
                is_hk_macao=rng.random() < 0.01,
                enterprise=committee.region_name + rng.choice(ENTERPRISE_HEADS),
                resident_committee_id=resident,
                # As Member.save: normalised mobile, upper-case ID number, blind indexes of both.
                id_number=id_number.upper(),
                mobile=mobile,
                mobile_index=crypto.blind_index(mobile),
                id_number_index=crypto.blind_index(id_number.upper()),
            )
        )
        specials.append(rng.choice(look["specials"]) if rng.random() < 0.3 else None)
        if len(batch) >= 2000:
            flush()
    if batch:
        flush()
    stats.seconds = time.perf_counter() - started
    return stats


def office_user(username: str, committee: Committee) -> User:
    user = User(username=username, display_name=f"{committee.region_name}机关")
    user.set_unusable_password()
    user.save()
    RoleGrant.objects.create(user=user, committee=committee, role=Role.OFFICE)
    return user


# Duties a member typically has in a year, with relative weights (platform-recorded and staff-entered).
DUTY_MIX = (
    ("proposal", 10),
    ("proposal_cosign", 8),
    ("proposal_filed", 6),
    ("opinion", 8),
    ("opinion_adopted", 3),
    ("instruction", 1),
    ("consultation", 10),
    ("research", 6),
    ("training", 10),
    ("reading", 8),
    ("station_duty", 8),
    ("concern", 6),
    ("visit", 4),
    ("volunteer", 3),
    ("attendance", 8),
    ("absence", 1),
)


def duty_records(committee: Committee, year: int, mean_per_member: int, seed: int = 7) -> tuple[int, float]:
    """Confirmed duty records for every member of the committee (between 1/3 and 5/3 of the mean each),
    bulk-inserted; returns (rows, seconds)."""
    from zhengxie.duties.models import DutyRecord

    rng = random.Random(seed)
    kinds = [k for k, _ in DUTY_MIX]
    weights = [w for _, w in DUTY_MIX]
    started = time.perf_counter()
    members = list(Member.objects.filter(committee=committee).values_list("id", flat=True))
    batch: list[DutyRecord] = []
    total = 0
    for member_id in members:
        for _ in range(rng.randint(mean_per_member // 3, mean_per_member * 5 // 3)):
            day = date(year, 1, 1) + timedelta(days=rng.randrange(330))
            kind = rng.choices(kinds, weights)[0]
            batch.append(
                DutyRecord(
                    committee_id=committee.pk,
                    member_id=member_id,
                    year=year,
                    kind=kind,
                    title=f"{kind} {day:%m-%d}",
                    occurred_on=day,
                    origin=DutyRecord.Origin.IMPORT,
                )
            )
        if len(batch) >= 20000:
            DutyRecord.objects.bulk_create(batch, batch_size=5000)
            total += len(batch)
            batch = []
    DutyRecord.objects.bulk_create(batch, batch_size=5000)
    total += len(batch)
    return total, time.perf_counter() - started
