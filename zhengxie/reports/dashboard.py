"""The statistics dashboard of a committee's year: every table it shows (and exports to Excel), as plain data.

Each table is counted from the same base queries and filters as the annual report (zhengxie.reports.figures),
so a dashboard's "收到提案" is the report's `proposals.received`, for the committee alone or with every
committee below it. The whole dashboard is a fixed number of grouped aggregate queries whatever the number
of records or committees: the per-committee figures (for the children table and the year-on-year table)
come from queries grouped by committee and year over the committee's subtree, then summed in Python.

Decisions on what a figure means where figures.py has no such figure:
- by sector / by party: the proposal's own sector or party, else its author's (a member's), else "未注明".
- by handling unit: a unit's tasks are figures.counted_assignments (returned tasks never count); 已答复 is a
  task the unit finished (status done); 按期 is a finished task with a reply of that unit dated on or before
  the task's deadline; the on-time rate is 按期 ÷ 交办 (a task still open past its deadline is late, too).
  满意率 is over the proposals the unit led, each by its latest rating, as in the report.
- rates are fractions rounded to 4 decimals (figures.rate) and None when the denominator is 0.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear

from zhengxie.consultations.models import Form, Outcome, OutcomeState, Participant
from zhengxie.duties.models import Evaluation
from zhengxie.grassroots.models import ConcernState
from zhengxie.opinions.models import InstructionLevel
from zhengxie.org.models import Committee
from zhengxie.proposals.models import Assignment, Category, Feedback, Proposal, Reply, State
from zhengxie.reports import figures as f

# The states a received proposal can be in, in workflow order (drafts and withdrawn ones are never received).
RECEIVED_STATES = [s for s in State if s.value not in f.NOT_RECEIVED]
NOT_GIVEN = "未注明"


@dataclass(frozen=True)
class Column:
    header: str
    # text | int | num (2 decimals when not whole) | rate (a fraction shown as a percentage) | delta and
    # delta_rate (a change against last year, shown with its sign)
    kind: str = "int"


@dataclass(frozen=True)
class Link:
    """The record list behind a cell: a figure key of zhengxie.reports.records, for this dashboard's committee,
    year and scope unless given (a child committee's row, last year's column)."""

    key: str
    committee_id: int | None = None
    year: int | None = None
    scope: str | None = None


@dataclass
class Row:
    cells: list[Any]
    links: dict[int, Link] = field(default_factory=dict)
    total: bool = False  # the 合计 row: styled apart, left out of charts
    committee_id: int | None = None  # a child committee's row links its name to that committee's dashboard

    @property
    def drill(self) -> str | None:
        """The figure key of the row's first linked count."""
        return self.links[min(self.links)].key if self.links else None


@dataclass
class Table:
    key: str
    title: str
    section: str
    columns: list[Column]
    rows: list[Row]
    # How the page draws it: type donut | bar | hbar | line | funnel | rate, the label column, the value
    # columns, optionally the first `limit` rows only and `sort` (largest first); None: no chart.
    chart: dict[str, Any] | None = None
    note: str = ""

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


@dataclass
class Kpi:
    key: str
    label: str
    value: Any
    kind: str  # int | num | rate
    unit: str = ""
    previous: Any = None
    change: float | None = None  # rate of change against last year, for counts
    link: Link | None = None
    note: str = ""  # shown instead of the comparison with last year


@dataclass
class Dashboard:
    committee: Committee
    year: int
    include_children: bool
    has_children: bool
    tables: list[Table]
    kpis: list[Kpi]

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


SECTIONS = {
    "overview": "综合指标",
    "proposals": "提案工作",
    "opinions": "社情民意",
    "consultations": "协商议政",
    "duties": "委员履职",
    "concerns": "群众诉求",
    "children": "下级政协",
}


def _share(n: int, total: int) -> float | None:
    return f.rate(n, total)


def _average(total: Decimal, n: int) -> float | None:
    if not n:
        return None
    return float((Decimal(total) / n).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _change(this: float | int | None, last: float | int | None) -> float | int | None:
    if this is None or last is None:
        return None
    diff = Decimal(str(this)) - Decimal(str(last))
    return int(diff) if isinstance(this, int) and isinstance(last, int) else float(diff)


def _change_rate(this: float | int | None, last: float | int | None) -> float | None:
    if this is None or not last:
        return None
    return float(
        ((Decimal(str(this)) - Decimal(str(last))) / Decimal(str(last))).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP
        )
    )


# --------------------------------------------------------------------------- counts per committee and year


class Counts:
    """Counts keyed by (committee id, year), from queries grouped by committee and year over a subtree."""

    def __init__(self) -> None:
        self.by: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
        self.points: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        self.members: Counter[int] = Counter()

    def add(self, committee_id: int, year: int, name: str, n: int) -> None:
        self.by[(committee_id, year)][name] += n

    def sum(self, ids: Iterable[int], year: int) -> dict[str, Any]:
        ids = list(ids)
        c: Counter[str] = Counter()
        points = Decimal(0)
        for cid in ids:
            c.update(self.by.get((cid, year), Counter()))
            points += self.points.get((cid, year), Decimal(0))
        c["members"] = sum(self.members[cid] for cid in ids)
        return _figures(c, points)


# Every count the grouped queries can add, so a committee without a row for one still reads 0.
COUNT_NAMES = (
    "received filed not_filed merged replied key excellent satisfied basic dissatisfied reports forwarded adopted "
    "instructions consultations participants outcomes outcomes_closed evaluated members records raised resolved"
).split()


def _figures(c: Counter[str], points: Decimal) -> dict[str, Any]:
    """The key figures of a set of committees from their summed counts, with the report's rates."""
    rated = c["satisfied"] + c["basic"] + c["dissatisfied"]
    return {
        **dict.fromkeys(COUNT_NAMES, 0),
        **c,
        "rated": rated,
        "satisfied_or_basic": c["satisfied"] + c["basic"],
        "filing_rate": f.rate(c["filed"], c["received"]),
        "reply_rate": f.rate(c["replied"], c["filed"]),
        "satisfaction_rate": f.rate(c["satisfied"] + c["basic"], rated),
        "forward_rate": f.rate(c["forwarded"], c["reports"]),
        "adoption_rate": f.rate(c["adopted"], c["forwarded"]),
        "outcome_close_rate": f.rate(c["outcomes_closed"], c["outcomes"]),
        "concern_close_rate": f.rate(c["resolved"], c["raised"]),
        "average_points": _average(points, c["evaluated"]),
    }


def _per_committee(ids: list[int], year: int) -> tuple[Counts, dict[str, Any]]:
    """This year's and last year's counts per committee (11 queries), and the scope-independent breakdowns
    that come out of the same grouped rows (instructions by level, consultations by form, outcomes by stage,
    concerns by month), keyed by committee so the caller picks its scope."""
    years = (year - 1, year)
    counts = Counts()
    detail: dict[str, Any] = {
        "levels": defaultdict(Counter),
        "forms": defaultdict(Counter),
        "outcome_states": defaultdict(Counter),
        "months": defaultdict(Counter),
    }

    proposals = f.received_proposals(ids, year - 1, year)
    names = ("received", "filed", "not_filed", "merged", "replied", "key", "excellent")
    for row in (
        proposals.values("committee_id", "session__year")
        .annotate(**{name: Count("id", filter=f.PROPOSAL_COUNTS[name]) for name in names})
        .order_by()
    ):
        for name in names:
            counts.add(row["committee_id"], row["session__year"], name, row[name])
    for cid, y, rating, n in (
        _latest_feedback(proposals)
        .values_list("proposal__committee_id", "proposal__session__year", "rating")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts.add(cid, y, rating, n)

    reports = f.received_reports(ids, year - 1, year)
    for row in (
        reports.values("committee_id", "year")
        .annotate(
            reports=Count("id"),
            forwarded=Count("id", filter=f.REPORT_COUNTS["forwarded"]),
            adopted=Count("id", filter=f.REPORT_COUNTS["adopted"]),
        )
        .order_by()
    ):
        for name in ("reports", "forwarded", "adopted"):
            counts.add(row["committee_id"], row["year"], name, row[name])

    for cid, y, level, n in (
        (f.instructions_in(ids, year - 1, year))
        .annotate(y=ExtractYear("instructed_on"))
        .values_list("committee_id", "y", "level")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts.add(cid, y, "instructions", n)
        if y == year:
            detail["levels"][cid][level] += n

    held = f.held_consultations(ids, year - 1, year)
    for cid, y, form, n in (
        held.annotate(y=ExtractYear("held_on"))
        .values_list("committee_id", "y", "form")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts.add(cid, y, "consultations", n)
        if y == year:
            detail["forms"][cid][("held", form)] += n
    for cid, y, form, n in (
        Participant.objects.filter(consultation__in=held, attendance=Participant.Attendance.ATTENDED)
        .annotate(y=ExtractYear("consultation__held_on"))
        .values_list("consultation__committee_id", "y", "consultation__form")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts.add(cid, y, "participants", n)
        if y == year:
            detail["forms"][cid][("participants", form)] += n
    for cid, y, form, state, n in (
        Outcome.objects.filter(consultation__in=held)
        .annotate(y=ExtractYear("consultation__held_on"))
        .values_list("consultation__committee_id", "y", "consultation__form", "state")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts.add(cid, y, "outcomes", n)
        if state == OutcomeState.CLOSED:
            counts.add(cid, y, "outcomes_closed", n)
        if y == year:
            detail["forms"][cid][("outcomes", form)] += n
            detail["outcome_states"][cid][state] += n

    for cid, y, n, total in (
        Evaluation.objects.filter(committee_id__in=ids, year__in=years)
        .values_list("committee_id", "year")
        .annotate(n=Count("id"), total=Sum("points"))
        .order_by()
    ):
        counts.add(cid, y, "evaluated", n)
        counts.points[(cid, y)] += total or Decimal(0)
    for cid, n in f.active_members(ids).values_list("committee_id").annotate(n=Count("id")).order_by():
        counts.members[cid] += n
    for cid, y, n in (
        (f.counted_duty_records(ids, year - 1, year))
        .values_list("committee_id", "year")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts.add(cid, y, "records", n)

    for cid, y, month, raised, resolved in (
        (f.raised_concerns(ids, year - 1, year))
        .annotate(y=ExtractYear("created_at"), m=ExtractMonth("created_at"))
        .values_list("committee_id", "y", "m")
        .annotate(raised=Count("id"), resolved=Count("id", filter=Q(state=ConcernState.CLOSED)))
        .order_by()
    ):
        counts.add(cid, y, "raised", raised)
        counts.add(cid, y, "resolved", resolved)
        if y == year:
            detail["months"][cid][("raised", month)] += raised
            detail["months"][cid][("resolved", month)] += resolved
    return counts, detail


def _merge(per_committee: dict[int, Counter[Any]], ids: Iterable[int]) -> Counter[Any]:
    total: Counter[Any] = Counter()
    for cid in ids:
        total.update(per_committee.get(cid, Counter()))
    return total


# --------------------------------------------------------------------------------------- proposal tables


def _latest_feedback(proposals: QuerySet[Proposal]) -> QuerySet[Feedback]:
    """Each proposal's last rating (a re-handled proposal counts its last answer, as in the report): the
    feedback row no later round follows. A NOT EXISTS the database runs as one anti-join, where a subquery
    per proposal would be evaluated row by row."""
    later = Feedback.objects.filter(proposal_id=OuterRef("proposal_id"), round__gt=OuterRef("round"))
    return Feedback.objects.filter(proposal__in=proposals).filter(~Exists(later))


def _breakdown_rows(rows: list[tuple[str, int, int, int]], received: int) -> list[Row]:
    """(label, received, filed, replied) rows with each one's share of received and a 合计 row."""
    out = [Row([label, n, _share(n, received), filed, replied]) for label, n, filed, replied in rows]
    total = Row(
        [
            "合计",
            sum(r[1] for r in rows),
            _share(sum(r[1] for r in rows), received),
            sum(r[2] for r in rows),
            sum(r[3] for r in rows),
        ],
        {1: Link("proposals.received"), 3: Link("proposals.filed"), 4: Link("proposals.replied")},
        total=True,
    )
    return [*out, total]


BREAKDOWN_COLUMNS = [Column("提案数"), Column("占比", "rate"), Column("立案"), Column("已答复")]


def _by(groups: Counter[tuple[str, str, str, str]], index: int) -> dict[str, list[int]]:
    """label -> [received, filed, replied] for one dimension of the grouped proposal counts; filed and
    replied by the report's state sets (figures.FILED_STATES, REPLIED_STATES)."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for key, n in groups.items():
        acc = out[key[index] or NOT_GIVEN]  # "" and None both read 未注明
        acc[0] += n
        acc[1] += n if key[0] in f.FILED_STATES else 0
        acc[2] += n if key[0] in f.REPLIED_STATES else 0
    return out


def _ranked(by: dict[str, list[int]]) -> list[tuple[str, int, int, int]]:
    return sorted(((k, *v) for k, v in by.items()), key=lambda r: (r[0] == NOT_GIVEN, -r[1], r[0]))  # type: ignore[misc]


def _proposal_tables(ids: list[int], year: int, totals: dict[str, Any]) -> list[Table]:
    # One grouped query serves the four tables: by state, category, sector and party.
    groups: Counter[tuple[str, str, str, str]] = Counter()
    for state, category, sector, party, n in (
        f.received_proposals(ids, year)
        .annotate(
            sector_label=Coalesce("sector__name", "author__sector__name"),
            party_label=Coalesce("party__short_name", "author__party__short_name"),
        )
        .values_list("state", "category", "sector_label", "party_label")
        .annotate(n=Count("id"))
        .order_by()
    ):
        groups[(state, category, sector, party)] += n
    received = totals["received"]
    by_state = Counter()
    for (state, *_), n in groups.items():
        by_state[state] += n
    state_rows = []
    for state in RECEIVED_STATES:
        # Not filed and merged are the report's own figures; each other state has a list of its own.
        key = {State.NOT_FILED: "proposals.not_filed", State.MERGED: "proposals.merged"}.get(
            state, f"proposals.by_state.{state.value}"
        )
        n = by_state[state.value]
        state_rows.append(Row([state.label, n, _share(n, received)], {1: Link(key)}))
    state_rows.append(
        Row(["合计", received, _share(received, received)], {1: Link("proposals.received")}, True)
    )

    by_category = _by(groups, 1)
    category_rows = _breakdown_rows(
        [(c.label, *by_category.get(c.value, (0, 0, 0))) for c in Category], received
    )
    for row, c in zip(category_rows, Category, strict=False):
        row.links = {1: Link(f"proposals.by_category.{c.value}")}

    return [
        Table(
            "proposals.by_state",
            "提案按办理状态统计",
            "proposals",
            [Column("办理状态", "text"), Column("提案数"), Column("占比", "rate")],
            state_rows,
            {"type": "donut", "label": 0, "values": [1]},
            "收到提案不含草稿和提交前撤回的提案；年度以提案所属会议的年度为准。",
        ),
        Table(
            "proposals.by_category",
            "提案按类别统计",
            "proposals",
            [Column("类别", "text"), *BREAKDOWN_COLUMNS],
            category_rows,
            {"type": "donut", "label": 0, "values": [1]},
        ),
        Table(
            "proposals.by_sector",
            "提案按界别统计",
            "proposals",
            [Column("界别", "text"), *BREAKDOWN_COLUMNS],
            _breakdown_rows(_ranked(_by(groups, 2)), received),
            {"type": "hbar", "label": 0, "values": [1, 3], "limit": 30},
            "按提案所填界别统计；未填的按提案人（委员）所在界别。",
        ),
        Table(
            "proposals.by_party",
            "提案按党派统计",
            "proposals",
            [Column("党派团体", "text"), *BREAKDOWN_COLUMNS],
            _breakdown_rows(_ranked(_by(groups, 3)), received),
            {"type": "bar", "label": 0, "values": [1, 3]},
            "党派团体提出的按该党派团体统计；委员个人提出的按委员所属党派。",
        ),
    ]


def _topics_table(committee: Committee, year: int, include_children: bool) -> Table:
    """热点议题 as the background task stored them (zhengxie.textindex.topics): no clustering on a page view."""
    from zhengxie.textindex import topics

    stored = topics.load(committee.pk, year, include_children)
    rows = [
        Row(
            [
                t["label"],
                "、".join(t["keywords"]),
                len(t["proposals"]),
                len(t["opinions"]),
                len(t["concerns"]),
            ]
        )
        for t in (stored or {}).get("topics", [])[: topics.TOPICS_SHOWN]
    ]
    when = (
        f"，计算于{stored['computed_at'][:10]}" if stored else "；尚未计算（后台任务，命令 compute_topics）"
    )
    return Table(
        "proposals.topics",
        "热点议题",
        "proposals",
        [
            Column("议题", "text"),
            Column("关键词", "text"),
            Column("提案"),
            Column("社情民意"),
            Column("群众诉求"),
        ],
        rows,
        {"type": "hbar", "label": 0, "values": [2, 3, 4], "limit": topics.TOPICS_SHOWN},
        f"由提案、社情民意信息和群众诉求的文字自动聚类归纳（机器归纳，仅供参考）{when}。",
    )


def _unit_table(
    ids: list[int], year: int, root: Committee, names: dict[int, str]
) -> tuple[Table, tuple[int, int]]:
    tasks = f.counted_assignments(ids, year)
    units = list(
        tasks.values_list("unit_id", "unit__name", "unit__committee_id")
        .annotate(
            assigned=Count("id"),
            lead=Count("id", filter=Q(role=Assignment.Role.LEAD)),
            replied=Count("id", filter=Q(status=Assignment.Status.DONE)),
        )
        .order_by()
    )
    # In the WHERE clause the EXISTS is one semi-join; inside the count it would run once per task.
    on_time = Exists(
        Reply.objects.filter(
            proposal_id=OuterRef("proposal_id"),
            unit_id=OuterRef("unit_id"),
            replied_at__date__lte=OuterRef("deadline"),
        )
    )
    timely = Counter(
        dict(
            tasks.filter(on_time, status=Assignment.Status.DONE)
            .values_list("unit_id")
            .annotate(n=Count("id"))
            .order_by()
        )
    )
    ratings: dict[int, Counter[str]] = defaultdict(Counter)
    for unit_id, rating, n in (
        _latest_feedback(f.received_proposals(ids, year))
        .filter(
            proposal__assignments__role=Assignment.Role.LEAD,
            proposal__assignments__status__in=(Assignment.Status.ACTIVE, Assignment.Status.DONE),
        )
        .values_list("proposal__assignments__unit_id", "rating")
        .annotate(n=Count("proposal_id", distinct=True))
        .order_by()
    ):
        ratings[unit_id][rating] += n
    units.sort(key=lambda u: (-u[3], u[1]))
    rows = []
    sums: Counter[str] = Counter()
    for unit_id, name, committee_id, assigned, lead, replied in units:
        r = ratings[unit_id]
        good, rated = r["satisfied"] + r["basic"], r["satisfied"] + r["basic"] + r["dissatisfied"]
        label = name if committee_id == root.pk else f"{name}（{names.get(committee_id, '')}）"
        n_timely = timely[unit_id]
        rows.append(
            Row(
                [
                    label,
                    assigned,
                    lead,
                    replied,
                    n_timely,
                    f.rate(n_timely, assigned),
                    rated,
                    f.rate(good, rated),
                ]
            )
        )
        sums.update(assigned=assigned, lead=lead, replied=replied, timely=n_timely, good=good, rated=rated)
    rows.append(
        Row(
            [
                f"合计（{len(units)}个单位）",
                sums["assigned"],
                sums["lead"],
                sums["replied"],
                sums["timely"],
                f.rate(sums["timely"], sums["assigned"]),
                sums["rated"],
                f.rate(sums["good"], sums["rated"]),
            ],
            {0: Link("proposals.handling_units")},
            True,
        )
    )
    table = Table(
        "proposals.by_unit",
        "承办单位办理情况",
        "proposals",
        [
            Column("承办单位", "text"),
            Column("交办件次"),
            Column("其中主办"),
            Column("已答复"),
            Column("按期答复"),
            Column("按期答复率", "rate"),
            Column("满意度测评"),
            Column("满意率", "rate"),
        ],
        rows,
        {"type": "hbar", "label": 0, "values": [1, 4], "limit": 15},
        "按期答复：在交办期限当日或之前答复；按期答复率＝按期答复÷交办件次。"
        "满意率＝（满意＋基本满意）÷ 参加测评的主办提案，以最后一次评价为准。",
    )
    return table, (sums["timely"], sums["assigned"])


# ---------------------------------------------------------------------------------------- other sections


def _rates_table(t: dict[str, Any], on_time: tuple[int, int]) -> Table:
    def row(label: str, num: int, den: int, how: str, num_key: str | None, den_key: str | None) -> Row:
        links = {}
        if num_key:
            links[1] = Link(num_key)
        if den_key:
            links[2] = Link(den_key)
        return Row([label, num, den, f.rate(num, den), how], links)

    return Table(
        "rates",
        "主要工作比率",
        "overview",
        [
            Column("指标", "text"),
            Column("分子"),
            Column("分母"),
            Column("比率", "rate"),
            Column("计算口径", "text"),
        ],
        [
            row(
                "提案立案率",
                t["filed"],
                t["received"],
                "立案 ÷ 收到提案",
                "proposals.filed",
                "proposals.received",
            ),
            row(
                "提案答复率",
                t["replied"],
                t["filed"],
                "已答复 ÷ 立案",
                "proposals.replied",
                "proposals.filed",
            ),
            row(
                "提案办理满意率",
                t["satisfied_or_basic"],
                t["rated"],
                "（满意＋基本满意）÷ 参加测评",
                "proposals.satisfaction_rate",
                None,
            ),
            row("承办单位按期答复率", on_time[0], on_time[1], "按期答复 ÷ 交办件次", None, None),
            row(
                "社情民意报送率",
                t["forwarded"],
                t["reports"],
                "报送 ÷ 收到信息",
                "opinions.forwarded",
                "opinions.received",
            ),
            row(
                "社情民意采用率",
                t["adopted"],
                t["forwarded"],
                "采用 ÷ 报送",
                "opinions.adopted",
                "opinions.forwarded",
            ),
            row(
                "协商成果办结率",
                t["outcomes_closed"],
                t["outcomes"],
                "已反馈办结 ÷ 成果事项",
                "consultations.outcome_items_closed",
                "consultations.outcome_items",
            ),
            row(
                "群众诉求办结率",
                t["resolved"],
                t["raised"],
                "已办结 ÷ 受理诉求",
                "concerns.resolved",
                "concerns.raised",
            ),
        ],
        {"type": "rate", "label": 0, "values": [3]},
        "分母为 0 时比率显示为“—”。",
    )


def _opinion_tables(t: dict[str, Any], levels: Counter[str]) -> list[Table]:
    received = t["reports"]
    summary = Table(
        "opinions.summary",
        "社情民意信息报送采用情况",
        "opinions",
        [Column("项目", "text"), Column("件数"), Column("占收到比", "rate")],
        [
            Row(["收到信息", received, _share(received, received)], {1: Link("opinions.received")}),
            Row(["报送", t["forwarded"], _share(t["forwarded"], received)], {1: Link("opinions.forwarded")}),
            Row(["采用", t["adopted"], _share(t["adopted"], received)], {1: Link("opinions.adopted")}),
            Row(["领导批示（次）", t["instructions"], None], {1: Link("opinions.instructions")}),
        ],
        {"type": "funnel", "label": 0, "values": [1]},
        "信息按所属年度统计；批示按批示日期统计，一篇信息获多次批示的按次计。",
    )
    level_rows = [
        Row([level.label, levels[level.value], _share(levels[level.value], t["instructions"])])
        for level in InstructionLevel
    ]
    if levels[""]:
        level_rows.append(Row([NOT_GIVEN, levels[""], _share(levels[""], t["instructions"])]))
    level_rows.append(
        Row(
            ["合计", t["instructions"], _share(t["instructions"], t["instructions"])],
            {1: Link("opinions.instructions")},
            True,
        )
    )
    by_level = Table(
        "opinions.instructions_by_level",
        "领导批示按级别统计",
        "opinions",
        [Column("批示级别", "text"), Column("批示次数"), Column("占比", "rate")],
        level_rows,
        {"type": "donut", "label": 0, "values": [1]},
    )
    return [summary, by_level]


def _consultation_tables(t: dict[str, Any], forms: Counter[Any], states: Counter[str]) -> list[Table]:
    form_rows = [
        Row(
            [
                form.label,
                forms[("held", form.value)],
                forms[("participants", form.value)],
                forms[("outcomes", form.value)],
            ],
            {1: Link(f"consultations.by_form.{form.value}")},
        )
        for form in Form
    ]
    form_rows.append(
        Row(
            ["合计", t["consultations"], t["participants"], t["outcomes"]],
            {
                1: Link("consultations.held"),
                2: Link("consultations.participant_person_times"),
                3: Link("consultations.outcome_items"),
            },
            True,
        )
    )
    state_rows = [
        Row(
            [state.label, states[state.value], _share(states[state.value], t["outcomes"])],
            {1: Link("consultations.outcome_items_closed")} if state == OutcomeState.CLOSED else {},
        )
        for state in OutcomeState
    ]
    state_rows.append(
        Row(
            ["合计", t["outcomes"], _share(t["outcomes"], t["outcomes"])],
            {1: Link("consultations.outcome_items")},
            True,
        )
    )
    return [
        Table(
            "consultations.by_form",
            "协商活动按形式统计",
            "consultations",
            [Column("协商形式", "text"), Column("协商次数"), Column("参加人次"), Column("成果事项")],
            form_rows,
            {"type": "bar", "label": 0, "values": [1, 3]},
            "已举行和已办结的协商活动，按举行日期统计；参加人次只计实际出席。",
        ),
        Table(
            "consultations.outcomes_by_state",
            "协商成果落实进度",
            "consultations",
            [Column("落实阶段", "text"), Column("事项数"), Column("占比", "rate")],
            state_rows,
            {"type": "bar", "label": 0, "values": [1]},
            "本年度举行的协商活动形成的成果事项，按当前所处阶段统计。",
        ),
    ]


def _duty_table(ids: list[int], year: int, t: dict[str, Any]) -> Table:
    members = dict(f.active_members(ids).values_list("sector__name").annotate(n=Count("id")).order_by())
    records = dict(
        f.counted_duty_records(ids, year)
        .values_list("member__sector__name")
        .annotate(n=Count("id"))
        .order_by()
    )
    evaluations = {
        name: (n, total or Decimal(0))
        for name, n, total in Evaluation.objects.filter(committee_id__in=ids, year=year)
        .values_list("member__sector__name")
        .annotate(n=Count("id"), total=Sum("points"))
        .order_by()
    }
    names = sorted(set(members) | set(records) | set(evaluations), key=lambda s: (-members.get(s, 0), s))
    rows = []
    for name in names:
        n, total = evaluations.get(name, (0, Decimal(0)))
        rows.append(Row([name, members.get(name, 0), records.get(name, 0), n, _average(total, n)]))
    rows.append(
        Row(
            ["合计", t["members"], t["records"], t["evaluated"], t["average_points"]],
            {1: Link("duties.members"), 2: Link("duties.records"), 3: Link("duties.average_points")},
            True,
        )
    )
    return Table(
        "duties.by_sector",
        "委员履职得分按界别统计",
        "duties",
        [
            Column("界别", "text"),
            Column("在册委员"),
            Column("履职记录"),
            Column("参加考评"),
            Column("平均得分", "num"),
        ],
        rows,
        {"type": "hbar", "label": 0, "values": [4], "sort": True},
        "履职记录只计已确认和有异议的记录；平均得分取年度考评结果。",
    )


def _concern_tables(ids: list[int], year: int, t: dict[str, Any], months: Counter[Any]) -> list[Table]:
    month_rows = [
        Row(
            [
                f"{m}月",
                months[("raised", m)],
                months[("resolved", m)],
                f.rate(months[("resolved", m)], months[("raised", m)]),
            ]
        )
        for m in range(1, 13)
    ]
    month_rows.append(
        Row(
            ["合计", t["raised"], t["resolved"], t["concern_close_rate"]],
            {1: Link("concerns.raised"), 2: Link("concerns.resolved")},
            True,
        )
    )
    stations = (
        f.raised_concerns(ids, year)
        .values_list("station__name")
        .annotate(raised=Count("id"), resolved=Count("id", filter=Q(state=ConcernState.CLOSED)))
        .order_by()
    )
    station_rows = [
        Row([name or "未指定站点", raised, resolved, f.rate(resolved, raised)])
        for name, raised, resolved in sorted(stations, key=lambda s: (s[0] is None, -s[1], s[0] or ""))
    ]
    station_rows.append(
        Row(
            ["合计", t["raised"], t["resolved"], t["concern_close_rate"]],
            {1: Link("concerns.raised"), 2: Link("concerns.resolved")},
            True,
        )
    )
    columns = [Column("受理诉求"), Column("已办结"), Column("办结率", "rate")]
    note = "群众诉求按反映日期统计，不含待审核和不予受理的。"
    return [
        Table(
            "concerns.by_month",
            "群众诉求按月统计",
            "concerns",
            [Column("月份", "text"), *columns],
            month_rows,
            {"type": "line", "label": 0, "values": [1, 2]},
            note,
        ),
        Table(
            "concerns.by_station",
            "群众诉求按站点统计",
            "concerns",
            [Column("站点", "text"), *columns],
            station_rows,
            {"type": "hbar", "label": 0, "values": [1, 2], "limit": 15},
            note,
        ),
    ]


YOY_ROWS = [
    # (label, figure, link key)
    ("收到提案", "received", "proposals.received"),
    ("立案", "filed", "proposals.filed"),
    ("已答复", "replied", "proposals.replied"),
    ("重点提案", "key", "proposals.key"),
    ("社情民意信息", "reports", "opinions.received"),
    ("信息报送", "forwarded", "opinions.forwarded"),
    ("信息采用", "adopted", "opinions.adopted"),
    ("领导批示（次）", "instructions", "opinions.instructions"),
    ("协商活动", "consultations", "consultations.held"),
    ("参加协商人次", "participants", "consultations.participant_person_times"),
    ("协商成果事项", "outcomes", "consultations.outcome_items"),
    ("委员履职记录", "records", "duties.records"),
    ("委员平均得分", "average_points", "duties.average_points"),
    ("群众诉求", "raised", "concerns.raised"),
    ("群众诉求办结", "resolved", "concerns.resolved"),
]


def _yoy_table(this: dict[str, Any], last: dict[str, Any], year: int) -> Table:
    rows = []
    for label, name, key in YOY_ROWS:
        a, b = this[name], last[name]
        rows.append(
            Row([label, a, b, _change(a, b), _change_rate(a, b)], {1: Link(key), 2: Link(key, year=year - 1)})
        )
    return Table(
        "yoy",
        "与上年同期比较",
        "overview",
        [
            Column("指标", "text"),
            Column(f"{year}年", "num"),
            Column(f"{year - 1}年", "num"),
            Column("增减", "delta"),
            Column("增减率", "delta_rate"),
        ],
        rows,
        {"type": "hbar", "label": 0, "values": [1, 2], "limit": 11},
        "增减率＝（本年－上年）÷ 上年；上年为 0 时显示为“—”。",
    )


CHILD_COLUMNS = [
    Column("政协", "text"),
    Column("收到提案"),
    Column("立案"),
    Column("立案率", "rate"),
    Column("已答复"),
    Column("答复率", "rate"),
    Column("满意率", "rate"),
    Column("社情民意"),
    Column("采用"),
    Column("领导批示"),
    Column("协商活动"),
    Column("群众诉求"),
    Column("已办结"),
]


def _child_cells(label: str, t: dict[str, Any]) -> list[Any]:
    return [
        label,
        t["received"],
        t["filed"],
        t["filing_rate"],
        t["replied"],
        t["reply_rate"],
        t["satisfaction_rate"],
        t["reports"],
        t["adopted"],
        t["instructions"],
        t["consultations"],
        t["raised"],
        t["resolved"],
    ]


CHILD_LINKS = {
    1: "proposals.received",
    2: "proposals.filed",
    4: "proposals.replied",
    7: "opinions.received",
    8: "opinions.adopted",
    9: "opinions.instructions",
    10: "consultations.held",
    11: "concerns.raised",
    12: "concerns.resolved",
}


def _children_table(
    root: Committee, subtree: list[tuple[int, str, str, int | None]], counts: Counts, year: int
) -> Table:
    children = [(pk, name, path) for pk, name, path, parent in subtree if parent == root.pk]
    rows = [
        Row(
            _child_cells(f"本级（{root.name}）", counts.sum([root.pk], year)),
            {i: Link(k, committee_id=root.pk, scope="own") for i, k in CHILD_LINKS.items()},
        )
    ]
    for pk, name, path in children:
        ids = [c for c, _, p, _ in subtree if p.startswith(path)]
        row = Row(
            _child_cells(name, counts.sum(ids, year)),
            {i: Link(k, committee_id=pk, scope="all") for i, k in CHILD_LINKS.items()},
            committee_id=pk,
        )
        rows.append(row)
    rows.append(
        Row(
            _child_cells("合计", counts.sum([c for c, *_ in subtree], year)),
            {i: Link(k, committee_id=root.pk, scope="all") for i, k in CHILD_LINKS.items()},
            True,
        )
    )
    return Table(
        "children",
        "本级及下级政协主要数据",
        "children",
        CHILD_COLUMNS,
        rows,
        {"type": "bar", "label": 0, "values": [1, 4, 7], "limit": 20},
        "下级政协的数据含其所属各级政协；合计即本级与全部下级之和。",
    )


def _kpis(this: dict[str, Any], last: dict[str, Any], on_time: tuple[int, int]) -> list[Kpi]:
    def count(key: str, label: str, name: str, link: str, unit: str = "件") -> Kpi:
        return Kpi(
            key, label, this[name], "int", unit, last[name], _change_rate(this[name], last[name]), Link(link)
        )

    def ratio(key: str, label: str, name: str, link: str | None) -> Kpi:
        return Kpi(key, label, this[name], "rate", "", last[name], None, Link(link) if link else None)

    return [
        count("proposals.received", "收到提案", "received", "proposals.received"),
        ratio("proposals.filing_rate", "立案率", "filing_rate", "proposals.filed"),
        ratio("proposals.reply_rate", "答复率", "reply_rate", "proposals.replied"),
        ratio(
            "proposals.satisfaction_rate", "办理满意率", "satisfaction_rate", "proposals.satisfaction_rate"
        ),
        Kpi(
            "proposals.on_time_rate",
            "按期答复率",
            f.rate(*on_time),
            "rate",
            note=f"按期 {on_time[0]:,} / 交办 {on_time[1]:,} 件次",
        ),
        count("opinions.received", "社情民意信息", "reports", "opinions.received", "篇"),
        count("opinions.adopted", "信息采用", "adopted", "opinions.adopted", "篇"),
        count("opinions.instructions", "领导批示", "instructions", "opinions.instructions", "次"),
        count("consultations.held", "协商活动", "consultations", "consultations.held", "次"),
        count(
            "consultations.participants",
            "参加协商",
            "participants",
            "consultations.participant_person_times",
            "人次",
        ),
        count("concerns.raised", "群众诉求", "raised", "concerns.raised"),
        ratio("concerns.close_rate", "诉求办结率", "concern_close_rate", "concerns.resolved"),
    ]


def dashboard(committee: Committee, year: int, include_children: bool = False) -> Dashboard:
    """Every table of the dashboard; about 20 queries whatever the data size."""
    subtree = list(
        Committee.objects.filter(path__startswith=committee.path)
        .values_list("pk", "name", "path", "parent_id")
        .order_by("path")
    )
    names = {pk: name for pk, name, _, _ in subtree}
    has_children = any(parent == committee.pk for *_, parent in subtree)
    all_ids = [pk for pk, *_ in subtree]
    ids = all_ids if include_children else [committee.pk]

    counts, detail = _per_committee(all_ids, year)
    this, last = counts.sum(ids, year), counts.sum(ids, year - 1)
    units, on_time = _unit_table(ids, year, committee, names)
    tables = [
        _rates_table(this, on_time),
        _yoy_table(this, last, year),
        *_proposal_tables(ids, year, this),
        _topics_table(committee, year, include_children),
        units,
        *_opinion_tables(this, _merge(detail["levels"], ids)),
        *_consultation_tables(this, _merge(detail["forms"], ids), _merge(detail["outcome_states"], ids)),
        _duty_table(ids, year, this),
        *_concern_tables(ids, year, this, _merge(detail["months"], ids)),
    ]
    if has_children:
        tables.append(_children_table(committee, subtree, counts, year))
    return Dashboard(committee, year, include_children, has_children, tables, _kpis(this, last, on_time))


def dashboard_tables(committee: Committee, year: int, include_children: bool = False) -> list[Table]:
    return dashboard(committee, year, include_children).tables
