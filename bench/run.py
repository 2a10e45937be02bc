"""`make bench`: generate a committee tree with tens of thousands of members on a fresh database and time the
pages and API operations that read them, next to the bare SQL and a trivial view as the baseline.

SQLite by default (var/bench.sqlite3, deleted first); PostgreSQL when BENCH_DATABASE_URL is set (the database
must exist and be empty, it is migrated here). Results are printed and written to bench/RESULTS.md, one
section per database engine. Sizes: BENCH_MEMBERS (default 20000, the city committee), BENCH_COUNTIES (10),
BENCH_COUNTY_MEMBERS (2000 each), BENCH_REPEAT (50 requests per operation).

Requests are served with settings.DEBUG switched off after start-up, as in production (the Makefile starts
Python with DEBUG=true only so that no SECRET_KEY and collected static files are needed).
"""

from __future__ import annotations

import io
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SQLITE_FILE = ROOT / "var" / "bench.sqlite3"
RESULTS = ROOT / "bench" / "RESULTS.md"

if os.environ.get("BENCH_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
else:
    os.environ.pop("DATABASE_URL", None)
    os.environ["SQLITE_PATH"] = str(SQLITE_FILE)
    SQLITE_FILE.parent.mkdir(exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("HTTPS", "false")

import warnings  # noqa: E402

import django  # noqa: E402

# WhiteNoise warns that STATIC_ROOT is missing when DEBUG is off; the benchmark serves no static files.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

django.setup()

import generate  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from zhengxie.org.models import Committee, Member  # noqa: E402

N_CITY = int(os.environ.get("BENCH_MEMBERS", "20000"))
N_COUNTIES = int(os.environ.get("BENCH_COUNTIES", "10"))
N_COUNTY = int(os.environ.get("BENCH_COUNTY_MEMBERS", "2000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "50"))
HOST = "127.0.0.1"


@dataclass
class Row:
    operation: str
    n: int
    p50: float
    p95: float
    queries: int
    sql_ms: float
    target: float | None

    @property
    def status(self) -> str:
        if self.target is None:
            return "—"
        return "PASS" if self.p95 < self.target else "**FAIL**"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def measure(name: str, fn: Callable[[], object], target: float | None, repeat: int = REPEAT) -> Row:
    """Warm up, count the queries of one call, then time `repeat` calls without the query capture."""
    for _ in range(3):
        fn()
    executed: list[float] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            executed.append((time.perf_counter() - t0) * 1000)

    # An execute wrapper, not CaptureQueriesContext: the request_started signal resets the debug query log.
    with connection.execute_wrapper(count):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    row = Row(
        name, repeat, statistics.median(times), percentile(times, 95), len(executed), sum(executed), target
    )
    target_text = f"< {target:.0f}" if target else ""
    print(
        f"  {name:<52} p50 {row.p50:7.1f} ms  p95 {row.p95:7.1f} ms  q={row.queries:<3} sql {row.sql_ms:5.1f} ms {target_text}"
    )
    return row


def get(client: Client, url: str) -> Callable[[], object]:
    def call() -> object:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        return response

    return call


def raw(sql: str, params: list[object]) -> Callable[[], object]:
    def call() -> object:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return call


def machine_info() -> list[tuple[str, str]]:
    cpu = "?"
    memory = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            db = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            import sqlite3

            db = f"SQLite {sqlite3.sqlite_version} (WAL, file {SQLITE_FILE.relative_to(ROOT)})"
    return [
        ("日期", datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")),
        ("CPU", f"{os.cpu_count()} × {cpu}"),
        ("内存", memory),
        ("Python", platform.python_version()),
        ("Django", django.get_version()),
        ("数据库", db),
        ("DEBUG (请求期间)", str(settings.DEBUG)),
    ]


def time_load_divisions() -> tuple[str, float | None, int]:
    """load_divisions on the freshly migrated database, before any other committee exists."""
    try:
        from django.core.management import get_commands

        if "load_divisions" not in get_commands():
            return "未计时：load_divisions 命令尚不存在", None, 0
        t0 = time.perf_counter()
        call_command("load_divisions", stdout=io.StringIO())
        seconds = time.perf_counter() - t0
        return "", seconds, Committee.objects.count()
    except Exception as exc:  # a missing data file must not stop the benchmark
        return f"未计时：load_divisions 失败（{type(exc).__name__}: {exc}）", None, Committee.objects.count()


def main() -> None:
    started = time.perf_counter()
    engine = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    print(f"== 基准测试：{engine} ==")

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_s = time.perf_counter() - t0
    print(f"migrate: {migrate_s:.1f} s")

    div_note, div_s, div_committees = time_load_divisions()
    print(f"load_divisions: {div_note or f'{div_committees} 个政协，{div_s:.1f} s'}")

    with transaction.atomic():
        tree = generate.committee_tree(N_COUNTIES)
        office = generate.office_user("bench_city_office", tree.city)
        provincial = generate.office_user("bench_province_office", tree.province)
    plan = [(tree.city, N_CITY), *[(c, N_COUNTY) for c in tree.counties]]
    with transaction.atomic():
        gen = generate.members(plan)
    print(
        f"生成委员: {gen.members:,} 行 + {gen.links:,} 个专委会关联，{gen.seconds:.1f} s "
        f"（{gen.rows_per_second:,.0f} 行/秒）"
    )
    # Steady state as after autovacuum: planner statistics, and on PostgreSQL the visibility map too (without
    # it an index-only COUNT still visits every heap page of the freshly inserted rows).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")

    # Requests as in production: no debug cursor, no debug templates (read when the engine is first built).
    settings.DEBUG = False
    city_client = Client(HTTP_HOST=HOST)
    city_client.force_login(office)
    province_client = Client(HTTP_HOST=HOST)
    province_client.force_login(provincial)
    anonymous = Client(HTTP_HOST=HOST)

    city = tree.city.pk
    city_members = Member.objects.filter(committee=tree.city).count()
    deep_page = min(300, max(1, city_members // 30))
    some_member = (
        Member.objects.filter(committee=tree.city)
        .order_by("id")
        .values_list("pk", flat=True)[city_members // 2]
    )
    columns = "id, name, gender, sector_id, party_id, position, station_id, mobile, enterprise"

    print(f"测量（每项 {REPEAT} 次）：")
    rows = [
        measure(
            "基线 SQL：委员名单一页 (WHERE committee_id ORDER BY id LIMIT 30)",
            raw(
                f"SELECT {columns} FROM org_member WHERE committee_id = %s ORDER BY id LIMIT 30",
                [city],
            ),
            None,
        ),
        measure(
            f"基线 SQL：第 {deep_page} 页 (OFFSET {(deep_page - 1) * 30})",
            raw(
                f"SELECT {columns} FROM org_member WHERE committee_id = %s ORDER BY id LIMIT 30 OFFSET %s",
                [city, (deep_page - 1) * 30],
            ),
            None,
        ),
        measure(
            "基线 SQL：COUNT(*) WHERE committee_id",
            raw("SELECT COUNT(*) FROM org_member WHERE committee_id = %s", [city]),
            None,
        ),
        measure("基线视图：GET /accounts/login/（匿名）", get(anonymous, "/accounts/login/"), None),
        measure(
            f"委员名单 /org/members/ 第 1 页（{city_members:,} 人）",
            get(city_client, f"/org/members/?committee={city}"),
            150,
        ),
        measure(
            f"委员名单 第 {deep_page} 页",
            get(city_client, f"/org/members/?committee={city}&page={deep_page}"),
            150,
        ),
        measure("委员名单 姓名搜索 ?q=张", get(city_client, f"/org/members/?committee={city}&q=张"), 150),
        measure("委员详情 /org/members/ID/", get(city_client, f"/org/members/{some_member}/"), None),
        measure(
            "API 委员名单 /api/v1/org/members?limit=50",
            get(city_client, f"/api/v1/org/members?committee={city}&limit=50"),
            150,
        ),
        measure(
            f"API 统计 /committees/ID/stats（省，含下级 {N_COUNTIES + 1} 个）",
            get(province_client, f"/api/v1/org/committees/{tree.province.pk}/stats"),
            200,
        ),
        measure("首页 /（市政协机关）", get(city_client, "/"), 150),
    ]
    evaluation = measure_evaluation(tree.province)
    total_s = time.perf_counter() - started
    report = render(engine, rows, gen, migrate_s, div_note, div_s, div_committees, total_s)
    report += render_evaluation(evaluation)
    print()
    print(report)
    write_results(engine, report)
    print(f"写入 {RESULTS.relative_to(ROOT)}；总用时 {total_s:.0f} s")


N_EVAL = int(os.environ.get("BENCH_EVAL_MEMBERS", "10000"))
EVAL_MEAN = int(os.environ.get("BENCH_EVAL_RECORDS", "30"))
EVAL_TARGET_S = 30.0


@dataclass
class EvalRun:
    members: int
    records: int
    generate_s: float
    baseline_s: float
    first_s: float
    again_s: float
    points_rows: int
    pages: list[Row]


def measure_evaluation(province: Committee) -> EvalRun:
    """履职考评重算: a committee of N_EVAL members with about EVAL_MEAN duty records each, scored under a
    16-rule scheme with caps and a deduction. The baseline is one bare SQL statement summing points per member
    (no caps, no rows written): the floor any recomputation has to read through."""
    from decimal import Decimal

    from zhengxie.duties import scoring
    from zhengxie.duties.models import ScoringRule, ScoringScheme

    year = 2026
    with transaction.atomic():
        committee = generate.services.committee_create(
            name="考评基准市政协",
            region_name="考评基准市",
            level=Committee.Level.PREFECTURE,
            parent=province,
            division_code="910200",
        )
        generate.furnish(committee)
        generate.members([(committee, N_EVAL)])
    _, generate_s = generate.duty_records(committee, year, EVAL_MEAN)
    scheme = ScoringScheme.objects.create(
        committee=committee, year=year, version=1, name="基准考评办法", threshold=Decimal(60)
    )
    points = {kind: Decimal(weight % 7 + 1) for kind, weight in generate.DUTY_MIX}
    points["absence"] = Decimal(-5)
    caps = {"proposal": Decimal(20), "training": Decimal(10), "reading": Decimal(5), "absence": Decimal(20)}
    ScoringRule.objects.bulk_create(
        [ScoringRule(scheme=scheme, kind=k, points=p, cap=caps.get(k)) for k, p in points.items()]
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    cases = " ".join(f"WHEN '{k}' THEN {p}" for k, p in points.items())
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT member_id, SUM(CASE kind {cases} ELSE 0 END) FROM duties_dutyrecord "
            "WHERE committee_id = %s AND year = %s GROUP BY member_id",
            [committee.pk, year],
        )
        cursor.fetchall()
    baseline_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = scoring.recompute(committee.pk, year)
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    scoring.recompute(committee.pk, year)  # replacing a computed year: the case after every rule change
    again_s = time.perf_counter() - t0
    print(
        f"履职考评重算：{result.members:,} 名委员，{result.records:,} 条记录，{first_s:.1f} s / {again_s:.1f} s"
    )
    # The pages that read the evaluation, at this size, as the committee's office.
    office = generate.office_user("bench_eval_office", committee)
    client = Client(HTTP_HOST=HOST)
    client.force_login(office)
    member = Member.objects.filter(committee=committee).order_by("id")[N_EVAL // 2]
    pages = [
        measure(
            f"考评排名 /duties/office/ 第 1 页（{result.members:,} 人）",
            get(client, f"/duties/office/?year={year}"),
            150,
        ),
        measure("考评排名 第 100 页", get(client, f"/duties/office/?year={year}&page=100"), 150),
        measure("考评排名 低于约谈分数线", get(client, f"/duties/office/?year={year}&tab=below"), 150),
        measure(
            f"委员履职档案 /duties/member/ID/（{member.duty_records.count()} 条记录）",
            get(client, f"/duties/member/{member.pk}/?year={year}"),
            150,
        ),
    ]
    return EvalRun(
        result.members, result.records, generate_s, baseline_s, first_s, again_s, result.points_rows, pages
    )


def render_evaluation(run: EvalRun) -> str:
    verdict = "PASS" if max(run.first_s, run.again_s) < EVAL_TARGET_S else "FAIL"
    return "\n".join(
        [
            "",
            f"#### 履职考评重算（{run.members:,} 名委员，{run.records:,} 条履职记录，16 条计分规则含封顶与扣分）",
            "",
            "| 操作 | 用时 (s) | 目标 (s) | 结果 |",
            "|---|---:|---:|---|",
            f"| 生成履职记录 bulk_create（{run.records:,} 行） | {run.generate_s:.1f} | — | — |",
            f"| 基线 SQL：按委员汇总分值（GROUP BY，无封顶、不写入） | {run.baseline_s:.2f} | — | — |",
            f"| 首次计算（写入 {run.members:,} 条考评、{run.points_rows:,} 条计分明细） | {run.first_s:.1f} "
            f"| < {EVAL_TARGET_S:.0f} | {verdict} |",
            f"| 规则修改后重算（先删除旧结果） | {run.again_s:.1f} | < {EVAL_TARGET_S:.0f} | {verdict} |",
            "",
            "| 页面 | n | p50 (ms) | p95 (ms) | 查询数 | 其中 SQL (ms) | 目标 p95 (ms) | 结果 |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
            *[
                f"| {r.operation} | {r.n} | {r.p50:.1f} | {r.p95:.1f} | {r.queries} | {r.sql_ms:.1f} "
                f"| {f'< {r.target:.0f}' if r.target else '—'} | {r.status} |"
                for r in run.pages
            ],
            "",
        ]
    )


def render(
    engine: str,
    rows: list[Row],
    gen: generate.GenStats,
    migrate_s: float,
    div_note: str,
    div_s: float | None,
    div_committees: int,
    total_s: float,
) -> str:
    lines = [f"### {engine}", ""]
    lines += [f"- {k}: {v}" for k, v in machine_info()]
    lines += [
        f"- 数据: 1 个省政协 > 1 个市政协（{N_CITY:,} 名委员）> {N_COUNTIES} 个县政协（各 {N_COUNTY:,} 名），"
        f"约 2% 市委员为住区委员；另有 load_divisions 载入的全国政协树",
        "",
        "| 准备步骤 | 规模 | 用时 | 速率 |",
        "|---|---:|---:|---:|",
        f"| migrate | — | {migrate_s:.1f} s | — |",
    ]
    if div_s is None:
        lines.append(f"| load_divisions | — | — | {div_note} |")
    else:
        lines.append(
            f"| load_divisions（全国） | {div_committees:,} 个政协 | {div_s:.1f} s | "
            f"{div_committees / div_s:,.0f} 个/秒 |"
        )
    lines += [
        f"| 生成委员 bulk_create（含加密与盲索引、{gen.links:,} 条专委会关联） | {gen.members:,} 行 | "
        f"{gen.seconds:.1f} s | {gen.rows_per_second:,.0f} 行/秒 |",
        "",
        "| 操作 | n | p50 (ms) | p95 (ms) | 查询数 | 其中 SQL (ms) | 目标 p95 (ms) | 结果 |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        target = f"< {r.target:.0f}" if r.target else "—"
        lines.append(
            f"| {r.operation} | {r.n} | {r.p50:.1f} | {r.p95:.1f} | {r.queries} | {r.sql_ms:.1f} | {target} "
            f"| {r.status} |"
        )
    failed = [r.operation for r in rows if r.status != "—" and r.status != "PASS"]
    lines += [
        "",
        "p50/p95：经 django.test.Client 的整个请求（中间件、会话写回、模板渲染，不含网络），预热 3 次后计时；"
        "查询数与「其中 SQL」取自另一次单独请求（驱动内耗时）。基线行是同一数据库上的裸 SQL 和一个不查库的视图。",
        "",
        f"未达标: {'、'.join(failed)}" if failed else "全部达标。",
        f"本次运行总用时 {total_s:.0f} s。",
    ]
    return "\n".join(lines) + "\n"


def write_results(engine: str, report: str) -> None:
    """Replace this engine's section of RESULTS.md, keeping the other engine's."""
    begin, end = f"<!-- bench:{engine} -->", f"<!-- /bench:{engine} -->"
    block = f"{begin}\n{report}{end}\n"
    header = "# 基准测试结果 (make bench)\n\n由 `bench/run.py` 生成；每个数据库一节，重新运行只替换本库那一节。\n\n"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else header
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
