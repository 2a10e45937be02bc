"""Data for `make bench-report`: provinces of cities and counties with ten years of sessions and N proposals
(co-signers, assignments, replies, ratings), and the same committees' opinion reports, instructions,
consultations (participants, outcome items), concerns, and one committee-year of duty records and evaluations.

The organisation goes through the services and generators `make bench` uses (committees, standard lists,
stations, members, office logins); every row counted per proposal is written by set-based SQL (INSERT ...
SELECT over generate_series), because a million ORM saves would take hours. The load is done as a restore
does it: secondary indexes dropped and rebuilt at the end, foreign-key triggers off, each table analysed
once written. PostgreSQL only.

Shape. The brief's per-committee volumes are kept: a big city about 1,400 proposals a year, other cities
450-1,000, counties 100-300 (skewed towards the low end), a province about 1,100, growing a few per cent a
year, each committee-year within 10% of its trend. One province of 20 cities with 8-12 counties each holds
~475,000 proposals over ten years at those rates, so a database of 1,000,000 holds two such provinces (the
second only makes the database that big; its members are written by SQL without mobile and ID number) and
every volume is scaled by the same factor to hit N exactly. With a small N everything shrinks by
N / capacity.

Randomness is a hash of a row number (bench_u), so the same sizes generate the same rows, and a child
table's rows (co-signers, replies, ...) can be decided from their proposal's id without a second pass.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import generate
from django.db import DatabaseError, connection, transaction

from zhengxie.duties import scoring
from zhengxie.duties.models import ScoringRule, ScoringScheme
from zhengxie.org import reference, services
from zhengxie.org.models import Committee, Session, Term

FIRST_YEAR = 2017
YEARS = list(range(FIRST_YEAR, FIRST_YEAR + 10))
CURRENT_YEAR = YEARS[-1]  # the year still in progress: its proposals are spread over the open states
MEASURED_YEAR = YEARS[-2]  # the last complete year: the report one writes
TERMS = ((13, 2017, 2021), (14, 2022, 2027))  # term 14 as generate.furnish creates it

# Proposals per committee and year at the measured year (before scaling), see the module docstring.
PROVINCE_RATE = 1100
BIG_CITY_RATE = 1400
CITY_RATE = (450, 1000)
COUNTY_RATE = (100, 300)
# Relative volume by year: ten years of slow growth, measured year = 1.
GROWTH = {y: (0.8 + 0.25 * i / 9) / (0.8 + 0.25 * 8 / 9) for i, y in enumerate(YEARS)}

# Shares of the states a proposal is in, for a finished year and for the year in progress.
STATES_PAST = [
    ("draft", 0.6),
    ("withdrawn", 0.8),
    ("submitted", 0.05),
    ("not_filed", 6.0),
    ("merged", 3.5),
    ("filed", 0.05),
    ("assigned", 0.4),
    ("returned", 0.05),
    ("replied", 2.5),
    ("rehandling", 0.2),
    ("closed", 85.85),
]
STATES_CURRENT = [
    ("draft", 2.0),
    ("withdrawn", 1.0),
    ("submitted", 3.0),
    ("not_filed", 6.0),
    ("merged", 3.5),
    ("filed", 2.5),
    ("assigned", 17.0),
    ("returned", 0.8),
    ("replied", 24.0),
    ("rehandling", 1.2),
    ("closed", 39.0),
]
REPLIED = ("replied", "rehandling", "closed")
HANDLED = ("assigned", "returned", "replied", "rehandling", "closed")
FILED = ("filed", *HANDLED)
# Tables written by the SQL below; their secondary indexes are rebuilt after the load.
BULK_TABLES = (
    "proposals_proposal",
    "proposals_cosigner",
    "proposals_assignment",
    "proposals_reply",
    "proposals_feedback",
    "opinions_opinionreport",
    "opinions_opinionreport_authors",
    "opinions_forwarding",
    "opinions_instruction",
    "consultations_consultation",
    "consultations_participant",
    "consultations_outcome",
    "grassroots_concern",
)

OPINION_STATES_PAST = [
    ("draft", 1),
    ("submitted", 0.5),
    ("withdrawn", 1),
    ("merged", 2),
    ("archived", 37),
    ("forwarded", 38),
    ("adopted", 20.5),
]
OPINION_STATES_CURRENT = [
    ("draft", 3),
    ("submitted", 12),
    ("withdrawn", 1),
    ("merged", 2),
    ("archived", 30),
    ("forwarded", 35),
    ("adopted", 17),
]
OPINIONS_PER_PROPOSAL = 0.55  # 江门 2023: 315 reports beside ~400 proposals; counties write fewer

# Consultations and concerns a committee holds / receives in a year (not tied to proposals).
CONSULTATIONS = {"provincial": 60, "prefecture": 40, "county": 25}
CONCERNS = {"provincial": 20, "prefecture": 60, "county": 80}

TOPICS = [
    "城乡社区居家养老服务", "中小学课后托管服务", "县域医共体建设", "老旧小区改造", "农村生活污水治理",
    "民营企业融资", "高校毕业生就业创业", "历史文化街区保护", "新能源汽车充电设施", "预制菜产业发展",
    "华侨文化资源利用", "乡村振兴人才队伍", "城市内涝治理", "职业教育产教融合", "基层医疗人才引育",
    "公共停车设施建设", "营商环境", "数字政府建设", "河湖长制", "农产品品牌建设", "托育服务体系",
    "校园食品安全", "电动自行车安全管理", "社区嵌入式服务设施", "非物质文化遗产传承", "港澳青年创新创业",
    "制造业数字化转型", "耕地保护", "森林防火", "全民健身设施", "公共法律服务", "餐饮油烟治理", "城市更新",
    "海洋经济", "文旅融合", "农村寄递物流", "残疾人就业保障", "中小学生心理健康教育", "无障碍环境建设",
    "生活垃圾分类",
]  # fmt: skip
VERBS = ["进一步加强", "加快推进", "完善", "优化", "推动", "健全", "强化", "提升"]
BACKGROUND = [
    "近年来我市在该领域取得一定成效，但仍存在投入不足、机制不健全等问题。",
    "据调研，群众反映较为集中的是服务供给不足、覆盖面不广、质量参差不齐。",
    "部门之间协同不够，政策落地“最后一公里”问题仍较突出。",
    "基层人才队伍不稳定，专业力量薄弱，难以满足群众日益增长的需求。",
    "资金保障渠道单一，社会力量参与积极性不高，可持续运营面临困难。",
    "与先进地区相比，我市在标准建设、数字化应用方面仍有差距。",
]
SUGGESTIONS = [
    "加强统筹规划，明确牵头部门和责任分工。",
    "加大财政投入，完善多元化投入机制。",
    "强化人才培养和激励，稳定基层专业队伍。",
    "推进信息化建设，提升服务效率和群众满意度。",
    "健全考核评估机制，定期通报进展情况。",
]


@dataclass
class Step:
    label: str
    rows: int
    seconds: float


@dataclass
class Province:
    committee: Committee
    cities: list[Committee] = field(default_factory=list)
    counties: list[Committee] = field(default_factory=list)

    @property
    def all(self) -> list[Committee]:
        return [self.committee, *self.cities, *self.counties]


@dataclass
class Result:
    proposals: int
    provinces: list[Province]
    steps: list[Step]
    seconds: float
    scale: float

    @property
    def province(self) -> Committee:
        return self.provinces[0].committee

    @property
    def city(self) -> Committee:
        return self.provinces[0].cities[0]

    @property
    def county(self) -> Committee:
        return self.provinces[0].counties[0]

    def meta(self) -> dict[str, object]:
        """What the benchmark keeps in the database, so a rerun on the same data can still report it."""
        first = self.provinces[0]
        return {
            "proposals": self.proposals,
            "provinces": len(self.provinces),
            "cities": len(first.cities),
            "counties": len(first.counties),
            "committees": sum(len(p.all) for p in self.provinces),
            "province": self.province.division_code,
            "city": self.city.division_code,
            "county": self.county.division_code,
            "year": MEASURED_YEAR,
            "years": [YEARS[0], YEARS[-1]],
            "scale": round(self.scale, 4),
            "seconds": round(self.seconds, 1),
            "steps": [[s.label, s.rows, round(s.seconds, 1)] for s in self.steps],
        }


def weighted_case(u: str, choices: list[tuple[str, float]]) -> str:
    """A SQL CASE picking one of the values with the given weights from a uniform [0, 1) expression."""
    total = sum(w for _, w in choices)
    cumulative = 0.0
    parts = []
    for value, weight in choices[:-1]:
        cumulative += weight / total
        parts.append(f"WHEN {u} < {cumulative:.6f} THEN '{value}'")
    return f"(CASE {' '.join(parts)} ELSE '{choices[-1][0]}' END)"


def quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def execute(sql: str, params: list[object] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


class Generator:
    def __init__(
        self,
        n_proposals: int,
        *,
        n_cities: int = 20,
        counties_per_city: tuple[int, int] = (8, 12),
        seed: int = 2026,
        log: Callable[[str], None] = print,
    ) -> None:
        self.n = n_proposals
        self.n_cities = n_cities
        self.counties_per_city = counties_per_city
        self.rng = random.Random(seed)
        self.log = log
        self.steps: list[Step] = []
        self.provinces: list[Province] = []
        self.rates: dict[int, float] = {}  # committee id -> proposals at the measured year, after scaling
        self.scale = 1.0

    def step(self, label: str, fn: Callable[[], int], *analyze: str) -> int:
        """Run one generation step, timed; then ANALYZE the tables it wrote, so that the next step's joins
        over them are planned from their real size (a table analysed while empty is planned as tiny)."""
        t0 = time.perf_counter()
        rows = fn()
        for table in analyze:
            execute(f"ANALYZE {table}")
        seconds = time.perf_counter() - t0
        self.steps.append(Step(label, rows, seconds))
        self.log(f"  {label}: {rows:,} 行，{seconds:.1f} s")
        return rows

    # --- organisation -------------------------------------------------------------------------------------

    def shape(self) -> list[list[tuple[str, str, str, float, int]]]:
        """Per province: (level, code, region name, unscaled rate, members) of every committee, parents
        first. Decided before anything is written, since the number of provinces depends on the volume."""
        rng = self.rng
        weight = sum(GROWTH.values())
        provinces: list[list[tuple[str, str, str, float, int]]] = []
        capacity = 0.0
        while not provinces or capacity * 1.3 < self.n:
            p = len(provinces)
            head = 92 + p
            names = "一二三四五六七八九"
            region = f"基准{names[p]}省" if p else "基准省"
            rows = [("provincial", f"{head}0000", region, PROVINCE_RATE, 550)]
            for i in range(1, self.n_cities + 1):
                big = p == 0 and i == 1
                rate = BIG_CITY_RATE if big else rng.uniform(*CITY_RATE)
                members = 520 if big else rng.randint(300, 500)
                city_code = f"{head}{i:02d}00"
                rows.append(("prefecture", city_code, f"{region}{i}市", rate, members))
                for k in range(1, rng.randint(*self.counties_per_city) + 1):
                    low, high = COUNTY_RATE
                    rate = low + (high - low) * rng.random() ** 1.6
                    rows.append(
                        (
                            "county",
                            f"{head}{i:02d}{k:02d}",
                            f"{region}{i}市{k}县",
                            rate,
                            rng.randint(150, 250),
                        )
                    )
            provinces.append(rows)
            capacity += sum(r[3] for r in rows) * weight
        self.scale = self.n / capacity
        return provinces

    def organisation(self) -> None:
        shape = self.shape()
        national = Committee.objects.filter(level=Committee.Level.NATIONAL).order_by("pk").first()
        if national is None:
            national = services.committee_create(
                name="全国政协", level=Committee.Level.NATIONAL, parent=None, division_code=None
            )
        plan: list[tuple[Committee, int]] = []
        with transaction.atomic():
            for rows in shape:
                province: Province | None = None
                city: Committee | None = None
                for level, code, region, rate, members in rows:
                    if level == "provincial":
                        parent = national
                    elif level == "prefecture":
                        parent = province.committee  # type: ignore[union-attr]
                    else:
                        parent = city
                    committee = services.committee_create(
                        name=f"{region}政协",
                        region_name=region,
                        level=level,
                        parent=parent,
                        division_code=code,
                    )
                    generate.furnish(committee)  # standard lists, term 14, eight stations
                    self.rates[committee.pk] = rate * self.scale
                    plan.append((committee, members))
                    if level == "provincial":
                        province = Province(committee)
                        self.provinces.append(province)
                    elif level == "prefecture":
                        city = committee
                        province.cities.append(committee)  # type: ignore[union-attr]
                    else:
                        province.counties.append(committee)  # type: ignore[union-attr]
        committees = [c for c, _ in plan]
        self.log(f"  政协: {len(committees)} 个（{len(self.provinces)} 个省）")
        measured = {c.pk for c in self.provinces[0].all}
        self.step(
            "委员：测量的省 bulk_create（含加密与盲索引）",
            lambda: self._members([(c, n) for c, n in plan if c.pk in measured]),
        )
        if len(self.provinces) > 1:
            self.step(
                "委员：其余省 INSERT ... SELECT（不含手机号、身份证号）",
                lambda: self._filler_members([(c, n) for c, n in plan if c.pk not in measured]),
            )
        # A few have left during the term (the report counts serving members).
        execute("UPDATE org_member SET status = 'left' WHERE bench_u(id, 99) < 0.04")
        self.step("届次、会议（十年）、机关账号", lambda: self._sessions_and_users(committees))

    def _members(self, plan: list[tuple[Committee, int]]) -> int:
        with transaction.atomic():
            stats = generate.members(plan)
        return stats.members

    def _filler_members(self, plan: list[tuple[Committee, int]]) -> int:
        """Members of the provinces that are only there for volume, written by SQL: the same columns as
        generate.members without the encrypted mobile and ID number (Python's encryption is what makes
        bulk_create slow, and no report reads them). Sector, party and station are the committee's own."""
        execute("CREATE UNLOGGED TABLE bench_m (committee_id bigint, region text, n integer)")
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO bench_m VALUES (%s, %s, %s)", [(c.pk, c.region_name, n) for c, n in plan]
            )
        position = weighted_case(
            "bench_u(x.seq, 5)",
            [("member", 80), ("standing", 15), ("vice_chair", 3), ("secretary_general", 1), ("chair", 1)],
        )
        pick = (
            "(SELECT id FROM {table} WHERE committee_id = x.committee_id ORDER BY id "
            "OFFSET floor(bench_u(x.seq, {salt}) * {n})::int LIMIT 1)"
        )
        rows = execute(
            f"""
            INSERT INTO org_member (committee_id, user_id, term_id, name, gender, birth_year, sector_id, party_id,
                position, station_id, is_cpc_member, is_hk_macao, enterprise, resident_committee_id, id_number,
                mobile, mobile_index, id_number_index, status, created_at)
            SELECT x.committee_id, NULL,
                (SELECT id FROM org_term WHERE committee_id = x.committee_id AND number = 14),
                substr(%s, 1 + floor(bench_u(x.seq, 1) * %s)::int, 1)
                    || substr(%s, 1 + floor(bench_u(x.seq, 2) * %s)::int, 1)
                    || CASE WHEN bench_u(x.seq, 3) < 0.6 THEN substr(%s, 1 + floor(bench_u(x.seq, 4) * %s)::int, 1)
                       ELSE '' END,
                CASE WHEN bench_u(x.seq, 6) < 0.5 THEN 'M' ELSE 'F' END,
                1955 + floor(bench_u(x.seq, 7) * 33)::int,
                {pick.format(table="org_sector", salt=8, n=len(reference.SECTORS_LOCAL))},
                CASE WHEN bench_u(x.seq, 9) < 0.6
                     THEN {pick.format(table="org_party", salt=10, n=len(reference.PARTIES))} END,
                {position},
                CASE WHEN bench_u(x.seq, 11) < 0.5 THEN {pick.format(table="org_station", salt=12, n=8)} END,
                bench_u(x.seq, 13) < 0.4, bench_u(x.seq, 14) < 0.01,
                x.region || (ARRAY['市人民医院', '市第一中学', '建设集团有限公司', '农业发展有限公司',
                                   '律师事务所', '科技股份有限公司'])[1 + floor(bench_u(x.seq, 15) * 6)::int],
                NULL, '', '', '', '', 'active', now()
            FROM (SELECT m.committee_id, m.region, row_number() OVER () + 10000000 AS seq
                  FROM bench_m m, generate_series(1, m.n)) x
            """,
            [
                generate.SURNAMES,
                len(generate.SURNAMES),
                generate.GIVEN,
                len(generate.GIVEN),
                generate.GIVEN,
                len(generate.GIVEN),
            ],
        )
        execute("DROP TABLE bench_m")
        return rows

    def _sessions_and_users(self, committees: list[Committee]) -> int:
        # The earlier term is added only now: generate.members gives members the committee's single term.
        with transaction.atomic():
            Term.objects.bulk_create(
                [Term(committee=c, number=13, start_year=2017, end_year=2021) for c in committees]
            )
            terms = {(t.committee_id, t.number): t.pk for t in Term.objects.filter(committee__in=committees)}
            sessions = []
            for c in committees:
                for year in YEARS:
                    number, start, _ = next(t for t in TERMS if t[1] <= year <= t[2])
                    opens = date(year, 1, 5 + 2 * (c.pk % 4))
                    sessions.append(
                        Session(
                            committee=c,
                            term_id=terms[(c.pk, number)],
                            number=year - start + 1,
                            year=year,
                            opens_on=opens,
                            closes_on=date(year, 1, opens.day + 3),
                            proposals_open=year == CURRENT_YEAR,
                        )
                    )
            Session.objects.bulk_create(sessions, batch_size=2000)
            self.users = {
                c.pk: generate.office_user(f"bench_office_{c.division_code}", c).pk for c in committees
            }
        return len(sessions)

    # --- lookup tables for the SQL ------------------------------------------------------------------------

    def lookups(self) -> None:
        execute("DROP TABLE IF EXISTS bench_pick, bench_cn, bench_text, bench_plan, bench_p, bench_c")
        execute(
            "CREATE UNLOGGED TABLE bench_pick (kind text, committee_id bigint, idx integer, id bigint, "
            "name text, PRIMARY KEY (kind, committee_id, idx))"
        )
        for kind, table, name in (
            ("member", "org_member", "name"),
            ("unit", "org_handlingunit", "name"),
            ("party", "org_party", "short_name"),
            ("sector", "org_sector", "name"),
            ("special", "org_specialcommittee", "name"),
            ("station", "org_station", "name"),
        ):
            execute(
                f"INSERT INTO bench_pick SELECT '{kind}', committee_id, "
                f"(row_number() OVER (PARTITION BY committee_id ORDER BY id) - 1)::int, id, {name} FROM {table} "
                "WHERE committee_id = ANY(%s)",
                [list(self.rates)],
            )
        execute("CREATE INDEX ON bench_pick (id) WHERE kind = 'member'")
        execute(
            "CREATE UNLOGGED TABLE bench_cn AS SELECT committee_id, "
            + ", ".join(
                f"count(*) FILTER (WHERE kind = '{k}')::int AS {k}s"
                for k in ("member", "unit", "party", "sector", "special", "station")
            )
            + ", 0::bigint AS user_id FROM bench_pick GROUP BY committee_id"
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE bench_cn SET user_id = %s WHERE committee_id = %s",
                [(u, c) for c, u in self.users.items()],
            )
        execute("ALTER TABLE bench_cn ADD PRIMARY KEY (committee_id)")
        execute("CREATE UNLOGGED TABLE bench_text (kind text, idx integer, txt text)")
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO bench_text VALUES (%s, %s, %s)",
                [
                    (kind, i, text)
                    for kind, pool in (
                        ("topic", TOPICS),
                        ("verb", VERBS),
                        ("background", BACKGROUND),
                        ("suggestion", SUGGESTIONS),
                    )
                    for i, text in enumerate(pool)
                ],
            )
        execute("ANALYZE bench_pick")
        execute("ANALYZE bench_cn")

    # --- proposals ----------------------------------------------------------------------------------------

    def plan(self) -> int:
        """Proposals per (committee, session): the scaled rates times the year's growth, rounded so that
        the total is exactly N (largest remainders first)."""
        sessions = {
            (s.committee_id, s.year): (s.pk, s.opens_on)
            for s in Session.objects.filter(committee_id__in=list(self.rates))
        }
        # Each committee-year varies by up to 10% around its trend; the noise is drawn here, before rounding,
        # so the total stays exact.
        noise = {(cid, year): 0.9 + 0.2 * self.rng.random() for cid in self.rates for year in YEARS}
        raw = {
            (cid, year): rate * GROWTH[year] * noise[(cid, year)]
            for cid, rate in self.rates.items()
            for year in YEARS
        }
        factor = self.n / sum(raw.values())
        wanted = [(cid, year, x * factor) for (cid, year), x in raw.items()]
        counts = {(cid, year): int(x) for cid, year, x in wanted}
        short = self.n - sum(counts.values())
        for cid, year, _ in sorted(wanted, key=lambda w: w[2] - int(w[2]), reverse=True)[:short]:
            counts[(cid, year)] += 1
        execute(
            "CREATE UNLOGGED TABLE bench_plan (seq serial, committee_id bigint, session_id bigint, "
            "year integer, opens date, current boolean, n integer)"
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO bench_plan (committee_id, session_id, year, opens, current, n) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    (cid, sessions[(cid, year)][0], year, sessions[(cid, year)][1], year == CURRENT_YEAR, n)
                    for (cid, year), n in counts.items()
                    if n
                ],
            )
        # Rows are written year by year and, within a year, interleaved across committees, as they arrive.
        return execute(
            "CREATE UNLOGGED TABLE bench_p AS SELECT "
            "row_number() OVER (ORDER BY pl.year, bench_u(pl.seq * 100000 + g, 1)) AS ord, "
            "pl.committee_id, pl.session_id, pl.year, pl.opens, pl.current, g "
            "FROM bench_plan pl, generate_series(1, pl.n) g"
        )

    def proposals(self) -> int:
        state = (
            f"CASE WHEN b.current THEN {weighted_case('bench_u(b.ord, 2)', STATES_CURRENT)} "
            f"ELSE {weighted_case('bench_u(b.ord, 2)', STATES_PAST)} END"
        )
        member = (
            "(SELECT id FROM bench_pick WHERE kind = '{kind}' AND committee_id = y.committee_id "
            "AND idx = floor(y.rw * c.{kind}s)::int)"
        )
        # Rates of the ten years are spread from January (during the session) into the year; in the year
        # in progress nothing is dated after today.
        sql = f"""
        WITH txt AS (
            SELECT array_agg(txt ORDER BY idx) FILTER (WHERE kind = 'topic') AS topic,
                   array_agg(txt ORDER BY idx) FILTER (WHERE kind = 'verb') AS verb,
                   array_agg(txt ORDER BY idx) FILTER (WHERE kind = 'background') AS background,
                   array_agg(txt ORDER BY idx) FILTER (WHERE kind = 'suggestion') AS suggestion
            FROM bench_text
        )
        INSERT INTO proposals_proposal (
            committee_id, session_id, number, during_session, title, background, suggestions, category, kind,
            proposer_kind, author_id, party_id, sector_id, special_committee_id, created_by_id, state,
            submitted_at, reviewed_at, not_filed_reason, conversion, merged_into_id, deadline, rehandle_count,
            is_key, is_first, is_excellent, origin_id, client_token, version, created_at, updated_at)
        SELECT y.committee_id, y.session_id,
            CASE WHEN y.state = 'draft' THEN NULL ELSE y.g END,
            y.during,
            '关于' || txt.verb[1 + floor(y.rt * 8)::int] || txt.topic[1 + floor(y.rw * 40)::int] || '的建议',
            txt.background[1 + floor(y.rt * 6)::int]
                || txt.background[1 + mod(floor(y.rt * 6)::int + 1 + floor(y.rd * 5)::int, 6)],
            txt.suggestion[1 + floor(y.rw * 5)::int] || txt.suggestion[1 + floor(y.rt * 5)::int],
            (ARRAY['economy','politics','culture','society','ecology','other'])[1 + floor(y.rm * 6)::int],
            y.kind, y.proposer_kind,
            CASE WHEN y.proposer_kind = 'member' THEN {member.format(kind="member")} END,
            CASE WHEN y.proposer_kind = 'party' THEN {member.format(kind="party")} END,
            CASE WHEN y.proposer_kind = 'sector' THEN {member.format(kind="sector")} END,
            CASE WHEN y.proposer_kind = 'special_committee' THEN {member.format(kind="special")} END,
            c.user_id, y.state, y.submitted_at,
            CASE WHEN y.state NOT IN ('draft', 'submitted', 'withdrawn')
                 THEN LEAST(y.submitted_at + (10 + floor(y.rm * 20)::int) * interval '1 day', now()) END,
            CASE WHEN y.state = 'not_filed' THEN '不符合提案立案标准，转有关部门参考' ELSE '' END,
            CASE WHEN y.state = 'not_filed' AND y.rm < 0.3 THEN 'opinion'
                 WHEN y.state = 'not_filed' AND y.rm < 0.4 THEN 'letter' ELSE '' END,
            NULL,
            CASE WHEN y.state IN ({quoted(HANDLED)}) THEN (y.submitted_at + interval '120 days')::date END,
            CASE WHEN y.state = 'rehandling' OR (y.state = 'closed' AND y.rm > 0.975) THEN 1 ELSE 0 END,
            y.state IN ({quoted(FILED)}) AND y.rf < CASE WHEN y.kind = 'collective' THEN 0.15 ELSE 0.025 END,
            y.g = 1 AND y.state IN ({quoted(FILED)}),
            y.state = 'closed' AND y.rf > 0.98,
            NULL, '', 1,
            COALESCE(y.submitted_at, make_date(y.year, 1, 1) + time '09:00') - interval '2 days',
            COALESCE(y.submitted_at, make_date(y.year, 1, 1) + time '09:00') + interval '150 days'
        FROM (
            SELECT x.*,
                CASE WHEN x.rk < 0.82 THEN 'individual' ELSE 'collective' END AS kind,
                CASE WHEN x.rk < 0.82 THEN 'member'
                     WHEN x.rk < 0.928 THEN 'party'
                     WHEN x.rk < 0.973 THEN 'sector' ELSE 'special_committee' END AS proposer_kind,
                x.rd < 0.8 AS during,
                CASE WHEN x.state = 'draft' THEN NULL
                     WHEN x.rd < 0.8 THEN x.opens + floor(x.rd * 5)::int + time '09:30'
                     ELSE LEAST(
                        x.opens + 5 + floor((x.rd - 0.8) * 5 * CASE WHEN x.current THEN 240 ELSE 320 END)::int
                            + time '10:00', now() - interval '30 days')
                END AS submitted_at
            FROM (
                SELECT b.*, {state} AS state, bench_u(b.ord, 3) AS rk, bench_u(b.ord, 4) AS rw,
                    bench_u(b.ord, 5) AS rf, bench_u(b.ord, 6) AS rd, bench_u(b.ord, 7) AS rt,
                    bench_u(b.ord, 8) AS rm
                FROM bench_p b
            ) x
        ) y
        JOIN bench_cn c ON c.committee_id = y.committee_id
        CROSS JOIN txt
        ORDER BY y.ord
        """
        rows = execute(sql)
        # 并案: into the session's first proposal that was handled to the end.
        execute(
            "UPDATE proposals_proposal m SET merged_into_id = t.id FROM ("
            "  SELECT session_id, min(id) AS id FROM proposals_proposal WHERE state = 'closed' GROUP BY session_id"
            ") t WHERE m.state = 'merged' AND t.session_id = m.session_id"
        )
        return rows

    def cosigners(self) -> int:
        # Most individual proposals have 1-3 co-signers: the author's neighbours in the roster (k = 1..3,
        # so never the author and never twice). A draft's invitations may still be open.
        return execute(
            """
            INSERT INTO proposals_cosigner (proposal_id, member_id, status, responded_at)
            SELECT p.id, m.id,
                CASE WHEN p.state = 'draft' AND bench_u(p.id * 4 + k, 22) < 0.5 THEN 'invited'
                     WHEN bench_u(p.id * 4 + k, 22) < 0.93 THEN 'confirmed' ELSE 'declined' END,
                CASE WHEN p.state = 'draft' AND bench_u(p.id * 4 + k, 22) < 0.5 THEN NULL
                     ELSE p.created_at + interval '1 day' END
            FROM proposals_proposal p
            JOIN bench_pick a ON a.kind = 'member' AND a.id = p.author_id
            JOIN bench_cn c ON c.committee_id = p.committee_id
            CROSS JOIN LATERAL generate_series(1, 1 + floor(bench_u(p.id, 21) * 3)::int) k
            JOIN bench_pick m ON m.kind = 'member' AND m.committee_id = p.committee_id
                AND m.idx = mod(a.idx + k, c.members)
            WHERE p.kind = 'individual' AND bench_u(p.id, 20) < 0.8
            """
        )

    def assignments(self) -> int:
        """One lead unit per handled proposal, a co-handling unit for 30%, and for 3% of those handled to
        the end an earlier lead that asked for the proposal back (申请退回, then 重新交办)."""
        status = (
            "CASE p.state WHEN 'assigned' THEN 'active' WHEN 'rehandling' THEN 'active' "
            "WHEN 'returned' THEN 'returned' ELSE 'done' END"
        )
        select = """
            INSERT INTO proposals_assignment
                (proposal_id, committee_id, unit_id, role, status, deadline, assigned_at, return_reason)
            SELECT p.id, p.committee_id, u.id, '{role}', {status}, p.deadline,
                p.reviewed_at + interval '{days} days', {reason}
            FROM proposals_proposal p
            JOIN bench_cn c ON c.committee_id = p.committee_id
            JOIN bench_pick u ON u.kind = 'unit' AND u.committee_id = p.committee_id
                AND u.idx = mod(floor(bench_u(p.id, 30) * c.units)::int + {shift}, c.units)
            WHERE p.state IN ({handled}) {where}
        """
        returned = "CASE WHEN p.state = 'returned' THEN '不属于本单位职责范围' ELSE '' END"
        rows = execute(
            select.format(
                role="lead",
                status=status,
                days=3,
                reason=returned,
                shift=0,
                handled=quoted(HANDLED),
                where="",
            )
        )
        rows += execute(
            select.format(
                role="co",
                status=status,
                days=3,
                reason=returned,
                shift="1 + floor(bench_u(p.id, 31) * 5)::int",
                handled=quoted(HANDLED),
                where="AND bench_u(p.id, 32) < 0.3",
            )
        )
        rows += execute(
            select.format(
                role="lead",
                status="'returned'",
                days=1,
                reason="'不属于本单位职责范围'",
                shift=7,
                handled=quoted(("replied", "closed")),
                where="AND bench_u(p.id, 33) < 0.03",
            )
        )
        return rows

    def replies(self) -> int:
        """Every unit still on a replied proposal answers in round 1 (the lead with a result A/B/C); a
        proposal re-handled after a 不满意 has a second lead answer in round 2."""
        result1 = weighted_case("bench_u(p.id, 40)", [("A", 55), ("B", 35), ("C", 10)])
        result2 = weighted_case("bench_u(p.id, 41)", [("A", 45), ("B", 42), ("C", 13)])
        rows = execute(
            f"""
            INSERT INTO proposals_reply
                (proposal_id, committee_id, unit_id, role, result, letter, doc_number, round, replied_at)
            SELECT p.id, p.committee_id, a.unit_id, a.role,
                CASE WHEN a.role = 'lead' THEN {result1} ELSE '' END,
                '关于' || left(p.title, 40) || '的答复：经认真研究，现将办理情况答复如下。',
                CASE WHEN a.role = 'lead' THEN '函〔' || extract(year FROM p.reviewed_at) || '〕'
                    || (1 + mod(p.id, 900)) || '号' ELSE '' END,
                1, LEAST(p.reviewed_at + (30 + floor(bench_u(p.id, 42) * 60)::int) * interval '1 day', now())
            FROM proposals_proposal p
            JOIN proposals_assignment a ON a.proposal_id = p.id AND a.status <> 'returned'
            WHERE p.state IN ({quoted(REPLIED)})
            """
        )
        rows += execute(
            f"""
            INSERT INTO proposals_reply
                (proposal_id, committee_id, unit_id, role, result, letter, doc_number, round, replied_at)
            SELECT p.id, p.committee_id, a.unit_id, 'lead', {result2},
                '关于' || left(p.title, 40) || '的再次答复。', '', 2,
                LEAST(p.reviewed_at + interval '150 days', now())
            FROM proposals_proposal p
            JOIN proposals_assignment a ON a.proposal_id = p.id AND a.role = 'lead' AND a.status = 'done'
            WHERE p.state = 'closed' AND p.rehandle_count = 1
            """
        )
        return rows

    def feedback(self) -> int:
        first = weighted_case("bench_u(p.id, 50)", [("satisfied", 86), ("basic", 14)])
        second = weighted_case("bench_u(p.id, 51)", [("satisfied", 50), ("basic", 40), ("dissatisfied", 10)])
        return execute(
            f"""
            INSERT INTO proposals_feedback (proposal_id, committee_id, rating, comment, round, by_id, at)
            SELECT p.id, p.committee_id, f.rating, '', f.round, p.created_by_id,
                LEAST(p.reviewed_at + (60 + 90 * f.round) * interval '1 day', now())
            FROM proposals_proposal p
            CROSS JOIN LATERAL (VALUES
                (1, CASE WHEN p.rehandle_count = 1 THEN 'dissatisfied' ELSE {first} END),
                (2, CASE WHEN p.state = 'closed' AND p.rehandle_count = 1 THEN {second} END)
            ) f(round, rating)
            WHERE p.state IN ('rehandling', 'closed') AND f.rating IS NOT NULL
            """
        )

    # --- opinion reports and instructions -----------------------------------------------------------------

    def opinions(self) -> int:
        execute(
            f"""
            CREATE UNLOGGED TABLE bench_c AS
            SELECT row_number() OVER (ORDER BY pl.year, bench_u(pl.seq * 100000 + g, 60)) AS ord,
                pl.committee_id, pl.year, pl.current, g
            FROM bench_plan pl,
                generate_series(1, round(pl.n * {OPINIONS_PER_PROPOSAL} * (0.6 + 0.8 * bench_u(pl.seq, 61)))::int) g
            """
        )
        state = (
            f"CASE WHEN b.current THEN {weighted_case('bench_u(b.ord, 62)', OPINION_STATES_CURRENT)} "
            f"ELSE {weighted_case('bench_u(b.ord, 62)', OPINION_STATES_PAST)} END"
        )
        source = weighted_case(
            "x.rs",
            [("member", 82), ("party", 9), ("sector", 4), ("special_committee", 2), ("station", 3)],
        )
        pick = (
            "(SELECT id FROM bench_pick WHERE kind = '{kind}' AND committee_id = y.committee_id "
            "AND idx = floor(y.rw * c.{kind}s)::int)"
        )
        rows = execute(
            f"""
            WITH txt AS (SELECT array_agg(txt ORDER BY idx) FILTER (WHERE kind = 'topic') AS topic,
                                array_agg(txt ORDER BY idx) FILTER (WHERE kind = 'background') AS background
                         FROM bench_text)
            INSERT INTO opinions_opinionreport (
                committee_id, year, number, kind, title, situation, suggestion, source_kind, reflector_name,
                party_id, sector_id, special_committee_id, station_id, created_by_id, state, submitted_on,
                archive_reason, merged_into_id, proposal_id, imported, client_token, version, created_at,
                updated_at)
            SELECT y.committee_id, y.year, CASE WHEN y.state = 'draft' THEN NULL ELSE y.g END,
                {weighted_case("y.rk", [("opinion", 85), ("research", 8), ("advice", 5), ("inspection", 2)])},
                '关于' || txt.topic[1 + floor(y.rw * 40)::int] || '方面群众反映的问题',
                txt.background[1 + floor(y.rk * 6)::int], '建议有关部门研究解决。', y.source,
                '',
                CASE WHEN y.source = 'party' THEN {pick.format(kind="party")} END,
                CASE WHEN y.source = 'sector' THEN {pick.format(kind="sector")} END,
                CASE WHEN y.source = 'special_committee' THEN {pick.format(kind="special")} END,
                CASE WHEN y.source = 'station' THEN {pick.format(kind="station")} END,
                c.user_id, y.state, CASE WHEN y.state <> 'draft' THEN y.day END,
                CASE WHEN y.state = 'archived' THEN '内容已有类似信息报送' ELSE '' END,
                NULL, NULL, false, '', 1, y.day - 1 + time '09:00', y.day + 30 + time '09:00'
            FROM (
                SELECT x.*, {source} AS source,
                    LEAST(make_date(x.year, 1, 1) + floor(x.rd * 360)::int, current_date - 20) AS day
                FROM (SELECT b.*, {state} AS state, bench_u(b.ord, 63) AS rk, bench_u(b.ord, 64) AS rw,
                             bench_u(b.ord, 65) AS rs, bench_u(b.ord, 66) AS rd
                      FROM bench_c b) x
            ) y
            JOIN bench_cn c ON c.committee_id = y.committee_id
            CROSS JOIN txt
            ORDER BY y.ord
            """
        )
        execute(
            "UPDATE opinions_opinionreport m SET merged_into_id = t.id FROM ("
            "  SELECT committee_id, year, min(id) AS id FROM opinions_opinionreport WHERE state = 'forwarded' "
            "  GROUP BY committee_id, year"
            ") t WHERE m.state = 'merged' AND t.committee_id = m.committee_id AND t.year = m.year"
        )
        # Member-sourced reports credit their member, 15% a second one.
        execute(
            """
            INSERT INTO opinions_opinionreport_authors (opinionreport_id, member_id)
            SELECT r.id, m.id
            FROM opinions_opinionreport r
            JOIN bench_cn c ON c.committee_id = r.committee_id
            CROSS JOIN LATERAL generate_series(0, CASE WHEN bench_u(r.id, 67) < 0.15 THEN 1 ELSE 0 END) k
            JOIN bench_pick m ON m.kind = 'member' AND m.committee_id = r.committee_id
                AND m.idx = mod(floor(bench_u(r.id, 68) * c.members)::int + k, c.members)
            WHERE r.source_kind = 'member'
            """
        )
        return rows

    def forwardings_and_instructions(self) -> int:
        target = weighted_case(
            "bench_u(r.id, 70)",
            [("government", 50), ("party_committee", 30), ("higher_cppcc", 15), ("other", 5)],
        )
        execute(
            f"""
            INSERT INTO opinions_forwarding (report_id, committee_id, target, receiver, issue, forwarded_on,
                adopted, adopted_on, adopted_by, adoption_note, by_id)
            SELECT r.id, r.committee_id, {target}, '', '第' || r.number || '期',
                r.submitted_on + 7 + floor(bench_u(r.id, 71) * 20)::int,
                r.state = 'adopted',
                CASE WHEN r.state = 'adopted' THEN r.submitted_on + 30 + floor(bench_u(r.id, 72) * 30)::int END,
                CASE WHEN r.state = 'adopted' THEN '市委办公室' ELSE '' END, '', r.created_by_id
            FROM opinions_opinionreport r
            WHERE r.state IN ('forwarded', 'adopted')
            """
        )
        # 批示: most adopted reports and a few forwarded ones, some twice; dated after forwarding, so a
        # December report's instruction may count in the next year, as in the ledgers.
        level = weighted_case(
            "bench_u(f.id * 2 + k, 73)", [("city", 45), ("county", 30), ("provincial", 20), ("national", 5)]
        )
        return execute(
            f"""
            INSERT INTO opinions_instruction (report_id, committee_id, forwarding_id, level, leader_name,
                leader_title, instructed_on, text, imported, by_id, created_at)
            SELECT f.report_id, f.committee_id, f.id, {level}, '', '主要领导',
                f.forwarded_on + 5 + floor(bench_u(f.id * 2 + k, 74) * 55)::int,
                '请相关部门认真研究办理。', false, f.by_id,
                f.forwarded_on + 60 + time '09:00'
            FROM opinions_forwarding f
            CROSS JOIN LATERAL generate_series(0, CASE WHEN bench_u(f.id, 75) < 0.3 THEN 1 ELSE 0 END) k
            WHERE (f.adopted AND bench_u(f.id, 76) < 0.7) OR (NOT f.adopted AND bench_u(f.id, 76) < 0.1)
            """
        )

    # --- consultations ------------------------------------------------------------------------------------

    def consultations(self) -> int:
        per_year = {
            c.pk: CONSULTATIONS[c.level] * min(1.0, self.scale) for p in self.provinces for c in p.all
        }
        execute("DROP TABLE IF EXISTS bench_c")
        execute(
            "CREATE UNLOGGED TABLE bench_c (committee_id bigint, year integer, current boolean, n integer)"
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO bench_c VALUES (%s, %s, %s, %s)",
                [
                    (cid, year, year == CURRENT_YEAR, max(1, round(n * (0.7 + 0.6 * self.rng.random()))))
                    for cid, n in per_year.items()
                    for year in YEARS
                ],
            )
        kind = weighted_case("s.rk", [("consultation", 75), ("research", 15), ("inspection", 10)])
        form = weighted_case(
            "x.rf",
            [
                ("plenary", 5),
                ("standing", 12),
                ("research", 22),
                ("proposal", 14),
                ("supervisory", 14),
                ("micro", 23),
                ("open", 10),
            ],
        )
        past = [("planned", 2), ("held", 25), ("closed", 68), ("cancelled", 5)]
        current = [("planned", 25), ("held", 35), ("closed", 35), ("cancelled", 5)]
        return execute(
            f"""
            WITH txt AS (SELECT array_agg(txt ORDER BY idx) FILTER (WHERE kind = 'topic') AS topic
                         FROM bench_text)
            INSERT INTO consultations_consultation (committee_id, kind, form, series, topic_id, title, held_on,
                place, station_id, lead_id, state, summary, minutes, report_id, is_good_case, case_summary,
                created_by_id, version, created_at, updated_at)
            SELECT x.committee_id, x.kind, CASE WHEN x.kind = 'consultation' THEN {form} ELSE '' END,
                CASE WHEN x.kind = 'consultation' AND x.rf > 0.77 THEN '有事好商量' ELSE '' END, NULL,
                '围绕' || txt.topic[1 + floor(x.rw * 40)::int] || '开展协商', x.day, '', NULL, NULL, x.state,
                '', '', NULL, x.state = 'closed' AND x.rw > 0.97, '', c.user_id, 1,
                x.day - 20 + time '09:00', x.day + 10 + time '09:00'
            FROM (
                SELECT s.*, {kind} AS kind,
                    CASE WHEN s.current THEN {weighted_case("s.rs", current)}
                         ELSE {weighted_case("s.rs", past)} END AS state,
                    CASE WHEN s.current
                         THEN make_date(s.year, 1, 10) + floor(s.rd * 360)::int
                         ELSE make_date(s.year, 1, 10) + floor(s.rd * 345)::int END AS day
                FROM (
                    SELECT b.committee_id, b.year, b.current, g,
                        bench_u(b.committee_id * 100000 + b.year * 10 + g, 80) AS rk,
                        bench_u(b.committee_id * 100000 + b.year * 10 + g, 81) AS rf,
                        bench_u(b.committee_id * 100000 + b.year * 10 + g, 82) AS rs,
                        bench_u(b.committee_id * 100000 + b.year * 10 + g, 83) AS rd,
                        bench_u(b.committee_id * 100000 + b.year * 10 + g, 84) AS rw
                    FROM bench_c b, generate_series(1, b.n) g
                ) s
            ) x
            JOIN bench_cn c ON c.committee_id = x.committee_id
            CROSS JOIN txt
            ORDER BY x.year, x.day
            """
        )

    def participants(self) -> int:
        """6-25 people per consultation, 70% of them members (consecutive in the roster, so each once);
        the others officials, experts and the public, named but not members."""
        kind = weighted_case(
            "bench_u(q.id * 32 + k, 90)",
            [("member", 70), ("official", 15), ("expert", 8), ("public", 7)],
        )
        attendance = weighted_case(
            "bench_u(q.id * 32 + k, 91)", [("attended", 86), ("leave", 8), ("absent", 3), ("invited", 3)]
        )
        return execute(
            f"""
            INSERT INTO consultations_participant (consultation_id, committee_id, kind, member_id, name,
                organisation, attendance, leave_reason)
            SELECT y.id, y.committee_id, y.kind, CASE WHEN y.kind = 'member' THEN m.id END,
                CASE WHEN y.kind = 'member' THEN m.name ELSE '特邀代表' || y.k END, '',
                CASE WHEN y.state IN ('planned', 'cancelled') THEN 'invited' ELSE y.attendance END,
                CASE WHEN y.attendance = 'leave' AND y.state IN ('held', 'closed') THEN '公务' ELSE '' END
            FROM (
                SELECT q.id, q.committee_id, q.state, k, {kind} AS kind, {attendance} AS attendance,
                    mod(floor(bench_u(q.id, 92) * c.members)::int + k, c.members) AS idx
                FROM consultations_consultation q
                JOIN bench_cn c ON c.committee_id = q.committee_id
                CROSS JOIN LATERAL generate_series(1, 6 + floor(bench_u(q.id, 93) * 20)::int) k
            ) y
            JOIN bench_pick m ON m.kind = 'member' AND m.committee_id = y.committee_id AND m.idx = y.idx
            """
        )

    def outcomes(self) -> int:
        """2-6 agreed items per consultation held; a closed consultation's items are all closed."""
        state = weighted_case(
            "bench_u(q.id * 8 + k, 95)",
            [
                ("draft", 15),
                ("transferred", 25),
                ("accepted", 30),
                ("not_accepted", 5),
                ("done", 15),
                ("closed", 10),
            ],
        )
        return execute(
            f"""
            INSERT INTO consultations_outcome (consultation_id, committee_id, number, text, unit_id, deadline,
                state, percent, response, feedback, transferred_at, closed_at, version, updated_at)
            SELECT y.id, y.committee_id, y.k, '协商成果第' || y.k || '项', CASE WHEN y.state <> 'draft'
                THEN u.id END, CASE WHEN y.state <> 'draft' THEN y.held_on + 90 END, y.state,
                CASE y.state WHEN 'closed' THEN 100 WHEN 'done' THEN 100 WHEN 'accepted' THEN 50 ELSE 0 END,
                '', '', CASE WHEN y.state <> 'draft' THEN y.held_on + 10 + time '10:00' END,
                CASE WHEN y.state = 'closed' THEN y.held_on + 100 + time '10:00' END, 1,
                y.held_on + 10 + time '10:00'
            FROM (
                SELECT q.id, q.committee_id, q.held_on, k,
                    CASE WHEN q.state = 'closed' THEN 'closed' ELSE {state} END AS state,
                    mod(floor(bench_u(q.id * 8 + k, 96) * c.units)::int, c.units) AS idx
                FROM consultations_consultation q
                JOIN bench_cn c ON c.committee_id = q.committee_id
                CROSS JOIN LATERAL generate_series(1, 2 + floor(bench_u(q.id, 97) * 5)::int) k
                WHERE q.kind = 'consultation' AND q.state IN ('held', 'closed')
            ) y
            JOIN bench_pick u ON u.kind = 'unit' AND u.committee_id = y.committee_id AND u.idx = y.idx
            """
        )

    # --- concerns -----------------------------------------------------------------------------------------

    def concerns(self) -> int:
        execute("TRUNCATE bench_c")
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO bench_c VALUES (%s, %s, %s, %s)",
                [
                    (
                        c.pk,
                        year,
                        year == CURRENT_YEAR,
                        max(
                            1,
                            round(CONCERNS[c.level] * min(1.0, self.scale) * (0.6 + 0.8 * self.rng.random())),
                        ),
                    )
                    for p in self.provinces
                    for c in p.all
                    for year in YEARS
                ],
            )
        past = [("review", 1), ("open", 2), ("taken", 3), ("closed", 86), ("rejected", 8)]
        current = [("review", 3), ("open", 12), ("taken", 20), ("closed", 57), ("rejected", 8)]
        outcome = weighted_case(
            "x.rw", [("resolved", 60), ("consultation", 10), ("opinion", 20), ("proposal", 10)]
        )
        return execute(
            f"""
            WITH txt AS (SELECT array_agg(txt ORDER BY idx) FILTER (WHERE kind = 'topic') AS topic
                         FROM bench_text)
            INSERT INTO grassroots_concern (committee_id, station_id, number, channel, category, title, content,
                name, phone, state, flags, content_hash, source_hash, taken_by_id, taken_at, outcome, result,
                closed_at, reject_reason, opinion_report_id, proposal_id, consultation_id, created_by_id,
                version, created_at, updated_at)
            SELECT x.committee_id, CASE WHEN x.rw < 0.5 THEN st.id END,
                'Q' || x.year || '-' || x.committee_id || '-' || x.g,
                (ARRAY['visit','web','phone','letter'])[1 + floor(x.rk * 4)::int],
                (ARRAY['urban','environment','transport','education','labour','commerce','health','other'])
                    [1 + floor(x.rw * 8)::int],
                txt.topic[1 + floor(x.rk * 40)::int] || '问题', '希望有关部门尽快解决' ||
                    txt.topic[1 + floor(x.rk * 40)::int] || '方面的问题。',
                '', '', x.state, '[]'::jsonb, md5(x.committee_id || '-' || x.year || '-' || x.g), '',
                CASE WHEN x.state IN ('taken', 'closed') THEN m.id END,
                CASE WHEN x.state IN ('taken', 'closed') THEN x.at + interval '2 days' END,
                CASE WHEN x.state = 'closed' THEN {outcome} ELSE '' END,
                CASE WHEN x.state = 'closed' THEN '已协调解决' ELSE '' END,
                CASE WHEN x.state = 'closed' THEN x.at + interval '20 days' END,
                CASE WHEN x.state = 'rejected' THEN '不属于受理范围' ELSE '' END,
                NULL, NULL, NULL, NULL, 1, x.at, x.at + interval '20 days'
            FROM (
                SELECT s.*,
                    CASE WHEN s.current THEN {weighted_case("s.rs", current)}
                         ELSE {weighted_case("s.rs", past)} END AS state,
                    LEAST(make_date(s.year, 1, 1) + floor(s.rd * 364)::int + time '10:00'
                        + floor(s.rk * 480)::int * interval '1 minute', now() - interval '1 day') AS at
                FROM (
                    SELECT b.committee_id, b.year, b.current, g,
                        bench_u(b.committee_id * 100000 + b.year * 10 + g, 100) AS rk,
                        bench_u(b.committee_id * 100000 + b.year * 10 + g, 101) AS rw,
                        bench_u(b.committee_id * 100000 + b.year * 10 + g, 102) AS rs,
                        bench_u(b.committee_id * 100000 + b.year * 10 + g, 103) AS rd
                    FROM bench_c b, generate_series(1, b.n) g
                ) s
            ) x
            JOIN bench_cn c ON c.committee_id = x.committee_id
            JOIN bench_pick m ON m.kind = 'member' AND m.committee_id = x.committee_id
                AND m.idx = floor(x.rw * c.members)::int
            JOIN bench_pick st ON st.kind = 'station' AND st.committee_id = x.committee_id
                AND st.idx = floor(x.rk * c.stations)::int
            CROSS JOIN txt
            ORDER BY x.at
            """
        )

    # --- duty records and evaluations of the measured committee-year --------------------------------------

    def duties(self, committee: Committee, year: int) -> int:
        """About 30 confirmed duty records per member (generate.duty_records) and the year's evaluation
        computed by the real scoring service under a 16-rule scheme, as `make bench` does."""
        rows, _ = generate.duty_records(committee, year, 30)
        scheme = ScoringScheme.objects.create(
            committee=committee, year=year, version=1, name="基准考评办法", threshold=Decimal(60)
        )
        ScoringRule.objects.bulk_create(
            [
                ScoringRule(
                    scheme=scheme, kind=kind, points=Decimal(-5 if kind == "absence" else weight % 7 + 1)
                )
                for kind, weight in generate.DUTY_MIX
            ]
        )
        scoring.recompute(committee.pk, year)
        return rows

    def drop_indexes(self) -> list[str]:
        """Drop the secondary indexes of the tables loaded in bulk; returns their definitions."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = ANY(%s) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [list(BULK_TABLES)],
            )
            found = cursor.fetchall()
            for name, _ in found:
                cursor.execute(f"DROP INDEX {name}")
        return [definition for _, definition in found]

    def create_indexes(self, definitions: list[str]) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for definition in definitions:
                cursor.execute(definition)
            cursor.execute("RESET maintenance_work_mem")
        return len(definitions)

    def foreign_key_checks(self, on: bool) -> bool:
        """Foreign-key triggers on or off for this session (needs a superuser, as the local postgres is);
        returns whether the switch was made."""
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET session_replication_role = {'origin' if on else 'replica'}")
            return True
        except DatabaseError:
            self.log("  （无权关闭外键检查，按常规写入）")
            return False

    def cleanup(self) -> None:
        execute("DROP TABLE IF EXISTS bench_pick, bench_cn, bench_text, bench_plan, bench_p, bench_c")

    def run(self) -> Result:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            # The generation's sorts fit in memory; a lost commit here costs a rerun, nothing more.
            cursor.execute("SET work_mem = '256MB'")
            cursor.execute("SET synchronous_commit = off")
            # The planner's estimates for these statements are huge; LLVM compiling them costs seconds.
            cursor.execute("SET jit = off")
            # Dates are written as local times (08:00-18:00 in Beijing), as the report's year boundaries are.
            cursor.execute("SET TIME ZONE 'Asia/Shanghai'")
        execute(
            "CREATE OR REPLACE FUNCTION bench_u(bigint, integer) RETURNS double precision "
            "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS "
            "$$ SELECT (hashint8extended($1, $2) & 2147483647)::float8 / 2147483648.0 $$"
        )
        self.organisation()
        self.lookups()
        self.step("提案计划（每个政协每年的件数）", self.plan)
        # Bulk loading as a restore does: secondary indexes are built once at the end (a sort instead of a
        # million B-tree inserts each) and the foreign-key triggers are off, since every referenced id is
        # read from its table here. Unique constraints stay in force during the load; the dropped unique
        # indexes (partial ones such as one number per session) check the data when they are rebuilt.
        indexes = self.drop_indexes()
        replica = self.foreign_key_checks(False)
        try:
            self.step("提案 proposals_proposal", self.proposals, "proposals_proposal")
            self.step("联名 proposals_cosigner", self.cosigners, "proposals_cosigner")
            self.step("交办 proposals_assignment", self.assignments, "proposals_assignment")
            self.step("答复 proposals_reply", self.replies, "proposals_reply")
            self.step("办理评价 proposals_feedback", self.feedback, "proposals_feedback")
            self.step(
                "社情民意 opinions_opinionreport（含反映人）",
                self.opinions,
                "opinions_opinionreport",
                "opinions_opinionreport_authors",
            )
            self.step(
                "报送与领导批示 opinions_instruction",
                self.forwardings_and_instructions,
                "opinions_forwarding",
                "opinions_instruction",
            )
            self.step("协商活动 consultations_consultation", self.consultations, "consultations_consultation")
            self.step("参加人员 consultations_participant", self.participants, "consultations_participant")
            self.step("协商成果 consultations_outcome", self.outcomes, "consultations_outcome")
            self.step("群众诉求 grassroots_concern", self.concerns, "grassroots_concern")
        finally:
            if replica:
                self.foreign_key_checks(True)
        self.step("重建二级索引（个）", lambda: self.create_indexes(indexes))
        city = self.provinces[0].cities[0]
        self.step(
            f"履职记录与考评（{city.name} {MEASURED_YEAR} 年）", lambda: self.duties(city, MEASURED_YEAR)
        )
        self.cleanup()
        with connection.cursor() as cursor:
            cursor.execute("RESET work_mem")
            cursor.execute("RESET synchronous_commit")
            cursor.execute("RESET jit")
            cursor.execute(f"SET TIME ZONE '{connection.timezone_name}'")
        return Result(
            proposals=self.n,
            provinces=self.provinces,
            steps=self.steps,
            seconds=time.perf_counter() - started,
            scale=self.scale,
        )


def run(n_proposals: int, *, n_cities: int = 20, log: Callable[[str], None] = print) -> Result:
    return Generator(n_proposals, n_cities=n_cities, log=log).run()
