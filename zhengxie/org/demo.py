"""Demo data: the committees of the five annual reports with their ancestors, terms, sessions, stations,
a few hundred generated members each, and one login per role.

Everything is deterministic (random.Random(SEED)), so two fresh databases hold the same demo. Members are
written with bulk_create, so their blind indexes are computed here exactly as Member.save() does, and their
audit rows are written with audit_bulk.
"""

from __future__ import annotations

import base64
import hashlib
import random
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import TextIO

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from zhengxie.accounts import crypto
from zhengxie.accounts.audit import audit_bulk
from zhengxie.accounts.models import Role, RoleGrant, User
from zhengxie.accounts.twofactor import services as twofactor
from zhengxie.accounts.twofactor.models import SecondFactor
from zhengxie.org import services
from zhengxie.org.models import (
    Committee,
    HandlingUnit,
    Member,
    Party,
    Sector,
    Session,
    SpecialCommittee,
    Station,
    Term,
)

SEED = 20260101
DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - the published password of the demo logins
DEMO_RESULT = "演示数据"
ADMIN_USERNAME = "admin"
DEMO_OTP_COMMAND = "DEBUG=true .venv/bin/python manage.py demo_otp"


def demo_totp_secret(username: str) -> str:
    """The published TOTP secret of a demo login (derived from the seed, so every demo has the same)."""
    digest = hashlib.sha256(f"zhengxie-demo-totp:{SEED}:{username}".encode()).digest()
    return base64.b32encode(digest[:20]).decode()


L = Committee.Level


@dataclass(frozen=True)
class Spec:
    code: str | None
    region: str
    level: str
    parent: str | None  # parent's code; "" for the national committee
    term: int
    start_year: int
    members: tuple[int, int]  # how many members: (low, high)
    university: str

    @property
    def name(self) -> str:
        return f"{self.region}政协" if self.code else "全国政协"


# Parents before children.
COMMITTEES = [
    Spec(None, "", L.NATIONAL, None, 14, 2023, (120, 120), "北京大学"),
    Spec("440000", "广东省", L.PROVINCIAL, "", 13, 2023, (130, 130), "中山大学"),
    Spec("450000", "广西壮族自治区", L.PROVINCIAL, "", 13, 2023, (120, 120), "广西大学"),
    Spec("510000", "四川省", L.PROVINCIAL, "", 13, 2023, (120, 120), "四川大学"),
    Spec("440100", "广州市", L.PREFECTURE, "440000", 14, 2022, (260, 300), "华南理工大学"),
    Spec("440300", "深圳市", L.PREFECTURE, "440000", 7, 2022, (260, 300), "深圳大学"),
    Spec("440700", "江门市", L.PREFECTURE, "440000", 13, 2022, (260, 300), "五邑大学"),
    Spec("451100", "贺州市", L.PREFECTURE, "450000", 6, 2022, (220, 260), "贺州学院"),
    Spec("511600", "广安市", L.PREFECTURE, "510000", 7, 2022, (220, 260), "广安职业技术学院"),
    Spec("440112", "黄埔区", L.COUNTY, "440100", 2, 2022, (170, 210), "广州开发区职业技术学校"),
    Spec("440306", "宝安区", L.COUNTY, "440300", 7, 2022, (190, 230), "深圳市宝安职业技术学校"),
    Spec("440704", "江海区", L.COUNTY, "440700", 6, 2022, (150, 180), "江门职业技术学院"),
    Spec("511602", "广安区", L.COUNTY, "511600", 6, 2022, (160, 200), "广安职业技术学院"),
]

# Demo logins: prefix -> division code.
LOGIN_COMMITTEES = {
    "jm": "440700",
    "hz": "451100",
    "ga": "511602",
    "jh": "440704",
    "hp": "440112",
    "ba": "440306",
    "gd": "440000",
}
LOGIN_ROLES = [
    ("office", Role.OFFICE),
    ("leader", Role.LEADER),
    ("unit", Role.UNIT),
    ("member", Role.MEMBER),
    ("auditor", Role.AUDITOR),
]

# 委员工作站点: (name, kind, level, parent name or None), per division code.
_ROOM, _HOME, _STUDIO = Station.Kind.ROOM, Station.Kind.HOME, Station.Kind.STUDIO
_STREET, _VILLAGE, _DISTRICT = Station.Level.STREET, Station.Level.VILLAGE, Station.Level.DISTRICT
JIANGHAI_HALL = "江海区委员议事厅"
JIANGHAI_VILLAGES = {
    "外海": ["麻一村", "直冲村", "金溪社区"],
    "礼乐": ["乌纱村", "威东村", "新民村"],
    "江南": ["江翠社区", "东华社区"],
    "滘头": ["滘头社区", "白水社区"],
    "滘北": ["滘北社区", "金瓯社区"],
}
STATIONS: dict[str, list[tuple[str, str, str, str | None]]] = {
    "440704": [
        (JIANGHAI_HALL, Station.Kind.HALL, _DISTRICT, None),
        *[(f"{s}街道协商议事室", _ROOM, _STREET, JIANGHAI_HALL) for s in JIANGHAI_VILLAGES],
        *[
            (f"{v}委员之家", _HOME, _VILLAGE, f"{s}街道协商议事室")
            for s, villages in JIANGHAI_VILLAGES.items()
            for v in villages
        ],
    ],
    "511602": [
        (f"{t}“有事来协商”委员工作室", _STUDIO, _STREET, None)
        for t in ["浓洒镇", "北辰街道", "广福街道", "万盛街道", "中桥街道", "枣山街道"]
    ],
    "440100": [
        (f"{d}委员工作室", _STUDIO, _DISTRICT, None)
        for d in ["越秀区", "天河区", "海珠区", "白云区", "番禺区"]
    ],
    "440300": [
        (f"{d}委员工作室", _STUDIO, _DISTRICT, None)
        for d in ["福田区", "南山区", "罗湖区", "龙岗区", "龙华区"]
    ],
    "440700": [
        (f"{d}委员工作室", _STUDIO, _DISTRICT, None)
        for d in ["蓬江区", "江海区", "新会区", "台山市", "开平市", "鹤山市"]
    ],
    "451100": [
        (f"{d}委员工作室", _STUDIO, _DISTRICT, None)
        for d in ["八步区", "平桂区", "昭平县", "钟山县", "富川瑶族自治县"]
    ],
    "511600": [
        (f"{d}委员工作室", _STUDIO, _DISTRICT, None) for d in ["广安区", "前锋区", "岳池县", "武胜县"]
    ],
    "440112": [
        (f"{s}委员工作室", _STUDIO, _STREET, None)
        for s in ["黄埔街道", "红山街道", "鱼珠街道", "萝岗街道", "永和街道"]
    ],
    "440306": [
        (f"{s}委员工作室", _STUDIO, _STREET, None)
        for s in ["新安街道", "西乡街道", "航城街道", "福永街道", "沙井街道", "松岗街道"]
    ],
}

# Names. Common surnames, with regional favourites weighted up.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
# Repeats weigh a surname up; 区 and 甄 are Jiangmen's (Wuyi) own.
REGIONAL_SURNAMES = {
    "44": "陈陈陈黄黄李李梁梁林张何吴谭谭区甄",
    "45": "韦韦黄黄李覃覃陈莫蒙廖",
    "51": "王李李张刘陈陈杨唐蒋",
}
GIVEN_MALE = "伟强军勇杰涛斌明辉华峰建国志刚俊海波文东平林鹏超宇锋磊浩健宏振德永成龙江飞毅彬坚荣新杰正庆晖力"
GIVEN_FEMALE = "芳娟敏静丽艳红霞玲燕婷琳萍雪慧颖倩莉洁佳欣丹梅桂秀兰晓春月媛璐嘉琪瑶婉淑凤雅妍"
GIVEN_ANY = "子家思晨文雨嘉浩欣俊宇明诗梓"

MOBILE_PREFIXES = [
    "133", "135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "177", "180", "186", "187",
    "188", "189", "199",
]  # fmt: skip
# ID numbers of national committee members: a few big cities' districts.
NATIONAL_ID_PREFIXES = ["110105", "110108", "310104", "440106", "510107", "420106", "330106", "320102"]

# Sector weights (how many members a sector usually has); unlisted sectors weigh 3.
SECTOR_WEIGHTS = {
    "中共": 14, "中国共产党": 14, "经济界": 9, "工商联": 7, "中华全国工商业联合会": 5, "教育界": 7,
    "医药卫生界": 7, "特邀": 6, "特别邀请人士": 6, "科技界": 5, "科学技术界": 5, "文化艺术界": 5,
    "农业界": 4, "工会": 3, "妇联": 3, "港澳": 3, "特邀香港人士": 4, "特邀澳门人士": 2,
}  # fmt: skip

COMPANY_WORDS = [
    "恒达", "宏远", "华信", "金源", "新时代", "联合", "粤兴", "永利", "海纳", "嘉和", "鸿基", "盛世", "泰丰",
    "明珠", "振华", "德润", "锦程", "中和", "瑞丰", "天成", "利民", "兴业", "东方", "晨光",
]  # fmt: skip
COMPANY_KINDS = [
    "实业有限公司", "科技有限公司", "建设集团有限公司", "食品有限公司", "电子有限公司", "贸易有限公司",
    "物流有限公司", "农业发展有限公司", "智能制造有限公司", "新材料股份有限公司", "投资发展有限公司",
]  # fmt: skip
DEMOCRATIC = {"民革", "民盟", "民建", "民进", "农工党", "致公党", "九三学社", "台盟"}


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def demo_exists() -> bool:
    return User.objects.filter(username=ADMIN_USERNAME).exists()


def print_logins(stdout: TextIO) -> None:
    """The demo logins as a table (read from the database, so it is right after a second run too)."""
    usernames = [ADMIN_USERNAME] + [f"{p}_{suffix}" for p in LOGIN_COMMITTEES for suffix, _ in LOGIN_ROLES]
    grants = (
        RoleGrant.objects.filter(user__username__in=usernames)
        .select_related("user", "committee", "handling_unit")
        .order_by("user_id", "id")
    )
    by_user: dict[str, list[RoleGrant]] = {}
    for g in grants:
        by_user.setdefault(g.user.username, []).append(g)
    demo_secrets = dict(
        SecondFactor.objects.filter(user__username__in=usernames).values_list("user__username", "secret")
    )
    rows = [("用户名", "姓名", "角色", "政协", "密码", "动态口令密钥")]
    for username in usernames:
        shown = demo_secrets.get(username, "")
        if shown and shown != demo_totp_secret(username):
            shown = "（已重新绑定）"  # a secret of the user's own is never printed
        for g in by_user.get(username, []):
            role = g.get_role_display() + (f"（{g.handling_unit.name}）" if g.handling_unit_id else "")
            rows.append((username, g.user.display_name, role, g.committee.name, DEMO_PASSWORD, shown))
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    stdout.write("演示账号（仅用于演示环境，上线前请删除或改密）：\n")
    for i, row in enumerate(rows):
        stdout.write(
            "  " + "  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n"
        )
        if i == 0:
            stdout.write("  " + "  ".join("-" * w for w in widths) + "\n")
    stdout.write(
        "机关工作人员、系统管理员和审计员登录时还要输入动态验证码：把上表的动态口令密钥添加到手机验证器"
        f"（TOTP，30秒，6位），或运行 `{DEMO_OTP_COMMAND} 用户名` 显示当前验证码。\n"
    )
    member = User.objects.filter(username="jm_member").first()
    if member is not None and member.mobile:
        stdout.write(
            f"委员也可用手机号登录，例如 jm_member（{member.display_name}）可用手机号 {member.mobile} 和同一密码登录。\n"
        )


class _Generator:
    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.mobiles: set[str] = set(
            # Numbers already used by logins must not be reused (the user mobile index is unique).
            m
            for m in User.objects.exclude(mobile_index="").values_list("mobile", flat=True)
        )

    def name(self, gender: str, province: str, taken: set[str]) -> str:
        rng = self.rng
        for _ in range(50):
            regional = REGIONAL_SURNAMES.get(province, "")
            surname = rng.choice(regional) if regional and rng.random() < 0.5 else rng.choice(SURNAMES)
            pool = GIVEN_MALE if gender == Member.Gender.MALE else GIVEN_FEMALE
            given = rng.choice(pool + GIVEN_ANY)
            if rng.random() < 0.75:
                given += rng.choice(pool)
            if surname + given not in taken:
                taken.add(surname + given)
                return surname + given
        return surname + given  # a namesake is possible in a real committee too

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.mobiles:
                self.mobiles.add(number)
                return number

    def id_number(self, prefix: str, birth: date, gender: str, taken: set[str]) -> str:
        while True:
            seq = self.rng.randrange(100)  # two digits, then the gender digit
            gender_digit = self.rng.choice("13579" if gender == Member.Gender.MALE else "02468")
            value = crypto.id_number_with_check(f"{prefix}{birth:%Y%m%d}{seq:02d}{gender_digit}")
            if value not in taken:
                taken.add(value)
                return value

    def enterprise(self, sector: str, spec: Spec, city: str) -> str:
        rng, region = self.rng, spec.region or "国家"
        company = f"{city}{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_KINDS)}"
        if sector in ("中共", "中国共产党"):
            return rng.choice(
                [
                    f"中共{region}委员会组织部",
                    f"{region}人民政府办公室",
                    f"{region}发展和改革局",
                    f"中共{region}委员会统战部",
                ]
                if spec.code
                else ["中共中央统战部", "国家发展和改革委员会", "教育部", "中共中央党校"]
            )
        if "教育" in sector:
            return rng.choice([spec.university, f"{city}第一中学", f"{city}实验小学", f"{region}教育局"])
        if "医药" in sector:
            return rng.choice([f"{city}中心医院", f"{city}人民医院", f"{city}中医院", f"{city}妇幼保健院"])
        if "科" in sector:
            return rng.choice([spec.university, f"{region}科学技术协会", company])
        if "文化" in sector or "艺术" in sector:
            return rng.choice([f"{region}文化馆", f"{region}美术家协会", f"{city}图书馆", company])
        if "农业" in sector:
            return rng.choice(
                [f"{city}{rng.choice(COMPANY_WORDS)}农业专业合作社", f"{region}农业农村局", company]
            )
        if sector in ("工会", "中华全国总工会"):
            return f"{region}总工会"
        if sector in ("妇联", "中华全国妇女联合会"):
            return f"{region}妇女联合会"
        if sector == "共青团" or "青年团" in sector:
            return f"共青团{region}委员会"
        if sector == "侨联" or "华侨" in sector:
            return f"{region}归国华侨联合会"
        if sector == "港澳" or "香港" in sector or "澳门" in sector:
            place = "澳门" if "澳门" in sector or rng.random() < 0.3 else "香港"
            return f"{place}{rng.choice(COMPANY_WORDS)}集团有限公司"
        if sector in DEMOCRATIC or "民主" in sector or sector in ("九三学社", "中国致公党"):
            return rng.choice([company, spec.university, f"{city}人民医院", f"{region}律师协会"])
        return company


def _ensure_committees() -> dict[str | None, Committee]:
    by_code: dict[str | None, Committee] = {}
    for spec in COMMITTEES:
        if spec.code is None:
            committee = (
                Committee.objects.filter(level=L.NATIONAL, division_code__isnull=True).order_by("pk").first()
            )
        else:
            committee = Committee.objects.filter(division_code=spec.code).first()
        if committee is None:
            committee = services.committee_create(
                name=spec.name,
                level=spec.level,
                parent=by_code[spec.parent or None] if spec.parent is not None else None,
                division_code=spec.code,
                region_name=spec.region,
            )
        by_code[spec.code] = committee
        services.committee_setup_defaults(committee=committee)
    return by_code


def _term_and_sessions(committee: Committee, spec: Spec, today: date) -> Term:
    term, _ = Term.objects.get_or_create(
        committee=committee,
        number=spec.term,
        defaults={"start_year": spec.start_year, "end_year": spec.start_year + 5},
    )
    last = min(max(today.year, spec.start_year), spec.start_year + 4)
    for number, year in enumerate(range(spec.start_year, last + 1), start=1):
        if spec.level == L.NATIONAL:
            opens, closes = date(year, 3, 4), date(year, 3, 10)
        elif spec.level == L.PROVINCIAL:
            opens, closes = date(year, 1, 12), date(year, 1, 16)
        else:
            opens = date(year, 1, 5 + 2 * (number % 3))
            closes = date(opens.year, opens.month, opens.day + 3)
        Session.objects.get_or_create(
            term=term,
            number=number,
            defaults={"committee": committee, "year": year, "opens_on": opens, "closes_on": closes},
        )
    return term


def _stations(committee: Committee, spec: Spec) -> list[Station]:
    made: dict[str, Station] = {s.name: s for s in Station.objects.filter(committee=committee)}
    for name, kind, level, parent in STATIONS.get(spec.code or "", []):
        if name not in made:
            made[name] = Station.objects.create(
                committee=committee,
                name=name,
                kind=kind,
                level=level,
                parent=made[parent] if parent else None,
                address=_station_address(name, spec),
            )
    return list(made.values())


def _station_address(name: str, spec: Spec) -> str:
    place = name
    for suffix in ("“有事来协商”委员工作室", "委员工作室", "委员议事厅", "协商议事室", "委员之家"):
        place = place.removesuffix(suffix)
    city = _city_of(spec)
    return city if city.endswith(place) else city + place


def _members(
    gen: _Generator, committee: Committee, spec: Spec, term: Term, stations: list[Station], city: str
) -> tuple[list[Member], dict[int, list[int]]]:
    """Unsaved members and, by list position, the special committee ids each joins."""
    rng = gen.rng
    sectors = list(Sector.objects.filter(committee=committee))
    parties = {p.short_name: p for p in Party.objects.filter(committee=committee)}
    party_of_sector = {p.name: p for p in parties.values()} | parties
    party_of_sector["无党派人士"] = party_of_sector["无党派民主人士"] = parties["无党派"]
    specials = list(SpecialCommittee.objects.filter(committee=committee))
    hk_special = next((s for s in specials if s.name.startswith("港澳")), None)
    weights = [SECTOR_WEIGHTS.get(s.name, 3) for s in sectors]
    cpc = next(s for s in sectors if s.name in ("中共", "中国共产党"))
    province = (spec.code or "11")[:2]
    local = spec.level in (L.PREFECTURE, L.COUNTY)

    count = rng.randint(*spec.members)
    n_vice = rng.randint(4, 6)
    positions = (
        [Member.Position.CHAIR]
        + [Member.Position.VICE_CHAIR] * n_vice
        + [Member.Position.SECRETARY_GENERAL]
        + [Member.Position.STANDING] * round(count * 0.15)
    )
    positions += [Member.Position.MEMBER] * (count - len(positions))
    names: set[str] = set(Member.objects.filter(committee=committee).values_list("name", flat=True))
    ids: set[str] = set()
    members: list[Member] = []
    specials_of: dict[int, list[int]] = {}
    for i, position in enumerate(positions):
        leader = position in (Member.Position.CHAIR, Member.Position.SECRETARY_GENERAL)
        if leader or (position == Member.Position.VICE_CHAIR and i <= 2):
            sector = cpc
        else:
            sector = rng.choices(sectors, weights)[0]
        male_share = 0.58 if position == Member.Position.MEMBER else 0.62
        gender = Member.Gender.MALE if rng.random() < male_share else Member.Gender.FEMALE
        senior = position != Member.Position.MEMBER
        birth_year = rng.randint(1958, 1975) if senior else rng.randint(1962, 1992)
        birth = date(birth_year, rng.randint(1, 12), rng.randint(1, 28))
        party = party_of_sector.get(sector.name)
        if party is not None and party.kind not in (
            Party.Kind.CPC,
            Party.Kind.DEMOCRATIC,
            Party.Kind.NON_PARTY,
        ):
            party = None  # 工商联, 共青团, 工会, 妇联 are sectors, not a member's affiliation
        hk = sector.name in ("港澳", "特邀香港人士", "特邀澳门人士")
        if party is None and not hk:
            roll = rng.random()
            if roll < 0.45:
                party = parties["中共"]
            elif roll < 0.55:
                party = parties[rng.choice(sorted(DEMOCRATIC - {"台盟"}))]
        if hk:
            id_prefix = "820000" if "澳门" in sector.name else "810000"
        else:
            id_prefix = spec.code or rng.choice(NATIONAL_ID_PREFIXES)
        mobile = gen.mobile()
        id_number = gen.id_number(id_prefix, birth, gender, ids)
        member = Member(
            committee=committee,
            term=term,
            name=gen.name(gender, province, names),
            gender=gender,
            birth_year=birth_year,
            sector=sector,
            party=party,
            position=position,
            station=rng.choice(stations) if local and stations and rng.random() < 0.6 else None,
            is_cpc_member=party is not None and party.kind == Party.Kind.CPC,
            is_hk_macao=hk,
            enterprise=gen.enterprise(sector.name, spec, city),
            id_number=id_number,
            mobile=mobile,
            mobile_index=crypto.blind_index(crypto.normalise_mobile(mobile)),
            id_number_index=crypto.blind_index(id_number.upper()),
        )
        joined: list[int] = []
        if hk and hk_special is not None:
            joined.append(hk_special.pk)
        elif specials and rng.random() < (0.9 if senior else 0.4):
            joined.append(rng.choice(specials).pk)
        if senior and specials and rng.random() < 0.3:
            extra = rng.choice(specials).pk
            if extra not in joined:
                joined.append(extra)
        specials_of[i] = joined
        members.append(member)
    return members, specials_of


def _residents(members: list[Member], by_code: dict[str | None, Committee], rng: random.Random) -> None:
    """住区委员: some Guangdong provincial members live in Jiangmen, a few of them in Jianghai."""
    pool = [m for m in members if m.position in (Member.Position.MEMBER, Member.Position.STANDING)]
    chosen = rng.sample(pool, 9)
    for i, m in enumerate(chosen):
        code, place = ("440703", "江门市") if i < 6 else ("440704", "江门市江海区")
        m.resident_committee = by_code["440700" if i < 6 else "440704"]
        m.enterprise = f"{place}{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_KINDS)}"
        # They live there, so their ID numbers are registered there (440703 蓬江区, 440704 江海区).
        m.id_number = crypto.id_number_with_check(code + m.id_number[6:17])
        m.id_number_index = crypto.blind_index(m.id_number)


def _city_of(spec: Spec) -> str:
    if spec.level == L.COUNTY and spec.parent:
        parent = next(s for s in COMMITTEES if s.code == spec.parent)
        return parent.region + spec.region
    return spec.region or "北京"


def _logins(
    gen: _Generator, by_code: dict[str | None, Committee], members_of: dict[int, list[Member]]
) -> int:
    password = make_password(DEMO_PASSWORD)  # hashed once: argon2 is deliberately slow
    staff_names: set[str] = set()
    made = 0
    created: list[int] = []

    def user(username: str, display_name: str, mobile: str = "", **extra: object) -> User:
        nonlocal made
        made += 1
        u = User(username=username, display_name=display_name, mobile=mobile, password=password, **extra)
        u.save()
        created.append(u.pk)
        return u

    admin = user(ADMIN_USERNAME, "系统管理员", is_superuser=True, is_staff=True)
    RoleGrant.objects.create(user=admin, committee=by_code[None], role=Role.ADMIN)
    for prefix, code in LOGIN_COMMITTEES.items():
        committee = by_code[code]
        members = members_of[committee.pk]
        chair = next(m for m in members if m.position == Member.Position.CHAIR)
        ordinary = [m for m in members if m.position == Member.Position.MEMBER]
        member = next((m for m in ordinary if m.station_id), ordinary[0])
        for suffix, role in LOGIN_ROLES:
            username = f"{prefix}_{suffix}"
            unit = None
            if role == Role.LEADER:
                u = user(username, chair.name)
            elif role == Role.MEMBER:
                u = user(username, member.name, mobile=member.mobile)
                member.user = u
                member.save(update_fields=["user"])
            else:
                gender = gen.rng.choice([Member.Gender.MALE, Member.Gender.FEMALE])
                u = user(username, gen.name(gender, code[:2], staff_names))
                if role == Role.UNIT:
                    unit = HandlingUnit.objects.get(
                        committee=committee, name=f"{committee.region_name}教育局"
                    )
            RoleGrant.objects.create(user=u, committee=committee, role=role, handling_unit=unit)
    # The logins that need a second factor are enrolled with the published secret (see print_logins).
    enrolled = [u for u in User.objects.filter(pk__in=created) if twofactor.required_for(u)]
    SecondFactor.objects.bulk_create(
        [
            SecondFactor(user=u, secret=demo_totp_secret(u.username), confirmed_at=timezone.now())
            for u in enrolled
        ]
    )
    return made


@transaction.atomic
def seed_demo(today: date | None = None) -> dict[str, int]:
    """Create the demo. The caller checks demo_exists() first; this does not."""
    today = today or date.today()
    gen = _Generator()
    by_code = _ensure_committees()
    all_members: list[Member] = []
    all_specials: list[tuple[Member, list[int]]] = []
    members_by_committee: dict[int, list[Member]] = {}
    stations_total = 0
    for spec in COMMITTEES:
        committee = by_code[spec.code]
        term = _term_and_sessions(committee, spec, today)
        stations = _stations(committee, spec)
        stations_total += len(stations)
        members, specials_of = _members(gen, committee, spec, term, stations, _city_of(spec))
        if spec.code == "440000":
            _residents(members, by_code, gen.rng)
        members_by_committee[committee.pk] = members
        all_members += members
        all_specials += [(m, specials_of[i]) for i, m in enumerate(members)]

    Member.objects.bulk_create(all_members, batch_size=500)
    through = Member.special_committees.through
    through.objects.bulk_create(
        [through(member_id=m.pk, specialcommittee_id=sc) for m, scs in all_specials for sc in scs],
        batch_size=1000,
    )
    audit_bulk(action="create", objects=all_members, result=DEMO_RESULT)
    logins = _logins(gen, by_code, members_by_committee)
    return {
        "committees": len(by_code),
        "members": len(all_members),
        "stations": stations_total,
        "logins": logins,
    }
