"""历史提案导入: earlier years' proposals from an Excel (.xlsx) file, written directly in their final state.

The file is untrusted: its size and zip container (zip bombs) are checked, and it is read, by the roster
import's functions (zhengxie.org.roster). Columns are found by their Chinese header in any order; extra
columns are ignored. Every row is validated and every bad cell reported as 第3行「办理结果」：应为A、B或C;
one error anywhere imports nothing. A clean file is written in one transaction: unknown members, parties,
sectors, special committees and handling units are created, as are the terms and sessions of each 年度.

Each proposal gets its final state from the columns (待审查 -> submitted, 不立案 -> not_filed, 并案 -> merged;
立案 with a reply and a rating -> closed, with a reply -> replied, with a lead unit -> assigned, else filed)
together with its Assignment, Reply, Feedback, CoSigner and Supervision rows and one Transition row with
action "import". Rows are bulk-created, so their audit rows are written with audit_bulk, plus one summary
audit row (action "import").
"""

from __future__ import annotations

import datetime
import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from openpyxl.utils.datetime import from_excel

from zhengxie.accounts.audit import audit_bulk, audit_log
from zhengxie.accounts.models import User
from zhengxie.org.models import (
    CN_DIGITS,
    Committee,
    HandlingUnit,
    Member,
    Party,
    Sector,
    Session,
    SpecialCommittee,
    Term,
)

# The spreadsheet safety checks, reader and header parsing shared with the roster import.
from zhengxie.org.roster import (
    HeaderErrors,
    RosterError,
    RowCells,
    SpreadsheetError,
    cell_text,
    check_container,
    column_positions,
    read_rows,
    split_names,
)
from zhengxie.proposals.models import (
    Assignment,
    Category,
    CoSigner,
    Feedback,
    Proposal,
    Reply,
    State,
    Supervision,
    Transition,
)

logger = logging.getLogger(__name__)

SYSTEM_USERNAME = "import"
PLACEHOLDER_SECTOR = "其他"
SEPARATOR = "、"
HANDLING_DAYS = 91
TERM_YEARS = 5
IMPORTED_LETTER = "（历史数据导入，答复全文未录入）"

COL_YEAR = "年度"
COL_TERM = "届次"
COL_NUMBER = "提案号"
COL_TITLE = "案由"
COL_PROPOSER = "提案人"
COL_KIND = "提案类型"
COL_PROPOSER_KIND = "提案者类别"
COL_SECTOR = "界别"
COL_CATEGORY = "类别"
COL_SUBMITTED = "提交日期"
COL_REVIEW = "审查结果"
COL_LEAD = "主办单位"
COL_CO = "会办单位"
COL_DEADLINE = "办理期限"
COL_REPLIED = "答复日期"
COL_RESULT = "办理结果"
COL_RATING = "满意度"
COL_KEY = "重点提案"
COL_SUPERVISORS = "督办领导"
COL_EXCELLENT = "优秀提案"
COL_CONTENT = "内容"
COL_BACKGROUND = "案据"
COL_SUGGESTIONS = "建议"

COLUMN_HELP: tuple[tuple[str, str], ...] = (
    (COL_YEAR, "必填，四位年份，如2023"),
    (COL_TERM, "可不填，如14或十四；不填时按本政协已有的届推算"),
    (COL_NUMBER, "可不填，如1或0001；不填时接本次会议最大号续编"),
    (COL_TITLE, "必填，最多200字"),
    (COL_PROPOSER, "必填；个人提案第一人为提案人，其余为联名人，用顿号“、”分隔"),
    (COL_KIND, "个人 或 集体，可不填"),
    (COL_PROPOSER_KIND, "委员、党派团体、界别或专门委员会，可不填（个人提案为委员）"),
    (COL_SECTOR, "可不填；新建委员时所属界别，不填则为“其他”"),
    (COL_CATEGORY, "可不填：经济建设、政治建设、文化建设、社会建设、生态文明建设或其他"),
    (COL_SUBMITTED, "可不填，如2023-05-01、2023/5/1或2023年5月1日"),
    (COL_REVIEW, "立案、不立案、并案或待审查；不填时有办理信息视为立案，否则为待审查"),
    (COL_LEAD, "立案后可填，一个单位"),
    (COL_CO, "可不填，多个用顿号“、”分隔"),
    (COL_DEADLINE, "可不填，不填时为提交日期（或年度1月1日）起三个月"),
    (COL_REPLIED, "已答复的填写，须与办理结果同时填写"),
    (COL_RESULT, "A、B或C，须与答复日期同时填写"),
    (COL_RATING, "满意、基本满意或不满意；已答复的才可填写"),
    (COL_KEY, "是 或 否，不填为否"),
    (COL_SUPERVISORS, "重点提案可填，多个用顿号“、”分隔"),
    (COL_EXCELLENT, "是 或 否；已办结的才可评为优秀提案"),
    (COL_CONTENT, "提案正文（案据与建议），最多20000字"),
    (COL_BACKGROUND, "可不填；分开填写案据时使用"),
    (COL_SUGGESTIONS, "可不填；分开填写建议时使用"),
)
COLUMNS: tuple[str, ...] = tuple(name for name, _ in COLUMN_HELP)
REQUIRED_COLUMNS = (COL_YEAR, COL_TITLE, COL_PROPOSER)
TEXT_LIMIT = 20000
MAX_LENGTHS = {
    COL_TITLE: 200,
    COL_CONTENT: TEXT_LIMIT,
    COL_BACKGROUND: TEXT_LIMIT,
    COL_SUGGESTIONS: TEXT_LIMIT,
    COL_PROPOSER: 500,
    COL_CO: 500,
    COL_SUPERVISORS: 200,
}
DEFAULT_LIMIT = 100
NAME_LIMITS = {"member": 30, "unit": 80, "party": 50, "sector": 50, "special": 60}

KINDS = {"个人": Proposal.Kind.INDIVIDUAL, "个人提案": Proposal.Kind.INDIVIDUAL}
KINDS |= {"集体": Proposal.Kind.COLLECTIVE, "集体提案": Proposal.Kind.COLLECTIVE}
PROPOSER_KINDS = {label: value for value, label in Proposal.ProposerKind.choices} | {
    "党派": Proposal.ProposerKind.PARTY
}
REVIEWS = ("立案", "不立案", "并案", "待审查")
RESULTS = ("A", "B", "C")
RATINGS = {label: value for value, label in Feedback.Rating.choices}
CATEGORIES = {label: value for value, label in Category.choices}
YES_NO = {"是": True, "否": False}

_DATE_RES = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"),
)
_NUMBER_RE = re.compile(r"(?:.*第)?0*(\d{1,6})号?")
MIN_YEAR = 1949


@dataclass
class ImportResult:
    created: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    created_units: list[str] = field(default_factory=list)
    created_members: list[str] = field(default_factory=list)
    errors: list[RosterError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    line: int
    year: int
    term_no: int | None
    number: int | None
    title: str
    names: list[str]
    kind: str
    proposer_kind: str
    sector_name: str
    category: str
    submitted: datetime.date | None
    state: str
    lead: str
    co: list[str]
    deadline: datetime.date | None
    replied: datetime.date | None
    result: str
    rating: str
    is_key: bool
    supervisors: list[str]
    is_excellent: bool
    background: str
    suggestions: str
    session_key: tuple[int, int] | None = None


@dataclass
class _TermPlan:
    number: int
    start_year: int
    end_year: int
    term: Term | None


@dataclass
class _SessionPlan:
    term: _TermPlan
    number: int
    year: int
    session: Session | None


# ------------------------------------------------------------------------------------- cell parsing


class _Bad(Exception):
    pass


def parse_date(value: Any) -> datetime.date:
    """An Excel date cell, an Excel serial number, 2023-05-01, 2023/5/1 or 2023年5月1日."""
    if isinstance(value, datetime.datetime):
        result = value.date()
    elif isinstance(value, datetime.date):
        result = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            converted = from_excel(value)
        except (ValueError, OverflowError, TypeError) as exc:
            raise _Bad(f"不是有效日期：“{cell_text(value)}”") from exc
        if not isinstance(converted, datetime.datetime | datetime.date):
            raise _Bad(f"不是有效日期：“{cell_text(value)}”")
        result = converted.date() if isinstance(converted, datetime.datetime) else converted
    else:
        text = cell_text(value)
        match = next((m for m in (r.fullmatch(text) for r in _DATE_RES) if m), None)
        if match is None:
            raise _Bad(f"日期格式应为2023-05-01、2023/5/1或2023年5月1日，而不是“{text}”")
        try:
            result = datetime.date(*(int(g) for g in match.groups()))
        except ValueError as exc:
            raise _Bad(f"不是有效日期：“{text}”") from exc
    if not MIN_YEAR <= result.year <= timezone.localdate().year + 1:
        raise _Bad(f"日期超出范围：“{result.isoformat()}”")
    return result


def parse_chinese_int(text: str) -> int | None:
    """14, 十四, 第十四届 -> 14; None when not a number from 1 to 99."""
    text = text.strip().removeprefix("第").removesuffix("届").strip()
    if text.isascii() and text.isdigit():
        return int(text) if 0 < int(text) < 100 else None
    if not text or any(c not in CN_DIGITS + "十" for c in text):
        return None
    if "十" in text:
        head, _, tail = text.partition("十")
        if len(head) > 1 or len(tail) > 1 or "十" in tail:
            return None
        tens = CN_DIGITS.index(head) if head else 1
        value = tens * 10 + (CN_DIGITS.index(tail) if tail else 0)
    elif len(text) == 1:
        value = CN_DIGITS.index(text)
    else:
        return None
    return value if value > 0 else None


def _parse_row(
    line: int, values: tuple[Any, ...], positions: dict[str, int], errors: list[RosterError]
) -> _Row | None:
    row = RowCells(line, values, positions, MAX_LENGTHS, DEFAULT_LIMIT)
    row_errors, raw, bad, text = row.errors, row.raw, row.bad, row.text

    def date_of(column: str) -> datetime.date | None:
        value = raw.get(column)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return parse_date(value)
        except _Bad as exc:
            bad(column, str(exc))
            return None

    def choice(column: str, options: dict[str, Any] | tuple[str, ...], hint: str) -> Any:
        value = text(column)
        if not value:
            return ""
        if value not in options:
            bad(column, f"应为{hint}，而不是“{value}”")
            return ""
        return options[value] if isinstance(options, dict) else value

    year = 0
    year_text = text(COL_YEAR).removesuffix("年")
    this_year = timezone.localdate().year
    if not year_text:
        bad(COL_YEAR, "不能为空")
    elif year_text.isascii() and year_text.isdigit() and MIN_YEAR <= int(year_text) <= this_year + 1:
        year = int(year_text)
    else:
        bad(COL_YEAR, f"应为四位年份（{MIN_YEAR}—{this_year + 1}），而不是“{text(COL_YEAR)}”")

    term_no = None
    if text(COL_TERM):
        term_no = parse_chinese_int(text(COL_TERM))
        if term_no is None:
            bad(COL_TERM, f"应为届次数字，如14或十四，而不是“{text(COL_TERM)}”")

    number = None
    if text(COL_NUMBER):
        match = _NUMBER_RE.fullmatch(text(COL_NUMBER))
        if match is None or int(match.group(1)) == 0:
            bad(COL_NUMBER, f"应为提案编号数字，如0001，而不是“{text(COL_NUMBER)}”")
        else:
            number = int(match.group(1))

    title = text(COL_TITLE)
    if not title and COL_TITLE not in {e.column for e in row_errors}:
        bad(COL_TITLE, "不能为空")

    names = split_names(text(COL_PROPOSER))
    if not names and COL_PROPOSER not in {e.column for e in row_errors}:
        bad(COL_PROPOSER, "不能为空")

    kind = choice(COL_KIND, KINDS, "个人或集体")
    proposer_kind = choice(COL_PROPOSER_KIND, PROPOSER_KINDS, "委员、党派团体、界别或专门委员会")
    if not kind:
        kind = (
            Proposal.Kind.INDIVIDUAL
            if proposer_kind in ("", Proposal.ProposerKind.MEMBER)
            else Proposal.Kind.COLLECTIVE
        )
    if not proposer_kind:
        proposer_kind = (
            Proposal.ProposerKind.MEMBER if kind == Proposal.Kind.INDIVIDUAL else Proposal.ProposerKind.PARTY
        )
    if kind == Proposal.Kind.INDIVIDUAL and proposer_kind != Proposal.ProposerKind.MEMBER:
        bad(COL_PROPOSER_KIND, "个人提案的提案者类别应为委员")
    if kind == Proposal.Kind.COLLECTIVE and proposer_kind == Proposal.ProposerKind.MEMBER:
        bad(COL_PROPOSER_KIND, "集体提案的提案者类别应为党派团体、界别或专门委员会")
    if kind == Proposal.Kind.COLLECTIVE and len(names) > 1:
        bad(COL_PROPOSER, "集体提案只能填写一个提案者")
    name_limit = NAME_LIMITS["member"] if kind == Proposal.Kind.INDIVIDUAL else NAME_LIMITS["party"]
    for name in names:
        if len(name) > name_limit:
            bad(COL_PROPOSER, f"“{name[:20]}…”过长（最多{name_limit}个字）")

    sector_name = text(COL_SECTOR)
    if len(sector_name) > NAME_LIMITS["sector"]:
        bad(COL_SECTOR, f"过长（最多{NAME_LIMITS['sector']}个字）")
    category = choice(COL_CATEGORY, CATEGORIES, "经济建设、政治建设、文化建设、社会建设、生态文明建设或其他")
    submitted = date_of(COL_SUBMITTED)
    review = choice(COL_REVIEW, REVIEWS, "立案、不立案、并案或待审查")

    lead = text(COL_LEAD)
    co = split_names(text(COL_CO))
    for column, unit_names in ((COL_LEAD, [lead] if lead else []), (COL_CO, co)):
        for name in unit_names:
            if len(name) > NAME_LIMITS["unit"]:
                bad(column, f"单位名称过长（最多{NAME_LIMITS['unit']}个字）")
    if lead and lead in co:
        bad(COL_CO, f"“{lead}”已是主办单位，不能同时为会办单位")
    deadline = date_of(COL_DEADLINE)
    replied = date_of(COL_REPLIED)
    result_text = text(COL_RESULT).upper().removesuffix("类")
    result = ""
    if result_text:
        if result_text in RESULTS:
            result = result_text
        else:
            bad(COL_RESULT, f"应为A、B或C，而不是“{text(COL_RESULT)}”")
    rating = choice(COL_RATING, RATINGS, "满意、基本满意或不满意")
    is_key = choice(COL_KEY, YES_NO, "是或否") or False
    is_excellent = choice(COL_EXCELLENT, YES_NO, "是或否") or False
    supervisors = split_names(text(COL_SUPERVISORS))
    for name in supervisors:
        if len(name) > NAME_LIMITS["member"]:
            bad(COL_SUPERVISORS, f"“{name[:20]}…”过长（最多{NAME_LIMITS['member']}个字）")

    handling = {
        COL_LEAD: bool(lead),
        COL_CO: bool(co),
        COL_REPLIED: bool(text(COL_REPLIED)),
        COL_RESULT: bool(result_text),
        COL_RATING: bool(text(COL_RATING)),
    }
    if not review:
        review = "立案" if any(handling.values()) else "待审查"
    if review != "立案":
        for column, present in handling.items():
            if present:
                bad(column, f"审查结果为“{review}”的提案不能填写")
        for column, flag in ((COL_KEY, is_key), (COL_EXCELLENT, is_excellent)):
            if flag:
                bad(column, f"审查结果为“{review}”的提案不能为“是”")
    else:
        if (co or handling[COL_REPLIED] or handling[COL_RESULT]) and not lead:
            bad(COL_LEAD, "已交办或已答复的提案须填写主办单位")
        if handling[COL_RESULT] and not handling[COL_REPLIED]:
            bad(COL_REPLIED, "填写了办理结果时须填写答复日期")
        if handling[COL_REPLIED] and not handling[COL_RESULT]:
            bad(COL_RESULT, "填写了答复日期时须填写办理结果（A、B或C）")
        if handling[COL_RATING] and not (handling[COL_REPLIED] or handling[COL_RESULT]):
            bad(COL_RATING, "尚未答复的提案不能填写满意度")
    if submitted and replied and replied < submitted:
        bad(COL_REPLIED, "答复日期不能早于提交日期")
    if supervisors and not is_key:
        bad(COL_SUPERVISORS, "重点提案为“是”时才能填写督办领导")

    if review == "待审查":
        state = State.SUBMITTED
    elif review == "不立案":
        state = State.NOT_FILED
    elif review == "并案":
        state = State.MERGED
    elif replied and rating:
        state = State.CLOSED
    elif replied:
        state = State.REPLIED
    elif lead:
        state = State.ASSIGNED
    else:
        state = State.FILED
    if is_excellent and state != State.CLOSED:
        bad(COL_EXCELLENT, "已答复并已评价（办结）的提案才能评为优秀提案")

    background = text(COL_BACKGROUND) or text(COL_CONTENT)
    suggestions = text(COL_SUGGESTIONS)
    if text(COL_BACKGROUND) and text(COL_CONTENT) and not suggestions:
        suggestions = text(COL_CONTENT)

    errors.extend(row_errors)
    if row_errors:
        return None
    return _Row(
        line=line,
        year=year,
        term_no=term_no,
        number=number,
        title=title,
        names=names,
        kind=kind,
        proposer_kind=proposer_kind,
        sector_name=sector_name,
        category=category or Category.OTHER,
        submitted=submitted,
        state=state,
        lead=lead,
        co=co,
        deadline=deadline,
        replied=replied,
        result=result,
        rating=rating,
        is_key=bool(is_key),
        supervisors=supervisors,
        is_excellent=bool(is_excellent),
        background=background,
        suggestions=suggestions,
    )


def _reworded(error: RosterError) -> RosterError:
    """The roster reader's messages speak of the roster (花名册); here the file is a proposal list."""
    message = (
        error.message.replace("请使用花名册模板填写后导入", "请在Excel中保存为.xlsx后导入")
        .replace("花名册", "提案表")
        .replace("姓名、界别等列名", "年度、案由、提案人等列名")
    )
    return RosterError(row=error.row, column=error.column, message=message)


# ------------------------------------------------------------------------------------ sessions


class _Sessions:
    """Maps (年度, 届次) to a session, existing or to be created, and its term."""

    def __init__(self, committee: Committee, rows: list[_Row]) -> None:
        self.committee = committee
        self.terms: dict[int, _TermPlan] = {
            t.number: _TermPlan(t.number, t.start_year, t.end_year, t)
            for t in Term.objects.filter(committee=committee)
        }
        self.sessions: dict[tuple[int, int], _SessionPlan] = {}
        self.by_year: dict[int, list[_SessionPlan]] = defaultdict(list)
        for s in Session.objects.filter(committee=committee).select_related("term"):
            plan = _SessionPlan(self.terms[s.term.number], s.number, s.year, s)
            self.sessions[(s.term.number, s.number)] = plan
            self.by_year[s.year].append(plan)
        self.first_year: dict[int, int] = {}
        for row in rows:
            if row.term_no is not None:
                self.first_year[row.term_no] = min(self.first_year.get(row.term_no, row.year), row.year)

    def _term(self, number: int) -> _TermPlan:
        plan = self.terms.get(number)
        if plan is None:
            reference = max(self.terms.values(), key=lambda t: t.number, default=None)
            if reference is not None:
                start = reference.start_year + TERM_YEARS * (number - reference.number)
            else:
                start = self.first_year[number]
            plan = _TermPlan(number, start, start + TERM_YEARS - 1, None)
            self.terms[number] = plan
        return plan

    def _infer_term(self, year: int) -> int:
        existing = self.by_year.get(year, [])
        if len(existing) == 1:
            return existing[0].term.number
        if len(existing) > 1:
            raise _Bad(f"本政协{year}年有多次会议，请填写届次")
        for plan in self.terms.values():
            if plan.start_year <= year <= plan.end_year:
                return plan.number
        reference = max(self.terms.values(), key=lambda t: t.number, default=None)
        if reference is None:
            raise _Bad("本政协尚未设置届次，请填写届次")
        number = reference.number + (year - reference.start_year) // TERM_YEARS
        if number < 1:
            raise _Bad(f"无法推算{year}年所属的届，请填写届次")
        return number

    def resolve(self, row: _Row) -> tuple[int, int]:
        """The session key (届, 次) for the row; _Bad(column, message) when it cannot be placed."""
        if row.term_no is None:
            try:
                term_no = self._infer_term(row.year)
            except _Bad as exc:
                raise _Bad(COL_TERM, str(exc)) from exc
        else:
            term_no = row.term_no
        for other in self.by_year.get(row.year, []):
            if other.term.number != term_no:
                raise _Bad(COL_TERM, f"本政协{row.year}年的会议属于第{other.term.number}届")
            return term_no, other.number  # the session already set for that year wins over arithmetic
        term = self._term(term_no)
        number = row.year - term.start_year + 1
        if not 1 <= number <= term.end_year - term.start_year + 1:
            raise _Bad(COL_YEAR, f"{row.year}年不在第{term_no}届（{term.start_year}—{term.end_year}年）内")
        plan = self.sessions.get((term_no, number))
        if plan is None:
            plan = _SessionPlan(term, number, row.year, None)
            self.sessions[(term_no, number)] = plan
            self.by_year[row.year].append(plan)
        elif plan.year != row.year:
            raise _Bad(COL_YEAR, f"第{term_no}届第{number}次会议已设为{plan.year}年")
        return term_no, number

    def save(self) -> dict[tuple[int, int], Session]:
        """Create the missing terms and sessions (their audit rows come from the signals)."""
        for plan in self.terms.values():
            if plan.term is None and any(s.term is plan for s in self.sessions.values()):
                plan.term = Term.objects.create(
                    committee=self.committee,
                    number=plan.number,
                    start_year=plan.start_year,
                    end_year=plan.end_year,
                )
        result: dict[tuple[int, int], Session] = {}
        for key, plan in self.sessions.items():
            if plan.session is None:
                plan.session = Session.objects.create(
                    committee=self.committee, term=plan.term.term, number=plan.number, year=plan.year
                )
            plan.session.term = plan.term.term  # type: ignore[assignment]
            result[key] = plan.session
        return result


def _assign_numbers(
    rows: list[_Row], committee: Committee, sessions: _Sessions, errors: list[RosterError]
) -> None:
    """Numbers are unique per session: check the file against itself and the database, then number the
    rows without one after the session's highest number."""
    taken: dict[tuple[int, int], dict[int, int | None]] = defaultdict(dict)  # number -> file line or None
    for key, plan in sessions.sessions.items():
        if plan.session is not None:
            for n in Proposal.objects.filter(session=plan.session, number__isnull=False).values_list(
                "number", flat=True
            ):
                taken[key][n] = None
    for row in rows:
        if row.number is None or row.session_key is None:
            continue
        seen = taken[row.session_key]
        if row.number in seen:
            where = f"与第{seen[row.number]}行重复" if seen[row.number] else "本次会议已有该编号的提案"
            errors.append(RosterError(row=row.line, column=COL_NUMBER, message=where))
        else:
            seen[row.number] = row.line
    for row in rows:
        if row.number is None and row.session_key is not None:
            seen = taken[row.session_key]
            row.number = max(seen, default=0) + 1
            seen[row.number] = row.line


# ----------------------------------------------------------------------------------------- saving


def _system_user() -> User:
    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is None:
        user = User(username=SYSTEM_USERNAME, display_name="历史数据导入", is_active=False)
        user.set_unusable_password()
        user.save()
    return user


class _Directory:
    """Name -> object for the committee's people, parties, sectors, special committees and units,
    creating what is missing (their audit rows come from the signals)."""

    def __init__(self, committee: Committee) -> None:
        self.committee = committee
        self.sectors = {s.name: s for s in Sector.objects.filter(committee=committee)}
        parties = list(Party.objects.filter(committee=committee))
        self.parties = {p.name: p for p in parties} | {p.short_name: p for p in parties}
        self.specials = {s.name: s for s in SpecialCommittee.objects.filter(committee=committee)}
        self.units = {u.name: u for u in HandlingUnit.objects.filter(committee=committee)}
        self.members: dict[str, list[Member]] = defaultdict(list)
        for m in Member.objects.filter(committee=committee).select_related("user"):
            self.members[m.name].append(m)
        self.created_units: list[str] = []
        self.created_members: list[str] = []

    def ambiguous_member(self, name: str) -> bool:
        found = self.members.get(name, [])
        active = [m for m in found if m.status == Member.Status.ACTIVE]
        return len(found) > 1 and len(active) != 1

    def sector(self, name: str) -> Sector:
        name = name or PLACEHOLDER_SECTOR
        if name not in self.sectors:
            self.sectors[name] = Sector.objects.create(committee=self.committee, name=name, sort_order=999)
        return self.sectors[name]

    def member(self, name: str, sector_name: str = "") -> Member:
        found = self.members.get(name, [])
        if len(found) > 1:
            found = [m for m in found if m.status == Member.Status.ACTIVE]
        if found:
            return found[0]
        member = Member.objects.create(committee=self.committee, name=name, sector=self.sector(sector_name))
        self.members[name].append(member)
        self.created_members.append(name)
        return member

    def party(self, name: str) -> Party:
        if name not in self.parties:
            kind = Party.Kind.ORGANISATION
            if "共产党" in name:
                kind = Party.Kind.CPC
            elif "无党派" in name:
                kind = Party.Kind.NON_PARTY
            elif any(
                w in name for w in ("民革", "民盟", "民建", "民进", "农工", "致公", "九三", "台盟", "民主")
            ):
                kind = Party.Kind.DEMOCRATIC
            self.parties[name] = Party.objects.create(
                committee=self.committee, name=name, short_name=name[:20], kind=kind, sort_order=999
            )
        return self.parties[name]

    def special(self, name: str) -> SpecialCommittee:
        if name not in self.specials:
            self.specials[name] = SpecialCommittee.objects.create(committee=self.committee, name=name)
        return self.specials[name]

    def unit(self, name: str) -> HandlingUnit:
        if name not in self.units:
            self.units[name] = HandlingUnit.objects.create(
                committee=self.committee, name=name, kind=HandlingUnit.Kind.OTHER
            )
            self.created_units.append(name)
        return self.units[name]


def _at(day: datetime.date | None) -> datetime.datetime | None:
    """A date as an aware datetime at 09:00 local time (the hour only keeps the date stable across zones)."""
    if day is None:
        return None
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 0)))


def _save(
    committee: Committee, rows: list[_Row], sessions: _Sessions, filename: str, result: ImportResult
) -> None:
    with transaction.atomic():
        actor = _system_user()
        directory = _Directory(committee)
        session_objects = sessions.save()
        proposals: list[Proposal] = []
        for row in rows:
            assert row.session_key is not None
            author = party = sector = special = None
            if row.kind == Proposal.Kind.INDIVIDUAL:
                author = directory.member(row.names[0], row.sector_name)
            elif row.proposer_kind == Proposal.ProposerKind.PARTY:
                party = directory.party(row.names[0])
            elif row.proposer_kind == Proposal.ProposerKind.SECTOR:
                sector = directory.sector(row.names[0])
            else:
                special = directory.special(row.names[0])
            handled = bool(row.lead)
            deadline = row.deadline
            if handled and deadline is None:
                deadline = (row.submitted or datetime.date(row.year, 1, 1)) + datetime.timedelta(
                    days=HANDLING_DAYS
                )
            proposals.append(
                Proposal(
                    committee=committee,
                    session=session_objects[row.session_key],
                    number=row.number,
                    title=row.title,
                    background=row.background,
                    suggestions=row.suggestions,
                    category=row.category,
                    kind=row.kind,
                    proposer_kind=row.proposer_kind,
                    author=author,
                    party=party,
                    sector=sector,
                    special_committee=special,
                    created_by=actor,
                    state=row.state,
                    submitted_at=_at(row.submitted),
                    reviewed_at=_at(row.submitted) if row.state != State.SUBMITTED else None,
                    deadline=deadline if handled else None,
                    is_key=row.is_key,
                    is_excellent=row.is_excellent,
                )
            )
        created = Proposal.objects.bulk_create(proposals, batch_size=500)
        audit_bulk(action="create", objects=created, result="历史提案导入")

        cosigners: list[CoSigner] = []
        assignments: list[Assignment] = []
        replies: list[Reply] = []
        feedback: list[Feedback] = []
        supervisions: list[Supervision] = []
        transitions: list[Transition] = []
        for row, proposal in zip(rows, created, strict=True):
            if row.kind == Proposal.Kind.INDIVIDUAL:
                for name in row.names[1:]:
                    member = directory.member(name, row.sector_name)
                    if member.pk != proposal.author_id:
                        cosigners.append(
                            CoSigner(
                                proposal=proposal,
                                member=member,
                                status=CoSigner.Status.CONFIRMED,
                                responded_at=proposal.submitted_at,
                            )
                        )
            if row.lead:
                status = Assignment.Status.DONE if row.replied else Assignment.Status.ACTIVE
                for unit_name, role in [(row.lead, Assignment.Role.LEAD)] + [
                    (n, Assignment.Role.CO) for n in row.co
                ]:
                    assignments.append(
                        Assignment(
                            proposal=proposal,
                            committee=committee,
                            unit=directory.unit(unit_name),
                            role=role,
                            status=status,
                            deadline=proposal.deadline,
                        )
                    )
            if row.replied:
                replies.append(
                    Reply(
                        proposal=proposal,
                        committee=committee,
                        unit=directory.unit(row.lead),
                        role=Assignment.Role.LEAD,
                        result=row.result,
                        letter=IMPORTED_LETTER,
                        replied_at=_at(row.replied),
                    )
                )
            if row.rating:
                by = proposal.author.user if proposal.author and proposal.author.user_id else actor
                feedback.append(Feedback(proposal=proposal, committee=committee, rating=row.rating, by=by))
            for name in row.supervisors:
                leader = directory.member(name)
                supervisions.append(Supervision(proposal=proposal, committee=committee, leader=leader))
            transitions.append(
                Transition(
                    proposal=proposal,
                    action="import",
                    from_state=State.DRAFT,
                    to_state=row.state,
                    actor=actor,
                    reason=f"历史数据导入：{filename}"[:500],
                )
            )
        for model, objects in (
            (CoSigner, cosigners),
            (Assignment, assignments),
            (Reply, replies),
            (Feedback, feedback),
            (Supervision, supervisions),
            (Transition, transitions),
        ):
            if objects:
                saved = model.objects.bulk_create(objects, batch_size=500)
                audit_bulk(action="create", objects=saved, result="历史提案导入")
        # replied_at is auto_now_add, which bulk_create fills with now; historical replies keep their date.
        for reply, row in zip(replies, [r for r in rows if r.replied], strict=True):
            reply.replied_at = _at(row.replied)
        if replies:
            Reply.objects.bulk_update(replies, ["replied_at"], batch_size=500)

        result.created = len(created)
        result.by_state = dict(Counter(row.state for row in rows))
        result.created_units = directory.created_units
        result.created_members = directory.created_members
        audit_log(
            action="import",
            committee_id=committee.pk,
            after={
                "count": len(created),
                "filename": filename[:100],
                "by_state": result.by_state,
                "created_units": len(directory.created_units),
                "created_members": len(directory.created_members),
            },
            result=f"历史提案导入{len(created)}件",
        )


# ------------------------------------------------------------------------------------------ entry


def proposals_import(*, committee: Committee, data: bytes, filename: str) -> ImportResult:
    """Validate the whole file; import every row in one transaction, or nothing if anything is wrong."""
    result = ImportResult()
    try:
        check_container(data, filename)
        header, raw_rows = read_rows(data)
        positions = column_positions(header, COLUMNS, REQUIRED_COLUMNS)
    except SpreadsheetError as exc:
        result.errors.append(_reworded(exc.error))
        return result
    except HeaderErrors as exc:
        result.errors.extend(exc.errors)
        return result
    if not raw_rows:
        result.errors.append(RosterError(row=None, column="", message="表格中没有提案数据（表头以下为空）"))
        return result

    rows = [r for line, values in raw_rows if (r := _parse_row(line, values, positions, result.errors))]
    directory_names = _Directory(committee) if rows else None
    sessions = _Sessions(committee, rows)
    # Rows naming their 届次 first, so the terms they create can place the rows that do not.
    for row in sorted(rows, key=lambda r: (r.term_no is None, r.line)):
        try:
            row.session_key = sessions.resolve(row)
        except _Bad as exc:
            column, message = exc.args
            result.errors.append(RosterError(row=row.line, column=column, message=message))
    for row in rows:
        people = [(COL_SUPERVISORS, n) for n in row.supervisors]
        if row.kind == Proposal.Kind.INDIVIDUAL:
            people += [(COL_PROPOSER, n) for n in row.names]
        for column, name in people:
            if directory_names is not None and directory_names.ambiguous_member(name):
                result.errors.append(
                    RosterError(
                        row=row.line, column=column, message=f"本政协有多名委员名为“{name}”，无法确定是哪一位"
                    )
                )
    _assign_numbers(rows, committee, sessions, result.errors)
    if result.errors:
        order = {c: i for i, c in enumerate(COLUMNS)}
        result.errors.sort(key=lambda e: (e.row or 0, order.get(e.column, 99)))
        return result

    try:
        _save(committee, rows, sessions, filename, result)
    except IntegrityError:
        logger.warning("proposal import of %s for committee %s hit a constraint", filename, committee.pk)
        result.errors.append(
            RosterError(row=None, column="", message="导入时发现与已有数据冲突（如提案号重复），请刷新后重试")
        )
        result.created = 0
        result.by_state = {}
        return result
    logger.info("proposals %s imported %d into committee %s", filename, result.created, committee.pk)
    return result
