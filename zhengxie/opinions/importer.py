"""社情民意历史台账导入: earlier years' opinion reports from an Excel (.xlsx) ledger, written in their final state.

The file is untrusted: its size and zip container (zip bombs) are checked, and it is read, by the roster
import's functions (zhengxie.org.roster). Columns are found by their Chinese header in any order; extra
columns are ignored. Every row is validated and every bad cell reported as 第3行「采用情况」：应为……; one
error anywhere imports nothing.

Unlike the proposal import, nothing is created from names: a 委员 must be an active member of the committee
(unknown or ambiguous names are errors), other 反映人 must be the committee's party (name or short name),
sector, special committee or station. Each row becomes an OpinionReport with imported=True and state from
报送情况/采用情况 (未报送 -> submitted, 已报送 -> forwarded with one Forwarding to "（历史台账）", 已采用 or any
批示 -> adopted); 批示数 N gives N Instruction rows, the first at 最高批示级别 and the rest without a level.
Imported reports get no duty records: the ledger does not say when each step happened, and the duty
records of those years are not the platform's to rewrite. One ReportTransition (action "import") each, audit
rows for the bulk-created rows, and one summary audit row (action "import").
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from zhengxie.accounts.audit import audit_bulk, audit_log
from zhengxie.accounts.models import User
from zhengxie.opinions.models import (
    Forwarding,
    Instruction,
    InstructionLevel,
    OpinionReport,
    ReportState,
    ReportTransition,
)
from zhengxie.org.models import Committee, Member, Party, Sector, SpecialCommittee, Station
from zhengxie.org.roster import (
    HeaderErrors,
    RosterError,
    RowCells,
    SpreadsheetError,
    check_container,
    column_positions,
    read_rows,
    split_names,
)
from zhengxie.proposals.importer import parse_date

logger = logging.getLogger(__name__)

SYSTEM_USERNAME = "import"  # the same inactive account the proposal import acts as
HISTORICAL_RECEIVER = "（历史台账）"
MISSING_TEXT = "（历史台账导入，正文未录入）"

COL_YEAR = "年度"
COL_TITLE = "标题"
COL_REFLECTOR = "反映人"
COL_SOURCE = "反映人类别"
COL_SUBMITTED = "提交日期"
COL_FORWARDED = "报送情况"
COL_ADOPTED = "采用情况"
COL_COUNT = "批示数"
COL_LEVEL = "最高批示级别"
COL_CONTENT = "内容"

COLUMN_HELP: tuple[tuple[str, str], ...] = (
    (COL_YEAR, "必填，四位年份，如2023"),
    (COL_TITLE, "必填，最多200字"),
    (COL_REFLECTOR, "必填；委员填姓名（须为本政协在任委员，多人用顿号“、”分隔），其他类别填名称"),
    (COL_SOURCE, "委员、党派团体、界别、专门委员会或委员工作室，不填为委员"),
    (COL_SUBMITTED, "可不填，如2023-05-01、2023/5/1或2023年5月1日"),
    (COL_FORWARDED, "已报送 或 未报送；不填时已采用的视为已报送，否则为未报送"),
    (COL_ADOPTED, "已采用 或 未采用，不填为未采用；已报送的才能为已采用"),
    (COL_COUNT, "批示次数，0—99的整数，可不填；大于0时须已报送，并填写最高批示级别"),
    (COL_LEVEL, "国家级、省级、市级或县级；有批示时必填"),
    (COL_CONTENT, "信息正文，最多20000字，可不填"),
)
COLUMNS: tuple[str, ...] = tuple(name for name, _ in COLUMN_HELP)
REQUIRED_COLUMNS = (COL_YEAR, COL_TITLE, COL_REFLECTOR)
MAX_LENGTHS = {COL_TITLE: 200, COL_CONTENT: 20000, COL_REFLECTOR: 200}
DEFAULT_LIMIT = 100
MAX_INSTRUCTIONS = 99
MIN_YEAR = 1949

SOURCES = {label: value for value, label in OpinionReport.SourceKind.choices} | {
    "党派": OpinionReport.SourceKind.PARTY,
    "工作室": OpinionReport.SourceKind.STATION,
}
LEVELS = {label: value for value, label in InstructionLevel.choices}
FORWARDED = {"已报送": True, "未报送": False}
ADOPTED = {"已采用": True, "未采用": False}


@dataclass
class ImportResult:
    created: int = 0
    instructions: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    errors: list[RosterError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def file_error(message: str) -> RosterError:
    return RosterError(row=None, column="", message=message)


@dataclass
class _Row:
    line: int
    year: int
    title: str
    names: list[str]
    source_kind: str
    submitted: datetime.date | None
    state: str
    instructions: int
    level: str
    content: str
    members: list[Member] = field(default_factory=list)
    body: Party | Sector | SpecialCommittee | Station | None = None


def _parse_row(
    line: int, values: tuple[Any, ...], positions: dict[str, int], errors: list[RosterError]
) -> _Row | None:
    row = RowCells(line, values, positions, MAX_LENGTHS, DEFAULT_LIMIT)
    row_errors, raw, bad, text = row.errors, row.raw, row.bad, row.text

    def choice(column: str, options: dict[str, Any], hint: str) -> Any:
        value = text(column)
        if not value:
            return None
        if value not in options:
            bad(column, f"应为{hint}，而不是“{value}”")
            return None
        return options[value]

    this_year = timezone.localdate().year
    year = 0
    year_text = text(COL_YEAR).removesuffix("年")
    if not year_text:
        if COL_YEAR not in {e.column for e in row_errors}:
            bad(COL_YEAR, "不能为空")
    elif year_text.isascii() and year_text.isdigit() and MIN_YEAR <= int(year_text) <= this_year:
        year = int(year_text)
    else:
        bad(COL_YEAR, f"应为四位年份（{MIN_YEAR}—{this_year}），而不是“{text(COL_YEAR)}”")

    title = text(COL_TITLE)
    if not title:
        bad(COL_TITLE, "不能为空")

    source_kind = choice(COL_SOURCE, SOURCES, "委员、党派团体、界别、专门委员会或委员工作室")
    names = split_names(text(COL_REFLECTOR))
    if not names:
        bad(COL_REFLECTOR, "不能为空")
    elif source_kind not in (None, OpinionReport.SourceKind.MEMBER) and len(names) > 1:
        bad(COL_REFLECTOR, "党派团体、界别、专门委员会或委员工作室只能填写一个名称")

    submitted = None
    value = raw.get(COL_SUBMITTED)
    if value is not None and not (isinstance(value, str) and not value.strip()):
        try:
            submitted = parse_date(value)
        except Exception as exc:  # parse_date raises its own error class with the Chinese message
            bad(COL_SUBMITTED, str(exc))
        else:
            if submitted > timezone.localdate():
                bad(COL_SUBMITTED, "不能晚于今天")
            elif year and submitted.year not in (year, year + 1):
                bad(COL_SUBMITTED, f"与年度{year}不符")

    forwarded = choice(COL_FORWARDED, FORWARDED, "已报送或未报送")
    adopted = choice(COL_ADOPTED, ADOPTED, "已采用或未采用")
    count = 0
    count_text = text(COL_COUNT)
    if count_text:
        if count_text.isascii() and count_text.isdigit() and int(count_text) <= MAX_INSTRUCTIONS:
            count = int(count_text)
        else:
            bad(COL_COUNT, f"应为0—{MAX_INSTRUCTIONS}的整数，而不是“{count_text}”")
    level = choice(COL_LEVEL, LEVELS, "国家级、省级、市级或县级") or ""

    if text(COL_LEVEL) and not count_text:
        count = 1  # a ledger naming the level of an instruction without counting them means one
    if count and not text(COL_LEVEL):
        bad(COL_LEVEL, "有批示时须填写最高批示级别")
    if text(COL_LEVEL) and count_text and count == 0 and COL_COUNT not in {e.column for e in row_errors}:
        bad(COL_COUNT, "填写了最高批示级别时批示数应大于0")
    if forwarded is None:
        forwarded = bool(adopted)
    if adopted and not forwarded:
        bad(COL_ADOPTED, "未报送的信息不能为已采用")
    if count and not forwarded:
        bad(COL_COUNT, "未报送的信息不能有批示")

    # A leader's instruction means the receiving side used the report (as instruction_add records it).
    if adopted or (forwarded and count):
        state = ReportState.ADOPTED
    elif forwarded:
        state = ReportState.FORWARDED
    else:
        state = ReportState.SUBMITTED

    errors.extend(row_errors)
    if row_errors:
        return None
    return _Row(
        line=line,
        year=year,
        title=title,
        names=names,
        source_kind=source_kind or OpinionReport.SourceKind.MEMBER,
        submitted=submitted,
        state=state,
        instructions=count,
        level=level,
        content=text(COL_CONTENT),
    )


class _Directory:
    """The committee's active members by name and its bodies by name (parties also by short name)."""

    def __init__(self, committee: Committee) -> None:
        self.members: dict[str, list[Member]] = defaultdict(list)
        for m in Member.objects.filter(committee=committee, status=Member.Status.ACTIVE):
            self.members[m.name].append(m)
        parties = list(Party.objects.filter(committee=committee))
        self.bodies: dict[str, dict[str, Any]] = {
            OpinionReport.SourceKind.PARTY: {p.name: p for p in parties} | {p.short_name: p for p in parties},
            OpinionReport.SourceKind.SECTOR: {s.name: s for s in Sector.objects.filter(committee=committee)},
            OpinionReport.SourceKind.SPECIAL_COMMITTEE: {
                s.name: s for s in SpecialCommittee.objects.filter(committee=committee)
            },
            OpinionReport.SourceKind.STATION: {
                s.name: s for s in Station.objects.filter(committee=committee)
            },
        }

    def resolve(self, row: _Row, errors: list[RosterError]) -> None:
        if row.source_kind == OpinionReport.SourceKind.MEMBER:
            for name in row.names:
                found = self.members.get(name, [])
                if len(found) == 1:
                    row.members.append(found[0])
                    continue
                message = (
                    f"本政协有多名在任委员名为“{name}”，无法确定是哪一位"
                    if found
                    else f"本政协没有名为“{name}”的在任委员"
                )
                errors.append(RosterError(row=row.line, column=COL_REFLECTOR, message=message))
                return
            return
        body = self.bodies[row.source_kind].get(row.names[0])
        if body is None:
            label = OpinionReport.SourceKind(row.source_kind).label
            errors.append(
                RosterError(
                    row=row.line, column=COL_REFLECTOR, message=f"本政协没有名为“{row.names[0]}”的{label}"
                )
            )
        row.body = body


def _system_user() -> User:
    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is None:
        user = User(username=SYSTEM_USERNAME, display_name="历史数据导入", is_active=False)
        user.set_unusable_password()
        user.save()
    return user


def _reworded(error: RosterError) -> RosterError:
    """The roster reader's messages speak of the roster (花名册); here the file is the opinion ledger."""
    message = (
        error.message.replace("请使用花名册模板填写后导入", "请在Excel中保存为.xlsx后导入")
        .replace("花名册", "社情民意台账")
        .replace("姓名、界别等列名", "年度、标题、反映人等列名")
    )
    return RosterError(row=error.row, column=error.column, message=message)


BODY_FIELDS = {
    OpinionReport.SourceKind.PARTY: "party",
    OpinionReport.SourceKind.SECTOR: "sector",
    OpinionReport.SourceKind.SPECIAL_COMMITTEE: "special_committee",
    OpinionReport.SourceKind.STATION: "station",
}


def _save(committee: Committee, rows: list[_Row], filename: str, result: ImportResult) -> None:
    with transaction.atomic():
        actor = _system_user()
        # Lock the committee's numbering, as report_forward does, while forwarded rows take numbers.
        Committee.objects.select_for_update(no_key=True).filter(pk=committee.pk).first()
        top = dict(
            OpinionReport.objects.filter(committee=committee)
            .values("year")
            .annotate(n=Max("number"))
            .values_list("year", "n")
        )
        next_number: dict[int, int] = defaultdict(int, {y: n or 0 for y, n in top.items()})
        reports: list[OpinionReport] = []
        for row in rows:
            number = None
            if row.state != ReportState.SUBMITTED:
                next_number[row.year] += 1
                number = next_number[row.year]
            body = {BODY_FIELDS[row.source_kind]: row.body} if row.body is not None else {}
            reports.append(
                OpinionReport(
                    committee=committee,
                    year=row.year,
                    number=number,
                    title=row.title,
                    situation=row.content or MISSING_TEXT,
                    source_kind=row.source_kind,
                    reflector_name=("、".join(m.name for m in row.members) or str(row.body))[:100],
                    created_by=actor,
                    state=row.state,
                    submitted_on=row.submitted,
                    imported=True,
                    **body,
                )
            )
        created = OpinionReport.objects.bulk_create(reports, batch_size=500)
        audit_bulk(action="create", objects=created, result="社情民意台账导入")

        through = OpinionReport.authors.through
        links = [
            through(opinionreport_id=report.pk, member_id=m.pk)
            for row, report in zip(rows, created, strict=True)
            for m in row.members
        ]
        through.objects.bulk_create(links, batch_size=1000)
        transitions = [
            ReportTransition(
                report=report,
                action="import",
                from_state=ReportState.DRAFT,
                to_state=report.state,
                actor=actor,
                reason=f"历史台账导入：{filename}"[:500],
            )
            for report in created
        ]
        forwardings: list[Forwarding] = []
        forwarded_rows: list[tuple[_Row, OpinionReport]] = []
        for row, report in zip(rows, created, strict=True):
            if row.state == ReportState.SUBMITTED:
                continue
            on = row.submitted or datetime.date(row.year, 1, 1)
            adopted = row.state == ReportState.ADOPTED
            forwardings.append(
                Forwarding(
                    report=report,
                    committee=committee,
                    target=Forwarding.Target.OTHER,
                    receiver=HISTORICAL_RECEIVER,
                    forwarded_on=on,
                    adopted=adopted,
                    adopted_on=on if adopted else None,
                    by=actor,
                )
            )
            forwarded_rows.append((row, report))
        forwardings = Forwarding.objects.bulk_create(forwardings, batch_size=500)
        instructions = [
            Instruction(
                report=report,
                committee=committee,
                forwarding=forwarding,
                level=row.level if i == 0 else "",
                instructed_on=forwarding.forwarded_on,
                imported=True,
                by=actor,
            )
            for (row, report), forwarding in zip(forwarded_rows, forwardings, strict=True)
            for i in range(row.instructions)
        ]
        for model, objects in (
            (ReportTransition, transitions),
            (Instruction, instructions),
        ):
            if objects:
                model.objects.bulk_create(objects, batch_size=500)
        saved = [*transitions, *forwardings, *instructions]
        if saved:
            audit_bulk(action="create", objects=saved, result="社情民意台账导入")

        result.created = len(created)
        result.instructions = len(instructions)
        result.by_state = dict(Counter(row.state for row in rows))
        audit_log(
            action="import",
            committee_id=committee.pk,
            after={
                "count": len(created),
                "instructions": len(instructions),
                "filename": filename[:100],
                "by_state": result.by_state,
            },
            result=f"社情民意台账导入{len(created)}条",
        )


def opinions_import(*, committee: Committee, data: bytes, filename: str) -> ImportResult:
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
        result.errors.append(file_error("表格中没有社情民意数据（表头以下为空）"))
        return result

    rows = [r for line, values in raw_rows if (r := _parse_row(line, values, positions, result.errors))]
    directory = _Directory(committee)
    for row in rows:
        directory.resolve(row, result.errors)
    if result.errors:
        order = {c: i for i, c in enumerate(COLUMNS)}
        result.errors.sort(key=lambda e: (e.row or 0, order.get(e.column, 99)))
        return result
    try:
        _save(committee, rows, filename, result)
    except IntegrityError:
        logger.warning("opinion import of %s for committee %s hit a constraint", filename, committee.pk)
        result.errors.append(file_error("导入时发现与已有数据冲突，请刷新后重试"))
        result.created = result.instructions = 0
        result.by_state = {}
        return result
    logger.info("opinions %s imported %d into committee %s", filename, result.created, committee.pk)
    return result
