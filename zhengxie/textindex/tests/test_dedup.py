"""Duplicate detection (查重) on small data: the engine, its stores, the platform's index kept in step with the
proposals, and the evaluate_dedup / rebuild_dedup_index commands."""

from __future__ import annotations

import json
import random
import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from zhengxie.org.models import Session, Term
from zhengxie.proposals import services
from zhengxie.proposals.models import Proposal
from zhengxie.proposals.tests.conftest import pw  # noqa: F401
from zhengxie.textindex import dedup

# Proposals on neighbouring subjects, written independently: many shared words, no shared passage.
TEXTS = [
    (
        "关于加快老旧小区加装电梯的建议",
        "我市二十世纪九十年代建成的老旧小区多为六层以下住宅，没有电梯，老年人上下楼十分困难。"
        "加装电梯涉及规划审批、消防验收、特种设备登记等多个环节，居民意见难以统一，资金筹措困难。"
        "建议简化审批流程，推行联合验收；财政按每部电梯给予定额补贴；社区牵头协调低层住户的利益补偿。",
    ),
    (
        "关于规范住宅小区物业服务收费的建议",
        "部分小区物业公司服务质量差，却频繁上调物业费和停车费，业主委员会难以成立，业主投诉无门。"
        "有的物业公司挪用公共收益，账目不公开，维修资金使用不透明。"
        "建议住建部门建立物业服务质量评价制度，公开收费标准和公共收益账目，支持业主依法成立业主委员会。",
    ),
    (
        "关于解决中小学生课后托管难的建议",
        "双职工家庭下午放学后无人接送孩子，校外托管机构良莠不齐，收费高且存在安全隐患。"
        "部分学校课后服务时间短、内容单一，家长参与意愿不高。"
        "建议教育部门统筹课后服务经费，延长校内服务时间，引入少年宫和社会组织提供兴趣课程。",
    ),
    (
        "关于整治城区主干道占道经营的建议",
        "城区主干道两侧流动摊贩占道经营现象突出，早晚高峰时段交通拥堵，噪音和油烟扰民。"
        "执法部门多次整治后反弹，摊贩缺少合规的经营场所。"
        "建议城管部门划定临时疏导点，实行错时经营，建立长效巡查机制，并对屡次违规者依法处罚。",
    ),
    (
        "关于老旧小区电梯维护保养资金保障的建议",
        "已经加装的电梯投入使用后，维护保养费用由谁承担没有明确规定，部分电梯因欠费停运。"
        "电梯使用年限增长后故障增多，维修资金缺口大，存在安全风险。"
        "建议明确电梯维保责任主体，将电梯维保费用纳入住宅专项维修资金使用范围，引入电梯责任保险。",
    ),
]

LOOKALIKE = (
    "关于推进既有住宅增设电梯工作的提案",
    "老城区大量多层住宅建于上世纪，居住的老人比例高，出行不便问题日益突出。"
    "目前增设电梯需要全体业主签字同意，审批部门多，周期长，费用分摊方式缺乏指导。"
    "建议出台增设电梯费用分摊指导意见，设立一站式审批窗口，鼓励公积金提取用于增设电梯。",
)


def near_copy(title: str, body: str, *, rate: float = 0.2, seed: int = 1) -> tuple[str, str]:
    """A rewritten copy: sentences reordered, words swapped, `rate` of the characters edited."""
    rng = random.Random(seed)
    sentences = [s + "。" for s in body.split("。") if s]
    rng.shuffle(sentences)
    text = "".join(sentences).replace("建议", "提议").replace("困难", "难题")
    filler = "的了在是和有就不也都"
    out = []
    for ch in text:
        r = rng.random()
        if r < rate * 0.6:
            out.append(rng.choice(filler))
        elif r < rate * 0.8:
            continue
        elif r < rate:
            out += [rng.choice(filler), ch]
        else:
            out.append(ch)
    return title.replace("建议", "提案"), "".join(out)


def memory_index(rows):  # type: ignore[no-untyped-def]
    texts = {pk: (title, body) for pk, _, title, body in rows}
    index = dedup.Index.build(rows)
    return index, lambda ids: {i: texts[i] for i in ids if i in texts}


ROWS = [(i + 1, 7, title, body) for i, (title, body) in enumerate(TEXTS)]


# --------------------------------------------------------------------------- the engine


def test_planted_near_duplicate_is_found_first_and_flagged() -> None:
    index, fetch = memory_index(ROWS)
    title, body = near_copy(*TEXTS[0], rate=0.25)
    found = index.search([7], title, body, fetch)
    assert found[0].proposal_id == 1
    assert found[0].likely_duplicate
    assert all(not m.likely_duplicate for m in found[1:])
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)


def test_same_subject_text_is_similar_but_not_a_duplicate() -> None:
    index, fetch = memory_index(ROWS)
    found = index.search([7], *LOOKALIKE, fetch)
    assert not any(m.likely_duplicate for m in found)
    # The lift texts are the nearest, the unrelated subjects are not "similar" at all.
    assert {m.proposal_id for m in found} <= {1, 5}


def test_committees_limit_and_exclusions_are_respected() -> None:
    rows = [*ROWS, (99, 8, *TEXTS[0])]  # the same text in another committee
    index, fetch = memory_index(rows)
    assert [m.proposal_id for m in index.search([7], *TEXTS[0], fetch)][:1] == [1]
    assert 99 not in [m.proposal_id for m in index.search([7], *TEXTS[0], fetch)]
    assert [m.proposal_id for m in index.search([8], *TEXTS[0], fetch)] == [99]
    assert index.search([], *TEXTS[0], fetch) == []
    assert 1 not in [m.proposal_id for m in index.search([7, 8], *TEXTS[0], fetch, exclude_ids=[1])]
    assert len(index.search([7, 8], *TEXTS[0], fetch, limit=1)) == 1


def test_add_replace_and_remove() -> None:
    index, _ = memory_index(ROWS[1:])
    texts = {pk: (t, b) for pk, _, t, b in ROWS}

    def fetch(ids):  # type: ignore[no-untyped-def]
        return {i: texts[i] for i in ids if i in texts}

    query = near_copy(*TEXTS[0])
    assert 1 not in [m.proposal_id for m in index.search([7], *query, fetch)]
    index.add(1, 7, dedup.sketch(*TEXTS[0], index.stop))
    assert index.search([7], *query, fetch)[0].proposal_id == 1
    # Replacing a base document's text: the old sketch no longer leads to it.
    texts[2] = TEXTS[0]
    index.add(2, 7, dedup.sketch(*TEXTS[0], index.stop))
    assert {m.proposal_id for m in index.search([7], *query, fetch)[:2]} == {1, 2}
    index.remove(1)
    index.remove(2)
    assert not {1, 2} & {m.proposal_id for m in index.search([7], *query, fetch)}
    assert len(index) == len(ROWS) - 2


def test_file_store_persists_and_other_processes_see_the_log(tmp_path) -> None:  # type: ignore[no-untyped-def]
    index, fetch = memory_index(ROWS)
    writer = dedup.FileStore(tmp_path / "dedup")
    writer.save(index)
    # Another process: its own store object and index, loaded from the files.
    reader = dedup.FileStore(tmp_path / "dedup")
    loaded = reader.load(dedup.Index())
    assert loaded is not None and len(loaded) == len(ROWS)
    query = near_copy(*TEXTS[3])
    assert loaded.search([7], *query, fetch)[0].proposal_id == 4

    # The writer removes 4 and adds 50 through the log; the reader sees both at its next refresh.
    writer.append(index, {"op": "remove", "id": 4})
    writer.append(index, {"op": "add", "id": 50, "c": 7, "k": dedup.sketch(*TEXTS[3], index.stop).tolist()})
    assert not reader.changed(loaded)
    reader.read_log(loaded)
    texts = {**{pk: (t, b) for pk, _, t, b in ROWS}, 50: TEXTS[3]}
    found = loaded.search([7], *query, lambda ids: {i: texts[i] for i in ids})
    assert found[0].proposal_id == 50 and 4 not in [m.proposal_id for m in found]

    # A rebuild (new base) is noticed, reloaded, and the old generation's log no longer applies.
    writer.save(dedup.Index.build(ROWS))
    assert reader.changed(loaded)
    again = reader.load(loaded)
    assert again is not None and len(again) == len(ROWS) and 50 not in again.extra_row


def test_redis_store_persists_and_shares_the_log() -> None:
    redis = pytest.importorskip("redis")
    prefix = f"zx:test:dedup:{uuid.uuid4().hex}"
    try:
        writer = dedup.RedisStore("redis://127.0.0.1:6379/0", prefix)
        writer.redis.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    try:
        index, fetch = memory_index(ROWS)
        writer.save(index)
        reader = dedup.RedisStore("redis://127.0.0.1:6379/0", prefix)
        loaded = reader.load(dedup.Index())
        assert loaded is not None and len(loaded) == len(ROWS)
        query = near_copy(*TEXTS[2])
        assert loaded.search([7], *query, fetch)[0].proposal_id == 3
        writer.append(index, {"op": "remove", "id": 3})
        reader.read_log(loaded)
        assert 3 not in [m.proposal_id for m in loaded.search([7], *query, fetch)]
        writer.save(dedup.Index.build(ROWS))
        assert reader.changed(loaded)
        assert len(reader.load(loaded)) == len(ROWS)
    finally:
        for key in writer.redis.scan_iter(f"{prefix}:*"):
            writer.redis.delete(key)


# --------------------------------------------------------------------------- the platform's index


@pytest.fixture
def fresh_index():  # type: ignore[no-untyped-def]
    """The process's index built from this test's database (the store is per database)."""
    dedup.reset()
    yield
    dedup.reset()


def submitted(pw, member, title: str, body: str, committee=None) -> Proposal:  # type: ignore[no-untyped-def]  # noqa: F811
    session = pw.session
    if committee is not None:
        term = Term.objects.create(committee=committee, number=14, start_year=2023, end_year=2027)
        session = Session.objects.create(committee=committee, term=term, number=2, year=2026)
    background, _, suggestions = body.partition("建议")
    draft = services.proposal_draft_create(
        user=member.user or pw.world.member_user,
        author=member,
        session=session,
        title=title,
        background=background,
        suggestions="建议" + suggestions,
        category="society",
    )
    return services.proposal_submit(proposal=draft, user=member.user or pw.world.member_user)


@pytest.mark.django_db
def test_saved_proposals_are_found_drafts_and_foreign_committees_never(world, pw, fresh_index) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    city = [world.city.pk]
    first = submitted(pw, world.member, *TEXTS[0])
    submitted(pw, world.member, *TEXTS[1])
    draft = pw.draft(title=TEXTS[4][0], background=TEXTS[4][1])
    world.sibling_member.user = world.sibling_office
    foreign = submitted(pw, world.sibling_member, *TEXTS[0], committee=world.sibling)

    found = dedup.find_similar(city, *near_copy(*TEXTS[0]))
    assert found[0] == dedup.Match(first.pk, found[0].score, True)
    assert foreign.pk not in [m.proposal_id for m in found]
    assert draft.pk not in [m.proposal_id for m in dedup.find_similar(city, *TEXTS[4])]
    assert [m.proposal_id for m in dedup.find_similar([world.sibling.pk], *TEXTS[0])] == [foreign.pk]
    assert not any(m.likely_duplicate for m in dedup.find_similar(city, *LOOKALIKE))
    assert first.pk not in [
        m.proposal_id for m in dedup.find_similar(city, *TEXTS[0], exclude_ids=[first.pk])
    ]


@pytest.mark.django_db
def test_edits_withdrawal_and_deletion_keep_the_index_in_step(world, pw, fresh_index) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    city = [world.city.pk]
    p = submitted(pw, world.member, *TEXTS[2])
    assert dedup.find_similar(city, *TEXTS[2])[0].proposal_id == p.pk
    # Rewritten on another subject: found by its new text, no longer by its old one.
    Proposal.objects.get(pk=p.pk)
    p.title, p.background, p.suggestions = TEXTS[3][0], TEXTS[3][1], ""
    p.save(update_fields=["title", "background", "suggestions"])
    assert dedup.find_similar(city, *TEXTS[3])[0].proposal_id == p.pk
    assert p.pk not in [m.proposal_id for m in dedup.find_similar(city, *TEXTS[2])]
    services.proposal_withdraw(proposal=p, user=world.member_user)
    assert p.pk not in [m.proposal_id for m in dedup.find_similar(city, *TEXTS[3])]
    q = submitted(pw, world.member, *TEXTS[1])
    assert dedup.find_similar(city, *TEXTS[1])[0].proposal_id == q.pk
    dedup.remove_proposal(q.pk)
    assert dedup.find_similar(city, *TEXTS[1]) == []
    dedup.index_proposal(q)
    assert dedup.find_similar(city, *TEXTS[1])[0].proposal_id == q.pk


@pytest.mark.django_db
def test_rebuild_command_indexes_what_the_database_holds(world, pw, fresh_index) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    p = submitted(pw, world.member, *TEXTS[0])
    # Written behind the signals' back: only a rebuild sees the new text.
    Proposal.objects.filter(pk=p.pk).update(title=TEXTS[3][0], background=TEXTS[3][1], suggestions="")
    out = StringIO()
    call_command("rebuild_dedup_index", stdout=out)
    assert "查重索引已重建：1 件提案" in out.getvalue()
    assert dedup.find_similar([world.city.pk], *TEXTS[3])[0].proposal_id == p.pk


# --------------------------------------------------------------------------- evaluate_dedup


def write_csv(path, header: list[str], rows: list[list[object]], encoding: str = "utf-8") -> str:  # type: ignore[no-untyped-def]
    import csv

    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


@pytest.fixture
def corpus_csv(tmp_path):  # type: ignore[no-untyped-def]
    return write_csv(tmp_path / "corpus.csv", ["id", "title", "body"], [[pk, t, b] for pk, _, t, b in ROWS])


def test_evaluate_dedup_prints_recall_false_alarms_and_latency(tmp_path, corpus_csv) -> None:  # type: ignore[no-untyped-def]
    queries = write_csv(
        tmp_path / "queries.csv",
        ["title", "body", "expected_id"],
        [[*near_copy(*TEXTS[0]), 1], [*near_copy(*TEXTS[2], seed=3), 3], [*LOOKALIKE, ""]],
    )
    out = StringIO()
    call_command("evaluate_dedup", corpus=corpus_csv, queries=queries, stdout=out)
    result = json.loads(out.getvalue())
    assert result["recall_at_10"] == 1.0
    assert result["false_alarm_rate"] == 0.0
    assert (result["n_corpus"], result["n_queries"]) == (len(ROWS), 3)
    assert result["p50_ms"] > 0 and result["p95_ms"] >= result["p50_ms"]
    assert "index_seconds" in result


@pytest.mark.parametrize(
    ("corpus", "queries", "message"),
    [
        (None, [["t", "b", ""]], "语料文件不存在"),
        ([["id", "title"], [1, "t"]], [["t", "b", ""]], "语料缺少列：body"),
        ([["id", "title", "body"], ["x", "t", "b"]], [["t", "b", ""]], "语料第 2 行：id 必须是整数"),
        ([["id", "title", "body"], [1, "t", "b"], [1, "u", "c"]], [["t", "b", ""]], "语料第 3 行：id 1 重复"),
        ([["id", "title", "body"]], [["t", "b", ""]], "语料没有数据行"),
        (
            [["id", "title", "body"], [1, "t", "b"]],
            [["t", "b", "7"]],
            "查询第 2 行：expected_id 7 不在语料中",
        ),
        ([["id", "title", "body"], [1, "t", "b"]], [["t", "b", "一"]], "expected_id 必须是整数或留空"),
        ([["id", "title", "body"], [1, "t", "b"]], [["", " ", ""]], "标题和正文都为空"),
    ],
)
def test_evaluate_dedup_rejects_bad_files_in_chinese(tmp_path, corpus, queries, message) -> None:  # type: ignore[no-untyped-def]
    corpus_path = str(tmp_path / "missing.csv")
    if corpus is not None:
        corpus_path = write_csv(tmp_path / "c.csv", corpus[0], corpus[1:])
    queries_path = write_csv(tmp_path / "q.csv", ["title", "body", "expected_id"], queries)
    with pytest.raises(CommandError, match=message):
        call_command("evaluate_dedup", corpus=corpus_path, queries=queries_path, stdout=StringIO())


def test_evaluate_dedup_rejects_a_file_not_in_utf8(tmp_path, corpus_csv) -> None:  # type: ignore[no-untyped-def]
    queries = write_csv(
        tmp_path / "q.csv", ["title", "body", "expected_id"], [["电梯", "加装电梯", ""]], "gbk"
    )
    with pytest.raises(CommandError, match="查询不是 UTF-8 编码的 CSV 文件"):
        call_command("evaluate_dedup", corpus=corpus_csv, queries=queries, stdout=StringIO())
