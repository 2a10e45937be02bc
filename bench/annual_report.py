"""`make bench-report`: the annual report of one committee and year on a PostgreSQL database holding a million
proposals (issue 7), next to bare SQL on the same database as the baseline.

The database is created here (BENCH_REPORT_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/zhengxie_bench_report; dropped and created at start), migrated, and filled
by bench/report_generate.py: BENCH_PROPOSALS proposals (default 1,000,000) with everything the report counts.
BENCH_REUSE=1 keeps the data of an earlier run (only migrate and VACUUM ANALYZE again). BENCH_CITIES (20)
sets the cities per province; BENCH_REPEAT (30) and BENCH_REPEAT_PROVINCE (10) the timed calls per operation;
BENCH_EXPLAIN=1 prints EXPLAIN ANALYZE of the province's slowest queries even when every target is met;
BENCH_QUIET_WAIT (seconds) waits for the machine's load to fall below BENCH_QUIET_LOAD (1.5) before the
generation and before the timing.

Measured: the figures (zhengxie.reports.figures.annual_figures) of the big city, of a county and of the
province with all its cities and counties; the dashboard tables and the Word document when those modules
exist; the annual_report command in-process and as a separate process. Before timing, the city's and the
province's figures are checked against independent bare-SQL counts; a mismatch stops the run. The result
replaces this benchmark's section of bench/RESULTS.md.
"""

from __future__ import annotations

import importlib
import inspect
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "BENCH_REPORT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zhengxie_bench_report"
)
REUSE = os.environ.get("BENCH_REUSE") == "1"
N_PROPOSALS = int(os.environ.get("BENCH_PROPOSALS", "1000000"))
N_CITIES = int(os.environ.get("BENCH_CITIES", "20"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "30"))
REPEAT_PROVINCE = int(os.environ.get("BENCH_REPEAT_PROVINCE", "10"))
EXPLAIN = os.environ.get("BENCH_EXPLAIN") == "1"
# On a shared machine: wait up to BENCH_QUIET_WAIT seconds for the 1-minute load average to fall below
# BENCH_QUIET_LOAD before generating and before timing (0: do not wait). The load is recorded either way.
QUIET_WAIT = float(os.environ.get("BENCH_QUIET_WAIT", "0"))
QUIET_LOAD = float(os.environ.get("BENCH_QUIET_LOAD", "1.5"))
SECTION = "report-PostgreSQL"  # the marker of this section in RESULTS.md

# Targets (p95): the report of one committee-year, and of a province summed with all its cities and counties.
TARGET_COMMITTEE_MS = 500.0
TARGET_PROVINCE_MS = 5000.0


def prepare_database() -> bool:
    """Drop and create the benchmark database, or with BENCH_REUSE=1 keep it if it holds generated data.
    Returns whether the data is reused."""
    if REUSE:
        try:
            with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
                [(table,)] = conn.execute("SELECT to_regclass('bench_report_meta')").fetchall()
                if (
                    table
                    and conn.execute("SELECT 1 FROM bench_report_meta WHERE key = 'generated'").fetchone()
                ):
                    return True
        except psycopg.OperationalError:
            pass  # no such database yet: generate
    name = psycopg.conninfo.conninfo_to_dict(DATABASE_URL)["dbname"]
    with psycopg.connect(
        psycopg.conninfo.make_conninfo(DATABASE_URL, dbname="postgres"), autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return False


REUSED = prepare_database()

# bench/run.py points Django at BENCH_DATABASE_URL and sets it up; its timing and RESULTS.md helpers are reused.
os.environ["BENCH_DATABASE_URL"] = DATABASE_URL
sys.path.insert(0, str(ROOT / "bench"))
run = importlib.import_module("run")  # first: it sets Django up

import report_generate  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from run import Row, machine_info, measure, percentile, raw, write_results  # noqa: E402

from zhengxie.org.models import Committee  # noqa: E402
from zhengxie.reports.figures import FILED_STATES, NOT_RECEIVED, REPLIED_STATES, annual_figures  # noqa: E402

RESULTS = run.RESULTS


def wait_quiet(what: str) -> None:
    if QUIET_WAIT <= 0:
        return
    deadline = time.monotonic() + QUIET_WAIT
    while os.getloadavg()[0] >= QUIET_LOAD and time.monotonic() < deadline:
        print(f"等待机器空闲后{what}（1 分钟负载 {os.getloadavg()[0]:.2f} ≥ {QUIET_LOAD}）", flush=True)
        time.sleep(30)


def sql(query: str, params: list[object] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def load_meta() -> dict[str, Any] | None:
    rows = sql("SELECT value FROM bench_report_meta WHERE key = 'generated'")
    if not rows:
        return None
    value = rows[0][0]
    return json.loads(value) if isinstance(value, str) else value


def save_meta(meta: dict[str, Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_report_meta (key text PRIMARY KEY, value jsonb NOT NULL)"
        )
    sql(
        "INSERT INTO bench_report_meta VALUES ('generated', %s::jsonb) "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value RETURNING key",
        [json.dumps(meta, ensure_ascii=False)],
    )


# --- correctness: the figures against bare SQL ------------------------------------------------------------


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def expected(committee: Committee, year: int, include_children: bool) -> dict[str, int]:
    """The counts written independently of the figures code: plain SQL over the tables."""
    scope = (
        "p.committee_id IN (SELECT id FROM org_committee WHERE path LIKE %s)"
        if include_children
        else "p.committee_id = %s"
    )
    key: object = committee.path + "%" if include_children else committee.pk
    received = f"p.state NOT IN ({_in(NOT_RECEIVED)})"
    [(n_received, n_filed, n_replied, n_authored)] = sql(
        f"""SELECT count(*) FILTER (WHERE {received}),
                   count(*) FILTER (WHERE p.state IN ({_in(FILED_STATES)})),
                   count(*) FILTER (WHERE p.state IN ({_in(REPLIED_STATES)})),
                   count(*) FILTER (WHERE {received} AND p.author_id IS NOT NULL)
            FROM proposals_proposal p JOIN org_session s ON s.id = p.session_id
            WHERE {scope} AND s.year = %s""",
        [key, year],
    )
    [(n_cosigned,)] = sql(
        f"""SELECT count(*) FROM proposals_cosigner c
            JOIN proposals_proposal p ON p.id = c.proposal_id JOIN org_session s ON s.id = p.session_id
            WHERE {scope} AND s.year = %s AND {received} AND c.status = 'confirmed'""",
        [key, year],
    )
    [(n_a,)] = sql(
        f"""SELECT count(*) FROM (
                SELECT DISTINCT ON (r.proposal_id) r.result FROM proposals_reply r
                JOIN proposals_proposal p ON p.id = r.proposal_id JOIN org_session s ON s.id = p.session_id
                WHERE {scope} AND s.year = %s AND {received} AND r.role = 'lead'
                ORDER BY r.proposal_id, r.round DESC, r.id DESC) latest
            WHERE result = 'A'""",
        [key, year],
    )
    scope_r = scope.replace("p.committee_id", "r.committee_id")
    [(n_reports,)] = sql(
        f"SELECT count(*) FROM opinions_opinionreport r WHERE {scope_r} AND r.year = %s "
        "AND r.state NOT IN ('draft', 'withdrawn')",
        [key, year],
    )
    [(n_instructions,)] = sql(
        f"SELECT count(*) FROM opinions_instruction r WHERE {scope_r} "
        "AND r.instructed_on >= make_date(%s, 1, 1) AND r.instructed_on < make_date(%s + 1, 1, 1)",
        [key, year, year],
    )
    [(n_held,)] = sql(
        f"SELECT count(*) FROM consultations_consultation r WHERE {scope_r} AND r.kind = 'consultation' "
        "AND r.state IN ('held', 'closed') "
        "AND r.held_on >= make_date(%s, 1, 1) AND r.held_on < make_date(%s + 1, 1, 1)",
        [key, year, year],
    )
    return {
        "proposals.received": n_received,
        "proposals.filed": n_filed,
        "proposals.replied": n_replied,
        "proposals.member_participations": n_authored + n_cosigned,
        "proposals.result_a": n_a,
        "opinions.received": n_reports,
        "opinions.instructions": n_instructions,
        "consultations.held": n_held,
    }


def verify(committee: Committee, year: int, include_children: bool) -> list[str]:
    figures = annual_figures(committee, year, include_children=include_children)
    want = expected(committee, year, include_children)
    lines, wrong = [], []
    for name, value in want.items():
        section, key = name.split(".")
        got = figures[section][key]
        ok = got == value
        lines.append(f"{name} {got:,} {'=' if ok else '≠'} {value:,}")
        if not ok:
            wrong.append(name)
    label = f"{committee.name}{'（含下级）' if include_children else ''} {year}"
    print(f"核对 {label}: " + "；".join(lines) + (" —— 一致" if not wrong else ""))
    if wrong:
        raise SystemExit(f"核对失败：{label} 的 {'、'.join(wrong)} 与裸 SQL 计数不一致")
    return [f"{label}：" + "，".join(lines)]


# --- measuring --------------------------------------------------------------------------------------------


def count_queries(fn: Callable[[], object]) -> list[tuple[str, float]]:
    executed: list[tuple[str, float]] = []

    def capture(execute, query, params, many, context):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            return execute(query, params, many, context)
        finally:
            executed.append((connection.ops.compose_sql(query, params), (time.perf_counter() - t0) * 1000))

    with connection.execute_wrapper(capture):
        fn()
    return executed


def optional(module: str, name: str) -> tuple[Callable[..., object] | None, str]:
    """A report function another change is adding: measured once it imports."""
    try:
        return getattr(importlib.import_module(module), name), ""
    except (ImportError, AttributeError) as exc:
        return None, f"未计时（{module}.{name} 尚不可用：{exc}）"


def report_call(
    fn: Callable[..., object], committee: Committee, year: int, children: bool
) -> Callable[[], object]:
    """fn(committee, year, include_children=...) as briefed, or fn(view) once the function takes the report
    view (the figures and narrative of services.view_of): then building the view is part of the time."""
    if list(inspect.signature(fn).parameters)[:1] == ["view"]:
        view_of = importlib.import_module("zhengxie.reports.services").view_of
        scope = "all" if children else "own"
        return lambda: fn(view_of(committee, year, scope))
    return lambda: fn(committee, year, include_children=children)


def guarded(name: str, make: Callable[[], Callable[[], object]], target: float, repeat: int) -> Row | str:
    try:
        return measure(name, make(), target, repeat)
    except Exception as exc:  # an unfinished module must not stop the rest of the benchmark
        print(f"  {name}: 未计时（{type(exc).__name__}: {exc}）")
        return f"未计时（运行出错 {type(exc).__name__}: {str(exc)[:120]}）"


def subprocess_command(code: str, year: int, runs: int = 5) -> tuple[Row, int]:
    """`manage.py annual_report` as cron would run it: a new Python process, Django start-up, JSON to stdout.
    System checks are skipped (--skip-checks) so that URL modules being edited do not count."""
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "DEBUG": "true", "HTTPS": "false"}
    args = [sys.executable, "manage.py", "annual_report", "--committee", code, "--year", str(year)]
    times = []
    received = -1
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run(
            [*args, "--skip-checks"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        times.append((time.perf_counter() - t0) * 1000)
        if done.returncode != 0:
            raise RuntimeError(f"annual_report 退出码 {done.returncode}: {done.stderr[-500:]}")
        received = json.loads(done.stdout)["proposals"]["received"]
    times.sort()
    row = Row(
        "annual_report 命令（新进程，含 Python 与 Django 启动）",
        runs,
        times[len(times) // 2],
        percentile(times, 95),
        -1,
        0.0,
        None,
    )
    print(f"  {row.operation:<52} p50 {row.p50:7.1f} ms  p95 {row.p95:7.1f} ms")
    return row, received


def explain(query: str) -> str:
    rows = sql("EXPLAIN (ANALYZE, BUFFERS) " + query)
    return "\n".join(r[0] for r in rows)


def table_sizes() -> list[tuple[str, int, int]]:
    tables = [
        "proposals_proposal",
        "proposals_cosigner",
        "proposals_assignment",
        "proposals_reply",
        "proposals_feedback",
        "opinions_opinionreport",
        "opinions_forwarding",
        "opinions_instruction",
        "consultations_consultation",
        "consultations_participant",
        "consultations_outcome",
        "grassroots_concern",
        "duties_dutyrecord",
        "duties_evaluation",
        "org_member",
        "org_committee",
    ]
    out = []
    for table in tables:
        [(rows, size)] = sql(f"SELECT (SELECT count(*) FROM {table}), pg_total_relation_size('{table}')")
        out.append((table, rows, size))
    return out


def mb(size: int) -> str:
    return f"{size / 1024 / 1024:,.0f} MB" if size >= 10 * 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


def main() -> None:
    started = time.perf_counter()
    print(f"== 年度报告基准：{connection.settings_dict['NAME']} ==")
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"migrate: {time.perf_counter() - t0:.1f} s")

    meta = load_meta() if REUSED else None
    if meta is None:
        wait_quiet("生成数据")
        print(f"生成数据：{N_PROPOSALS:,} 件提案 ...")
        result = report_generate.run(N_PROPOSALS, n_cities=N_CITIES)
        meta = result.meta()
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            # Steady state as after autovacuum: planner statistics and the visibility map (without it every
            # index-only count still visits the heap pages of the freshly inserted rows).
            cursor.execute("VACUUM ANALYZE")
        meta["vacuum_seconds"] = round(time.perf_counter() - t0, 1)
        meta["generated_at"] = time.strftime("%Y-%m-%d %H:%M")
        save_meta(meta)
        print(f"生成完成：{meta['seconds']:.0f} s，VACUUM ANALYZE {meta['vacuum_seconds']:.0f} s")
    else:
        print(f"沿用已有数据（{meta['proposals']:,} 件提案，生成于 {meta.get('generated_at', '?')}）")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    [(db_size,)] = sql("SELECT pg_database_size(current_database())")

    year = int(meta["year"])
    province = Committee.objects.get(division_code=meta["province"])
    city = Committee.objects.get(division_code=meta["city"])
    county = Committee.objects.get(division_code=meta["county"])
    n_children = Committee.objects.filter(path__startswith=province.path).count()
    [(n_city,)] = sql(
        "SELECT count(*) FROM proposals_proposal p JOIN org_session s ON s.id = p.session_id "
        "WHERE p.committee_id = %s AND s.year = %s",
        [city.pk, year],
    )
    [(n_county,)] = sql(
        "SELECT count(*) FROM proposals_proposal p JOIN org_session s ON s.id = p.session_id "
        "WHERE p.committee_id = %s AND s.year = %s",
        [county.pk, year],
    )
    [(n_province,)] = sql(
        "SELECT count(*) FROM proposals_proposal p JOIN org_session s ON s.id = p.session_id "
        "WHERE p.committee_id IN (SELECT id FROM org_committee WHERE path LIKE %s) AND s.year = %s",
        [province.path + "%", year],
    )
    [(n_total,)] = sql("SELECT count(*) FROM proposals_proposal")

    checks = verify(city, year, False) + verify(province, year, True)

    # Timed as in production: no debug cursor collecting every query.
    settings.DEBUG = False
    dashboard, dashboard_note = optional("zhengxie.reports.dashboard", "dashboard_tables")
    docx, docx_note = optional("zhengxie.reports.documents", "report_docx")

    wait_quiet("计时")
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"机器负载: {load}")
    print(f"测量（市、县每项 {REPEAT} 次，省含下级每项 {REPEAT_PROVINCE} 次）：")
    rows: list[Row | tuple[str, str]] = [
        measure(
            f"基线 SQL：SELECT count(*) FROM proposals_proposal（全表 {n_total:,} 行）",
            raw("SELECT count(*) FROM proposals_proposal", []),
            None,
            REPEAT_PROVINCE,
        ),
        measure(
            "基线 SQL：count(*) WHERE committee_id = 市（十年）",
            raw("SELECT count(*) FROM proposals_proposal WHERE committee_id = %s", [city.pk]),
            None,
            REPEAT,
        ),
        measure(
            f"annual_figures 县政协 {year}（{n_county:,} 件）",
            lambda: annual_figures(county, year),
            TARGET_COMMITTEE_MS,
            REPEAT,
        ),
        measure(
            f"annual_figures 市政协 {year}（{n_city:,} 件）",
            lambda: annual_figures(city, year),
            TARGET_COMMITTEE_MS,
            REPEAT,
        ),
        measure(
            f"annual_figures 省政协含下级 {year}（{n_children} 个政协，{n_province:,} 件）",
            lambda: annual_figures(province, year, include_children=True),
            TARGET_PROVINCE_MS,
            REPEAT_PROVINCE,
        ),
    ]
    for label, fn, note in (
        ("dashboard_tables", dashboard, dashboard_note),
        ("report_docx", docx, docx_note),
    ):
        if fn is None:
            print(f"  {label}: {note}")
            rows.append((label, note))
            continue
        for who, committee, children, target, repeat in (
            ("市政协", city, False, TARGET_COMMITTEE_MS, REPEAT),
            ("省政协含下级", province, True, TARGET_PROVINCE_MS, REPEAT_PROVINCE),
        ):
            name = f"{label} {who} {year}"
            got = guarded(
                name,
                lambda fn=fn, c=committee, ch=children: report_call(fn, c, year, ch),
                target,
                repeat,
            )
            rows.append(got if isinstance(got, Row) else (name, got))
    rows.append(
        measure(
            f"annual_report 命令（进程内 call_command，市政协 {year}，JSON）",
            lambda: call_command(
                "annual_report", "--committee", city.division_code, "--year", str(year), stdout=io.StringIO()
            ),
            TARGET_COMMITTEE_MS,
            REPEAT,
        )
    )
    # The province's reports again with PostgreSQL's JIT compiler off for the session: their plans cost more
    # than jit_above_cost, and compiling (with inlining and optimisation above 500,000) can take longer than
    # the query itself. Reported beside the default configuration, not instead of it.
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    variants = [
        measure(
            f"annual_figures 省政协含下级 {year}（jit=off）",
            lambda: annual_figures(province, year, include_children=True),
            TARGET_PROVINCE_MS,
            REPEAT_PROVINCE,
        )
    ]
    for label, fn in (("dashboard_tables", dashboard), ("report_docx", docx)):
        if fn is not None:
            got = guarded(
                f"{label} 省政协含下级 {year}（jit=off）",
                lambda fn=fn: report_call(fn, province, year, True),
                TARGET_PROVINCE_MS,
                REPEAT_PROVINCE,
            )
            if isinstance(got, Row):
                variants.append(got)
    with connection.cursor() as cursor:
        cursor.execute("RESET jit")
    rows += variants

    process_row, process_received = subprocess_command(city.division_code, year)
    rows.append(process_row)
    city_received = annual_figures(city, year)["proposals"]["received"]
    if process_received != city_received:
        raise SystemExit(f"annual_report 命令输出的收到提案数 {process_received} 与 {city_received} 不一致")

    # No N+1: the figures take the same number of queries for 200 proposals, for 1,400 and for a province.
    per_report = {
        who: len(count_queries(lambda c=c, ch=ch: annual_figures(c, year, include_children=ch)))
        for who, c, ch in (("县", county, False), ("市", city, False), ("省含下级", province, True))
    }
    flat = per_report["县"] == per_report["市"] and per_report["省含下级"] <= per_report["市"] + 1
    queries_line = (
        f"annual_figures 查询数：县 {per_report['县']}（{n_county:,} 件）、市 {per_report['市']}（{n_city:,} 件）、"
        f"省含下级 {per_report['省含下级']}（{n_province:,} 件，多 1 条取下级政协）——"
        + ("不随提案数增长" if flat else "**随数据量变化，疑似 N+1**")
    )
    print(queries_line)

    slowest: dict[str, list[tuple[str, float]]] = {
        "annual_figures": sorted(
            count_queries(lambda: annual_figures(province, year, include_children=True)), key=lambda q: -q[1]
        )
    }
    if dashboard is not None:
        try:
            slowest["dashboard_tables"] = sorted(
                count_queries(report_call(dashboard, province, year, True)), key=lambda q: -q[1]
            )
        except Exception as exc:  # measured (or reported as not timed) above
            print(f"dashboard_tables 查询明细未取得：{exc}")
    failed = [
        r.operation
        for r in rows
        if isinstance(r, Row) and r not in variants and r.status not in ("—", "PASS")
    ]
    for label, queries in slowest.items():
        if EXPLAIN or any(
            r.operation.startswith(label) for r in rows if isinstance(r, Row) and r.operation in failed
        ):
            for query, ms in queries[:3]:
                print(f"\n-- {label} {ms:.1f} ms\n{query}\n{explain(query)}")

    total_s = time.perf_counter() - started
    report = render(
        meta=meta,
        db_size=db_size,
        sizes=table_sizes(),
        rows=rows,
        checks=checks,
        queries_line=queries_line,
        slowest={label: queries[:5] for label, queries in slowest.items()},
        failed=failed if flat else [*failed, "查询数随数据量变化"],
        total_s=total_s,
        reused=meta is not None and REUSED,
        counts=(n_total, n_city, n_county, n_province, n_children),
        names=(province.name, city.name, county.name),
        load=load,
    )
    print()
    print(report)
    write_results(SECTION, report)
    print(f"写入 {RESULTS.relative_to(ROOT)}；总用时 {total_s:.0f} s")
    if failed or not flat:
        sys.exit(1)


def render(
    *,
    meta: dict[str, Any],
    db_size: int,
    sizes: list[tuple[str, int, int]],
    rows: list[Row | tuple[str, str]],
    checks: list[str],
    queries_line: str,
    slowest: dict[str, list[tuple[str, float]]],
    failed: list[str],
    total_s: float,
    reused: bool,
    counts: tuple[int, int, int, int, int],
    names: tuple[str, str, str],
    load: str,
) -> str:
    n_total, n_city, n_county, n_province, n_children = counts
    [(shared_buffers, work_mem, jit, jit_cost)] = sql(
        "SELECT current_setting('shared_buffers'), current_setting('work_mem'), current_setting('jit'), "
        "current_setting('jit_above_cost')"
    )
    province_name, city_name, county_name = names
    wan = f"{n_total / 10000:,.0f} 万" if n_total >= 10000 else f"{n_total:,}"
    lines = [f"### 年度报告（{wan}件提案，PostgreSQL）", ""]
    lines += [f"- {k}: {v}" for k, v in machine_info() if not k.startswith("DEBUG")]
    lines.append(
        f"- 机器负载（测量开始时 1/5/15 分钟平均）: {load}；shared_buffers {shared_buffers}，work_mem {work_mem}，"
        f"jit {jit}（jit_above_cost {jit_cost}），其余为 Debian 默认配置"
    )
    lines += [
        f"- 数据: {n_total:,} 件提案，{meta['years'][0]}–{meta['years'][1]} 年十年会议（{meta['years'][1]} 年为"
        f"进行中的年度）；{meta['provinces']} 个省，每省 1 个省政协 + {meta['cities']} 个市 + 约 "
        f"{meta['counties']} 个县，共 {meta['committees']} 个政协（不含全国政协）。测量的{province_name}"
        f"含下级 {n_children} 个政协、{meta['year']} 年 {n_province:,} 件；{city_name} {n_city:,} 件；"
        f"{county_name} {n_county:,} 件",
        f"- 生成: `bench/report_generate.py`，组织与委员经 org 服务和 bench/generate.py，其余为 INSERT ... SELECT "
        f"generate_series；各政协年提案量按题述（大市约 1,400、其他市 450–1,000、县 100–300、省约 1,100，"
        f"逐年增长）统一乘以 {meta['scale']} 使总数恰为 {n_total:,}"
        + ("；**本次沿用已有数据（BENCH_REUSE=1）**" if reused else ""),
        f"- 数据库大小: {mb(db_size)}（生成于 {meta.get('generated_at', '?')}）",
        "",
        "| 生成步骤 | 行数 | 用时 (s) |",
        "|---|---:|---:|",
    ]
    lines += [f"| {label} | {rows_:,} | {seconds:.1f} |" for label, rows_, seconds in meta["steps"]]
    lines += [
        f"| VACUUM ANALYZE | — | {meta.get('vacuum_seconds', 0):.1f} |",
        f"| 合计（含建政协、会议等） | — | {meta['seconds'] + meta.get('vacuum_seconds', 0):.1f} |",
        "",
        "| 表 | 行数 | 大小（含索引） |",
        "|---|---:|---:|",
    ]
    lines += [f"| {table} | {n:,} | {mb(size)} |" for table, n, size in sizes]
    lines += [
        "",
        "| 操作 | n | p50 (ms) | p95 (ms) | 查询数 | 其中 SQL (ms) | 目标 p95 (ms) | 结果 |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        if isinstance(r, tuple):
            lines.append(f"| {r[0]} | — | — | — | — | — | — | {r[1]} |")
            continue
        target = f"< {r.target:.0f}" if r.target else "—"
        queries = "—" if r.queries < 0 else str(r.queries)
        sql_ms = "—" if r.queries < 0 else f"{r.sql_ms:.1f}"
        lines.append(
            f"| {r.operation} | {r.n} | {r.p50:.1f} | {r.p95:.1f} | {queries} | {sql_ms} | {target} | {r.status} |"
        )
    lines += [
        "",
        "p50/p95：直接调用函数（命令行一行除外），预热 3 次后计时；查询数与「其中 SQL」取自另一次单独调用"
        "（驱动内耗时）。基线行是同一数据库上的裸 SQL。",
        "",
        "正确性核对（报告数字 = 独立的裸 SQL 计数）：",
        "",
        *[f"- {c}" for c in checks],
        "",
        f"{queries_line}。",
        "",
    ]
    for label, queries in slowest.items():
        lines += [
            f"省政协含下级一次 {label} 中最慢的 {len(queries)} 条查询（默认配置）：",
            "",
            "| 用时 (ms) | SQL（截断） |",
            "|---:|---|",
            *[f"| {ms:.1f} | `{' '.join(q.split())[:160].replace('|', '¦')}…` |" for q, ms in queries],
            "",
        ]
    lines += [
        f"未达标（默认配置）: {'、'.join(failed)}" if failed else "全部达标（默认配置）。",
        f"本次运行总用时 {total_s:.0f} s。",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
