"""`make bench-search`: full-text search on BENCH_TEXT_N documents (default 1,000,000) on PostgreSQL, against
`ILIKE '%q%'` on the same table in the same run.

The documents are realistic Chinese proposals from bench/text_corpus.py (real message-board sentences,
read from ../shared/data), written into a scratch database (BENCH_TEXT_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/zhengxie_bench_search; dropped and created unless BENCH_REUSE=1 finds
the same N loaded) through zhengxie.textindex.search's own tokenisation, then indexed (GIN) and analysed.

Queries: BENCH_TEXT_QUERIES (300) strings of 2, 3 and 4 characters, a third of each length, drawn from
random documents (so common strings such as "问题" come up as often as they occur): half jieba words, half
arbitrary substrings of letters and digits. Each is timed once through the real API (search.search + the
first page of hits with snippets) for two readers: one who may read everything (every document carries
its token: the hardest case, most hits) and the office of the largest committee. ILIKE runs on
BENCH_TEXT_ILIKE (40) of them, spread over the lengths, with a statement timeout of BENCH_TEXT_TIMEOUT
seconds (120). Recall: the documents the index finds (the same index query without the ranking cap) over
the ILIKE result sets; precision the other way round.

The result replaces the section between <!-- search:start --> and <!-- search:end --> of bench/TEXT.md.
"""

from __future__ import annotations

import os
import platform
import random
import re
import statistics
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

N = int(os.environ.get("BENCH_TEXT_N", "1000000"))
N_QUERIES = int(os.environ.get("BENCH_TEXT_QUERIES", "300"))
N_ILIKE = int(os.environ.get("BENCH_TEXT_ILIKE", "40"))
TIMEOUT = int(os.environ.get("BENCH_TEXT_TIMEOUT", "120"))
SEED = int(os.environ.get("BENCH_TEXT_SEED", "0"))
REUSE = os.environ.get("BENCH_REUSE") == "1"
DATABASE_URL = os.environ.get(
    "BENCH_TEXT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zhengxie_bench_search"
)
RESULTS = ROOT / "bench" / "TEXT.md"
START, END = "<!-- search:start -->", "<!-- search:end -->"
EVERYONE = "#a"  # the bench's reader who may read everything; no real document carries it


def prepare_database() -> bool:
    name = psycopg.conninfo.conninfo_to_dict(DATABASE_URL)["dbname"]
    if REUSE:
        try:
            with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
                row = conn.execute("SELECT to_regclass('bench_search_meta')").fetchone()
                if row and row[0]:
                    meta = conn.execute("SELECT value FROM bench_search_meta WHERE key = 'n'").fetchone()
                    if meta and int(meta[0]) == N:
                        return True
        except psycopg.OperationalError:
            pass
    with psycopg.connect(
        psycopg.conninfo.make_conninfo(DATABASE_URL, dbname="postgres"), autocommit=True
    ) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    return False


REUSED = prepare_database()
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import text_corpus  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.utils import OperationalError  # noqa: E402
from django.utils import timezone  # noqa: E402

from zhengxie.org.models import Committee  # noqa: E402
from zhengxie.textindex import search, segment  # noqa: E402

TABLE = "textindex_searchdocument"
GIN = (
    f"CREATE INDEX textidx_doc_tokens ON {TABLE} USING gin (array_to_tsvector(string_to_array(tokens, ' ')))"
)
_WORD_CHARS = re.compile(r"[^\W_]+")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def load() -> list[tuple[int, str]]:
    """Write the documents; returns a sample of (committee_id, text) for drawing queries."""
    call_command("migrate", verbosity=0)
    committees = [
        Committee(name=f"政协{i}", level=Committee.Level.COUNTY, division_code=f"{i:06d}", path=f"/{i}/")
        for i in range(text_corpus.N_COMMITTEES)
    ]
    Committee.objects.bulk_create(committees, batch_size=1000)
    ids = list(Committee.objects.order_by("division_code").values_list("pk", flat=True))
    states = ["submitted", "filed", "assigned", "replied", "closed", "not_filed", "merged"]
    rng = random.Random(SEED)
    sample: list[tuple[int, str]] = []
    now = timezone.now()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS textidx_doc_tokens")
        with cursor.copy(
            f"COPY {TABLE} (id, kind, object_id, target_id, committee_id, year, state, title, body, tokens, "
            "updated_at) FROM STDIN"
        ) as copy:
            for i, d in enumerate(text_corpus.documents(N, seed=SEED)):
                committee_id = ids[d.committee_index]
                doc = search.Doc(
                    "proposal", d.id, d.id, committee_id, d.year, rng.choice(states), d.title, d.body,
                    set(), {f"#r{committee_id}", EVERYONE},
                )  # fmt: skip
                copy.write_row(
                    (d.id, doc.kind, d.id, d.id, committee_id, d.year, doc.state, d.title[:300], d.body,
                     doc.tokens(), now)
                )  # fmt: skip
                if len(sample) < 5000:
                    sample.append((committee_id, d.text))
                elif rng.random() < 5000 / (i + 1):
                    sample[rng.randrange(5000)] = (committee_id, d.text)
                if (i + 1) % 100000 == 0:
                    log(f"{i + 1} documents written ({time.perf_counter() - started:.0f} s)")
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{TABLE}', 'id'), {N})")
    write_seconds = time.perf_counter() - started
    log(f"building the GIN index over {N} documents")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute(GIN)
    index_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE " + TABLE)
        cursor.execute("CREATE TABLE bench_search_meta (key text PRIMARY KEY, value text)")
        cursor.executemany(
            "INSERT INTO bench_search_meta VALUES (%s, %s)",
            [
                ("n", str(N)),
                ("write_seconds", f"{write_seconds:.0f}"),
                ("index_seconds", f"{index_seconds:.0f}"),
            ],
        )
        cursor.execute(
            "CREATE TABLE bench_search_sample (committee_id int, text text)",
        )
        cursor.executemany("INSERT INTO bench_search_sample VALUES (%s, %s)", sample)
    return sample


def draw_queries(sample: list[tuple[int, str]]) -> list[str]:
    """A third each of 2, 3 and 4 characters; half jieba words, half arbitrary substrings."""
    rng = random.Random(SEED + 1)
    queries: list[str] = []
    per_length = max(N_QUERIES // 3, 1)
    for length in (2, 3, 4):
        words = 0
        subs = 0
        tries = 0
        while words + subs < per_length and tries < 100000:
            tries += 1
            _, text = sample[rng.randrange(len(sample))]
            if words < per_length // 2:
                candidates = [w for w in segment.words(text, keep_stopwords=True) if len(w) == length]
                candidates = [w for w in candidates if _WORD_CHARS.fullmatch(w)]
                if candidates:
                    queries.append(rng.choice(candidates).lower())
                    words += 1
                continue
            runs = [r for r in _WORD_CHARS.findall(text) if len(r) >= length]
            if runs:
                run = rng.choice(runs)
                start = rng.randrange(len(run) - length + 1)
                queries.append(run[start : start + length].lower())
                subs += 1
    return queries


def ilike_ids(q: str, committee_id: int | None) -> tuple[set[int] | None, float]:
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    sql = f"SELECT id FROM {TABLE} WHERE (title ILIKE %s OR body ILIKE %s)"
    params: list[object] = [pattern, pattern]
    if committee_id is not None:
        sql += " AND committee_id = %s"
        params.append(committee_id)
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = '{TIMEOUT}s'")
            cursor.execute(sql, params)
            ids = {r[0] for r in cursor.fetchall()}
            cursor.execute("SET statement_timeout = 0")
    except OperationalError:
        connection.close()
        return None, time.perf_counter() - started
    return ids, time.perf_counter() - started


def index_ids(readers: set[str], q: str) -> set[int]:
    """Everything the index query finds for q, without the ranking cap."""
    return set(search.matching_ids(readers, q, limit=None))


def timed_search(readers: set[str], q: str) -> tuple[float, int, bool]:
    started = time.perf_counter()
    result = search.search(readers, q)
    result.hits(result.ids[:20])
    return time.perf_counter() - started, result.total, result.more


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(round(p / 100 * (len(ordered) - 1)), len(ordered) - 1)]


def main() -> None:
    if not text_corpus.available():
        print("bench/text_search.py: ../shared/data is absent (TEXT_DATA_DIR); nothing to measure")
        return
    if REUSED:
        log(f"reusing {N} documents")
        with connection.cursor() as cursor:
            cursor.execute("SELECT committee_id, text FROM bench_search_sample")
            sample = cursor.fetchall()
    else:
        log(f"generating and writing {N} documents")
        sample = load()
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, value FROM bench_search_meta")
        meta = dict(cursor.fetchall())
        cursor.execute(
            f"SELECT pg_size_pretty(pg_total_relation_size('{TABLE}')), "
            "pg_size_pretty(pg_relation_size('textidx_doc_tokens'))"
        )
        table_size, index_size = cursor.fetchone()
        cursor.execute(f"SELECT committee_id, count(*) FROM {TABLE} GROUP BY 1 ORDER BY 2 DESC LIMIT 1")
        big_committee, big_count = cursor.fetchone()
    queries = draw_queries(sample)
    everyone = {EVERYONE}
    office = {f"#r{big_committee}"}
    log(f"{len(queries)} queries; warming up")
    for q in draw_queries(sample[::-1])[:30]:
        timed_search(everyone, q)
    times: dict[str, dict[int, list[float]]] = {"all": {2: [], 3: [], 4: []}, "office": {2: [], 3: [], 4: []}}
    over_cap = 0
    for q in queries:
        seconds, _total, more = timed_search(everyone, q)
        times["all"][len(q)].append(seconds)
        over_cap += more
        seconds, _total, _more = timed_search(office, q)
        times["office"][len(q)].append(seconds)
    log("ILIKE sample")
    rng = random.Random(SEED + 2)
    ilike_queries = rng.sample(queries, min(N_ILIKE, len(queries)))
    found = expected = extra = 0
    worst = 1.0
    ilike_times: list[float] = []
    index_times: list[float] = []
    timeouts = 0
    for q in ilike_queries:
        for readers, committee in ((everyone, None), (office, big_committee)):
            truth, seconds = ilike_ids(q, committee)
            if truth is None:
                timeouts += 1
                continue
            if committee is None:
                ilike_times.append(seconds)
                index_times.append(timed_search(readers, q)[0])
            got = index_ids(readers, q)
            found += len(got & truth)
            expected += len(truth)
            extra += len(got - truth)
            if truth:
                worst = min(worst, len(got & truth) / len(truth))
    recall = found / expected if expected else 1.0
    precision = found / (found + extra) if found + extra else 1.0
    all_times = [t for v in times["all"].values() for t in v]
    speedup = statistics.median(ilike_times) / statistics.median(index_times) if ilike_times else float("nan")
    rows = []
    for scope, label in (
        ("all", "读者可读全部文档（命中最多）"),
        ("office", f"最大一个政协的机关（{big_count} 件）"),
    ):
        for length in (2, 3, 4):
            v = times[scope][length]
            rows.append(
                f"| {label} | {length} 字 | {len(v)} | {pct(v, 50) * 1000:.1f} | {pct(v, 95) * 1000:.1f} | "
                f"{max(v) * 1000:.1f} |"
            )
    p50 = pct(all_times, 50) * 1000
    p95 = pct(all_times, 95) * 1000
    ok = p50 < 30 and p95 < 150 and speedup >= 20 and recall >= 0.99
    lines = [
        START,
        "## 全文检索（make bench-search）",
        "",
        f"{N:,} 篇文档（bench/text_corpus.py 生成的提案，真实留言语句），PostgreSQL "
        f"{connection.pg_version // 10000}，{platform.machine()}，{os.cpu_count()} 核；"
        f"{time.strftime('%Y-%m-%d')} 运行。表（含正文与索引）{table_size}，GIN 索引 {index_size}；"
        f"写入 {meta.get('write_seconds', '?')} s，建索引 {meta.get('index_seconds', '?')} s。",
        "",
        "每个查询经完整接口计时一次（search.search + 第一页命中与摘要）：",
        "",
        "| 读者 | 查询长度 | 查询数 | p50 ms | p95 ms | 最大 ms |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        f"- 全部 2-4 字查询（读者可读全部）：p50 {p50:.1f} ms，p95 {p95:.1f} ms（目标 < 30 / < 150 ms）；"
        f"{over_cap} 个查询命中超过 {search.CAP} 条（只排序前 {search.CAP} 条）。",
        f"- `ILIKE '%q%'`（同一张表、同一次运行，{len(ilike_times)} 个查询，超时 {timeouts} 个）："
        f"中位数 {statistics.median(ilike_times) * 1000:.0f} ms，检索中位数 "
        f"{statistics.median(index_times) * 1000:.1f} ms，快 {speedup:.0f} 倍（目标 ≥ 20 倍）。"
        if ilike_times
        else "- ILIKE: no query finished",
        f"- 与 ILIKE 结果集相比的召回率 {recall:.4f}（{found}/{expected}，含 2 字查询；最差单个查询 {worst:.4f}），"
        f"精确率 {precision:.4f}（目标召回 ≥ 0.99）。",
        f"- 结论：{'全部达标' if ok else '未全部达标'}。",
        END,
    ]
    section = "\n".join(lines)
    print(section)
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# 文本智能基准\n"
    if START in old and END in old:
        new = old[: old.index(START)] + section + old[old.index(END) + len(END) :]
    else:
        new = old.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
