"""The records behind each figure of the annual report: every figure on the report page links to the list of
what it counts (/reports/records/<key>/).

A figure's list is built from the same base query and filter as its count in figures.py, and a test checks,
key by key, that the list has as many rows as the figure says. A rate links to its numerator's list, a
participation count to its two parts (authors and co-signers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from zhengxie.consultations.models import Form
from zhengxie.org.models import HandlingUnit
from zhengxie.proposals.models import Assignment, CoSigner
from zhengxie.reports import figures as f

Query = Callable[[list[int], int], QuerySet[Any]]


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], object]


@dataclass(frozen=True)
class RecordType:
    """How one kind of record is loaded and shown in a list."""

    name: str
    columns: tuple[Column, ...]
    select: tuple[str, ...] = ()
    link: Callable[[Any], str | None] = lambda obj: None
    order: tuple[str, ...] = ("id",)
    link_column: int = 1  # the column that carries the row's link (the title, or the person)

    def prepare(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        return rows.select_related(*self.select).order_by(*self.order)


def _committee(obj: Any) -> str:
    return obj.committee.name


PROPOSAL = RecordType(
    "提案",
    (
        Column("提案号", lambda p: p.number_display),
        Column("案由", lambda p: p.title),
        Column("提案者", lambda p: p.proposer_name),
        Column("类别", lambda p: p.get_category_display()),
        Column("状态", lambda p: p.get_state_display()),
        Column("政协", _committee),
    ),
    select=("committee", "session__term", "author", "party", "sector", "special_committee"),
    link=lambda p: reverse("proposals:detail", args=[p.pk]),
    order=("committee_id", "number", "id"),
)
COSIGNER = RecordType(
    "附议",
    (
        Column("附议委员", lambda c: c.member.name),
        Column("提案号", lambda c: c.proposal.number_display),
        Column("案由", lambda c: c.proposal.title),
        Column("政协", lambda c: c.proposal.committee.name),
    ),
    select=("member", "proposal__committee", "proposal__session__term"),
    link=lambda c: reverse("proposals:detail", args=[c.proposal_id]),
    link_column=2,
)
UNIT = RecordType(
    "承办单位",
    (
        Column("承办单位", lambda u: u.name),
        Column("交办件次", lambda u: u.tasks),
        Column("尚未答复", lambda u: u.waiting),
        Column("政协", _committee),
    ),
    select=("committee",),
    order=("committee_id", "name", "id"),
)
REPORT = RecordType(
    "社情民意信息",
    (
        Column("编号", lambda r: r.number_display),
        Column("标题", lambda r: r.title),
        Column("类别", lambda r: r.get_kind_display()),
        Column("来源", lambda r: r.get_source_kind_display()),
        Column("状态", lambda r: r.get_state_display()),
        Column("政协", _committee),
    ),
    select=("committee",),
    link=lambda r: reverse("opinions:detail", args=[r.pk]),
    order=("committee_id", "number", "id"),
)
INSTRUCTION = RecordType(
    "领导批示",
    (
        Column("批示日期", lambda i: i.instructed_on),
        Column("批示级别", lambda i: i.get_level_display()),
        Column("批示领导", lambda i: " ".join(x for x in (i.leader_title, i.leader_name) if x)),
        Column("信息", lambda i: str(i.report)),
        Column("政协", _committee),
    ),
    select=("committee", "report"),
    link=lambda i: reverse("opinions:detail", args=[i.report_id]),
    order=("instructed_on", "id"),
)
CONSULTATION = RecordType(
    "协商活动",
    (
        Column("日期", lambda c: c.held_on),
        Column("主题", lambda c: c.title),
        Column("协商形式", lambda c: c.get_form_display()),
        Column("状态", lambda c: c.get_state_display()),
        Column("政协", _committee),
    ),
    select=("committee",),
    link=lambda c: reverse("consultations:detail", args=[c.pk]),
    order=("held_on", "id"),
)
PARTICIPANT = RecordType(
    "参加协商",
    (
        Column("姓名", lambda p: p.name),
        Column("身份", lambda p: p.get_kind_display()),
        Column("协商日期", lambda p: p.consultation.held_on),
        Column("协商主题", lambda p: p.consultation.title),
        Column("政协", lambda p: p.consultation.committee.name),
    ),
    select=("consultation__committee",),
    link=lambda p: reverse("consultations:detail", args=[p.consultation_id]),
    order=("consultation__held_on", "consultation_id", "id"),
    link_column=3,
)
OUTCOME = RecordType(
    "协商成果",
    (
        Column("协商主题", lambda o: o.consultation.title),
        Column("序号", lambda o: o.number),
        Column("成果", lambda o: o.text[:80]),
        Column("承办单位", lambda o: o.unit.name if o.unit_id else ""),
        Column("状态", lambda o: o.get_state_display()),
    ),
    select=("consultation", "unit"),
    link=lambda o: reverse("consultations:detail", args=[o.consultation_id]),
    link_column=0,
    order=("consultation_id", "number", "id"),
)
MEMBER = RecordType(
    "委员",
    (
        Column("姓名", lambda m: m.name),
        Column("界别", lambda m: m.sector.name),
        Column("党派", lambda m: m.party.name if m.party_id else ""),
        Column("政协", _committee),
    ),
    select=("committee", "sector", "party"),
    link=lambda m: reverse("duties:member", args=[m.pk]),
    order=("committee_id", "id"),
    link_column=0,
)
DUTY = RecordType(
    "履职记录",
    (
        Column("日期", lambda d: d.occurred_on),
        Column("委员", lambda d: d.member.name),
        Column("履职类型", lambda d: d.get_kind_display()),
        Column("事项", lambda d: d.title),
        Column("状态", lambda d: d.get_status_display()),
    ),
    select=("member",),
    link=lambda d: reverse("duties:member", args=[d.member_id]) + f"?year={d.year}",
    order=("occurred_on", "id"),
)
EVALUATION = RecordType(
    "年度考评",
    (
        Column("排名", lambda e: e.rank),
        Column("委员", lambda e: e.member.name),
        Column("得分", lambda e: e.points),
        Column("履职记录数", lambda e: e.records),
        Column("政协", _committee),
    ),
    select=("member", "committee"),
    link=lambda e: reverse("duties:member", args=[e.member_id]) + f"?year={e.year}",
    order=("committee_id", "rank", "member_id"),
)
CONCERN = RecordType(
    # Never the person's name or phone: a list of what was raised, where, and how far it got.
    "群众诉求",
    (
        Column("编号", lambda c: c.number),
        Column("标题", lambda c: c.title),
        Column("类别", lambda c: c.get_category_display()),
        Column("站点", lambda c: c.station.name if c.station_id else ""),
        Column("状态", lambda c: c.get_state_display()),
    ),
    select=("station",),
    link=lambda c: reverse("grassroots:detail", args=[c.pk]),
    order=("created_at", "id"),
)


@dataclass(frozen=True)
class Part:
    title: str
    type: RecordType
    query: Query


@dataclass(frozen=True)
class Drill:
    label: str
    parts: tuple[Part, ...]
    # The figure key whose value the lists add up to (a rate's numerator); None means the key itself.
    counts: str | None = None
    note: str = ""


def _proposals(name: str) -> Query:
    return lambda ids, year: f.received_proposals(ids, year).filter(f.PROPOSAL_COUNTS[name])


def _result(letter: str) -> Query:
    return lambda ids, year: (
        f.received_proposals(ids, year).annotate(_latest=f.latest_lead_result()).filter(_latest=letter)
    )


def _rating(value: str) -> Query:
    return lambda ids, year: (
        f.received_proposals(ids, year).annotate(_latest=f.latest_rating()).filter(_latest=value)
    )


def _units(waiting_only: bool) -> Query:
    def query(ids: list[int], year: int) -> QuerySet[Any]:
        tasks = f.counted_assignments(ids, year)
        units = HandlingUnit.objects.filter(pk__in=tasks.values("unit_id"))
        if waiting_only:
            units = units.filter(pk__in=tasks.filter(status=Assignment.Status.ACTIVE).values("unit_id"))
        # Counted over this year's tasks only: a unit's tasks of other years are not this figure's.
        task_ids = tasks.values("id")
        return units.annotate(
            tasks=Count("assignments", filter=Q(assignments__in=task_ids), distinct=True),
            waiting=Count(
                "assignments",
                filter=Q(assignments__in=task_ids, assignments__status=Assignment.Status.ACTIVE),
                distinct=True,
            ),
        )

    return query


def _reports(name: str) -> Query:
    return lambda ids, year: f.received_reports(ids, year).filter(f.REPORT_COUNTS[name])


def _form(form: str) -> Query:
    return lambda ids, year: f.held_consultations(ids, year).filter(form=form)


def _one(label: str, type: RecordType, query: Query, **kw: Any) -> Drill:
    return Drill(label, (Part(label, type, query),), **kw)


PROPOSAL_LABELS = {
    "received": "收到提案",
    "individual": "个人提案",
    "collective": "集体提案",
    "collective_by_party": "党派团体集体提案",
    "filed": "立案",
    "not_filed": "不立案",
    "merged": "并案",
    "replied": "已答复",
    "key": "重点提案",
    "excellent": "优秀提案",
}

DRILLS: dict[str, Drill] = {
    **{f"proposals.{k}": _one(label, PROPOSAL, _proposals(k)) for k, label in PROPOSAL_LABELS.items()},
    "proposals.collective_by_party_share": _one(
        "党派团体集体提案",
        PROPOSAL,
        _proposals("collective_by_party"),
        counts="proposals.collective_by_party",
    ),
    "proposals.key_by_party_share": _one(
        "党派团体重点提案", PROPOSAL, _proposals("key_by_party"), counts="proposals._key_by_party"
    ),
    "proposals.filing_rate": _one("立案", PROPOSAL, _proposals("filed"), counts="proposals.filed"),
    "proposals.reply_rate": _one("已答复", PROPOSAL, _proposals("replied"), counts="proposals.replied"),
    "proposals.member_participations": Drill(
        "委员参与提案人次",
        (
            Part("作为提案人", PROPOSAL, _proposals("authored")),
            Part(
                "作为附议人",
                COSIGNER,
                lambda ids, year: CoSigner.objects.filter(
                    proposal__in=f.received_proposals(ids, year), status=CoSigner.Status.CONFIRMED
                ),
            ),
        ),
    ),
    "proposals.result_a": _one("A类答复（已解决或采纳）", PROPOSAL, _result("A")),
    "proposals.result_b": _one("B类答复（正在解决或列入计划）", PROPOSAL, _result("B")),
    "proposals.result_c": _one("C类答复（留作参考）", PROPOSAL, _result("C")),
    "proposals.satisfied": _one("满意", PROPOSAL, _rating("satisfied")),
    "proposals.basically_satisfied": _one("基本满意", PROPOSAL, _rating("basic")),
    "proposals.dissatisfied": _one("不满意", PROPOSAL, _rating("dissatisfied")),
    "proposals.satisfaction_rate": Drill(
        "满意和基本满意",
        (
            Part("满意", PROPOSAL, _rating("satisfied")),
            Part("基本满意", PROPOSAL, _rating("basic")),
        ),
        counts="proposals._satisfied_or_basic",
    ),
    "proposals.handling_units": _one("承办单位", UNIT, _units(False)),
    "proposals.handling_units_all_replied": _one(
        "尚有提案未答复的承办单位",
        UNIT,
        _units(True),
        counts="proposals._units_waiting",
        note="列表为空即全部承办单位均已答复。",
    ),
    **{
        f"opinions.{k}": _one(label, REPORT, _reports(k))
        for k, label in (("received", "收到社情民意信息"), ("forwarded", "报送"), ("adopted", "采用"))
    },
    "opinions.by_party_share": _one(
        "党派团体报送的信息", REPORT, _reports("by_party"), counts="opinions._by_party"
    ),
    "opinions.instructions": _one("领导批示", INSTRUCTION, f.instructions_in),
    "opinions.instructions_previous_year": _one(
        "上年领导批示", INSTRUCTION, lambda ids, year: f.instructions_in(ids, year - 1)
    ),
    "opinions.instructions_yoy": _one(
        "本年领导批示", INSTRUCTION, f.instructions_in, counts="opinions.instructions"
    ),
    "consultations.held": _one("开展协商", CONSULTATION, f.held_consultations),
    **{
        f"consultations.by_form.{form.value}": _one(form.label, CONSULTATION, _form(form.value))
        for form in Form
    },
    "consultations.participant_person_times": _one("参加协商人次", PARTICIPANT, f.attended),
    "consultations.outcome_items": _one("协商成果事项", OUTCOME, f.outcome_items),
    "consultations.outcome_items_closed": _one(
        "已反馈办结的成果事项",
        OUTCOME,
        lambda ids, year: f.outcome_items(ids, year).filter(state=f.OutcomeState.CLOSED),
    ),
    "duties.members": _one("在册委员", MEMBER, lambda ids, year: f.active_members(ids)),
    "duties.records": _one("履职记录", DUTY, f.counted_duty_records),
    "duties.average_points": _one(
        "参加考评的委员",
        EVALUATION,
        lambda ids, year: f.Evaluation.objects.filter(committee_id__in=ids, year=year),
        counts="duties._evaluated",
    ),
    "concerns.raised": _one("群众反映诉求", CONCERN, f.raised_concerns),
    "concerns.resolved": _one(
        "已办结诉求",
        CONCERN,
        lambda ids, year: f.raised_concerns(ids, year).filter(state=f.ConcernState.CLOSED),
    ),
}


@dataclass
class PartRows:
    title: str
    type: RecordType
    total: int
    rows: Sequence[Any] = field(default_factory=list)


def part_rows(part: Part, ids: list[int], year: int) -> QuerySet[Any]:
    return part.type.prepare(part.query(ids, year))


def table(type: RecordType, rows: Sequence[Any]) -> list[list[tuple[object, str | None]]]:
    """Per row, (value, link) per cell: the row's link sits on its link column."""
    out = []
    for obj in rows:
        link = type.link(obj)
        out.append(
            [(c.value(obj), link if i == type.link_column else None) for i, c in enumerate(type.columns)]
        )
    return out
