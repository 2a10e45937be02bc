"""花名册导入: a committee's member roster from an Excel (.xlsx) file.

The file is untrusted: its size, its zip container (zip bombs) and its row count are checked before and
while openpyxl reads it. Every row is validated and every bad cell reported in Chinese with its Excel row
number and column name; one error anywhere imports nothing. A clean file is written in one transaction with
bulk_create, so the audit rows are written explicitly (bulk_create bypasses the audit signals).
"""

from __future__ import annotations

import datetime
import io
import logging
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from openpyxl import Workbook, load_workbook

from zhengxie.accounts import crypto
from zhengxie.accounts.audit import audit_bulk, audit_log
from zhengxie.org.models import Committee, Member, Party, Sector, SpecialCommittee, Station

logger = logging.getLogger(__name__)

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and other OLE2 documents)
MAX_ROWS = 5000
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
# Deflate tops out near 1:1032; real xlsx parts compress 1:5 to 1:50. Large parts beyond this are bombs.
MAX_COMPRESSION_RATIO = 200
RATIO_CHECK_MIN_BYTES = 1024 * 1024
MAX_ZIP_ENTRIES = 1000
MAX_COLUMNS = 64  # columns read per row; the roster has 13, anything further right is ignored
MAX_CELL_CHARS = 200
SPECIAL_COMMITTEE_SEPARATOR = "、"

COL_NAME = "姓名"
COL_GENDER = "性别"
COL_BIRTH_YEAR = "出生年份"
COL_SECTOR = "界别"
COL_PARTY = "党派"
COL_POSITION = "职务"
COL_SPECIAL = "专门委员会"
COL_STATION = "所属站点"
COL_CPC = "中共党员"
COL_HK_MACAO = "港澳委员"
COL_ENTERPRISE = "工作单位"
COL_ID_NUMBER = "身份证号"
COL_MOBILE = "手机号"

COLUMNS: tuple[str, ...] = (
    COL_NAME,
    COL_GENDER,
    COL_BIRTH_YEAR,
    COL_SECTOR,
    COL_PARTY,
    COL_POSITION,
    COL_SPECIAL,
    COL_STATION,
    COL_CPC,
    COL_HK_MACAO,
    COL_ENTERPRISE,
    COL_ID_NUMBER,
    COL_MOBILE,
)
REQUIRED_COLUMNS: tuple[str, ...] = (COL_NAME, COL_SECTOR)
# Per-column length limits (characters); other columns get MAX_CELL_CHARS.
MAX_LENGTHS = {COL_NAME: 30, COL_ENTERPRISE: 100, COL_MOBILE: 20}

# Shown on the import page and written into the template's 填写说明 sheet.
COLUMN_HELP: tuple[tuple[str, str], ...] = (
    (COL_NAME, "必填，最多30字"),
    (COL_GENDER, "男 或 女，可不填"),
    (COL_BIRTH_YEAR, "四位年份，如1970，可不填"),
    (COL_SECTOR, "必填，须为本政协已设置的界别名称"),
    (COL_PARTY, "可不填，须为本政协已设置的党派团体简称或全称"),
    (COL_POSITION, "主席、副主席、秘书长、常委或委员，不填默认为委员"),
    (COL_SPECIAL, "可不填，多个用顿号“、”分隔，须为已设置的专门委员会名称"),
    (COL_STATION, "可不填，须为已设置的委员工作站点名称"),
    (COL_CPC, "是 或 否，不填默认为否"),
    (COL_HK_MACAO, "是 或 否，不填默认为否"),
    (COL_ENTERPRISE, "可不填，最多100字"),
    (COL_ID_NUMBER, "可不填；填写时须为有效的18位居民身份证号码，且不得与已有委员重复"),
    (COL_MOBILE, "可不填；填写时须为11位手机号码"),
)

POSITIONS = {label: value for value, label in Member.Position.choices}
GENDERS = {label: value for value, label in Member.Gender.choices}
YES_NO = {"是": True, "否": False}


@dataclass(frozen=True)
class RosterError:
    """One problem found in the file. `row` is the Excel row number (the header is row 1); None for
    problems with the file as a whole. `message` is the detail; str() gives the full Chinese sentence."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is not None and self.column:
            return f"第{self.row}行「{self.column}」：{self.message}"
        if self.row is not None:
            return f"第{self.row}行：{self.message}"
        if self.column:
            return f"「{self.column}」：{self.message}"
        return self.message


@dataclass
class RosterResult:
    created: int = 0
    errors: list[RosterError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Lookups:
    sectors: dict[str, Sector]
    parties: dict[str, Party]
    specials: dict[str, SpecialCommittee]
    stations: dict[str, Station]

    @classmethod
    def for_committee(cls, committee: Committee) -> _Lookups:
        all_parties = list(Party.objects.filter(committee=committee))
        parties = {p.name: p for p in all_parties}
        parties.update({p.short_name: p for p in all_parties})  # a short name wins over a colliding name
        return cls(
            sectors={s.name: s for s in Sector.objects.filter(committee=committee)},
            parties=parties,
            specials={s.name: s for s in SpecialCommittee.objects.filter(committee=committee)},
            stations={s.name: s for s in Station.objects.filter(committee=committee)},
        )


@dataclass
class _Row:
    number: int
    member: Member
    specials: list[SpecialCommittee]


class SpreadsheetError(Exception):
    def __init__(self, error: RosterError) -> None:
        super().__init__(str(error))
        self.error = error


def _file_error(message: str, column: str = "", row: int | None = None) -> SpreadsheetError:
    return SpreadsheetError(RosterError(row=row, column=column, message=message))


def check_container(data: bytes, filename: str = "") -> None:
    """Refuse a file not named .xlsx, anything that is not a zip, and zips that would inflate beyond
    reason, before openpyxl touches them. The sizes come from the central directory; Python's zipfile
    never inflates an entry beyond its declared size (and checks the CRC), so the declared sizes bound
    the work."""
    limit = settings.UPLOAD_MAX_BYTES
    if len(data) > limit:
        raise _file_error(f"文件过大：不能超过{limit // (1024 * 1024)} MB")
    if not data:
        raise _file_error("文件为空，请选择填写好的花名册（.xlsx）")
    if data.startswith(OLE_MAGIC):
        raise _file_error("不支持旧版Excel（.xls）文件，请在Excel中“另存为”.xlsx格式后再导入")
    # A name without an extension leaves it to the content; any other extension than .xlsx is refused.
    name = filename.strip().replace("\\", "/").rsplit("/", 1)[-1].lower()
    if "." in name and not name.endswith(".xlsx"):
        raise _file_error("只能导入Excel（.xlsx）文件，请使用模板填写后另存为.xlsx格式")
    if not data.startswith(ZIP_MAGIC):
        raise _file_error("文件不是有效的Excel（.xlsx）文件，请使用花名册模板填写后导入")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise _file_error("文件已损坏或不是有效的Excel（.xlsx）文件") from exc
    if len(entries) > MAX_ZIP_ENTRIES:
        raise _file_error("文件结构异常（包含的部件过多），已拒绝导入")
    total = sum(info.file_size for info in entries)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _file_error("文件解压后过大（超过50 MB），疑似异常文件，已拒绝导入")
    for info in entries:
        if info.file_size >= RATIO_CHECK_MIN_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            raise _file_error("文件压缩比异常，疑似压缩炸弹，已拒绝导入")


def cell_text(value: Any) -> str:
    """An Excel cell as trimmed text: 13800138000.0 -> "13800138000", True -> "是"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time(0):
        return value.date().isoformat()
    return str(value).strip()


def split_names(text: str) -> list[str]:
    """Names listed in one cell (、，,；; between them), in order, each once."""
    names: list[str] = []
    for part in re.split(r"[、，,；;]", text):
        part = part.strip()
        if part and part not in names:
            names.append(part)
    return names


class RowCells:
    """One row of a ledger: its raw values and texts by column (a text over its column's limit is refused),
    and the row's errors, at most one per cell (the first problem found)."""

    def __init__(
        self,
        line: int,
        values: tuple[Any, ...],
        positions: dict[str, int],
        limits: dict[str, int],
        default: int,
    ) -> None:
        self.line = line
        self.errors: list[RosterError] = []
        self.raw: dict[str, Any] = {c: (values[i] if i < len(values) else None) for c, i in positions.items()}
        self.cells: dict[str, str] = {}
        for column, value in self.raw.items():
            text = cell_text(value)
            limit = limits.get(column, default)
            if len(text) > limit:
                self.bad(column, f"内容过长（最多{limit}个字符）")
                text = ""
            self.cells[column] = text

    def bad(self, column: str, message: str) -> None:
        if all(e.column != column for e in self.errors):
            self.errors.append(RosterError(row=self.line, column=column, message=message))

    def text(self, column: str) -> str:
        return self.cells.get(column, "")


def read_rows(data: bytes) -> tuple[list[str], list[tuple[int, tuple[Any, ...]]]]:
    """The header cells and the non-empty data rows (with their Excel row numbers) of the first sheet."""
    workbook = None
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        if not workbook.worksheets:
            raise _file_error("表格为空：没有找到工作表")
        sheet = workbook.worksheets[0]
        header: list[str] | None = None
        rows: list[tuple[int, tuple[Any, ...]]] = []
        for number, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
            if header is None:
                header = [cell_text(v) for v in values]
                continue
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            rows.append((number, tuple(values)))
            if len(rows) > MAX_ROWS:
                raise _file_error(f"数据行超过{MAX_ROWS}行，请分批导入")
    except SpreadsheetError:
        raise
    except Exception as exc:  # openpyxl raises a wide range of errors on malformed parts
        logger.info("roster file unreadable: %r", exc)
        raise _file_error("文件已损坏或不是有效的Excel（.xlsx）文件") from exc
    finally:
        if workbook is not None:
            workbook.close()
    if header is None or not any(header):
        raise _file_error("表格为空：第1行应为表头（姓名、界别等列名）")
    return header, rows


def column_positions(header: list[str], columns: Iterable[str], required: Iterable[str]) -> dict[str, int]:
    """Where each known column sits; extra columns are ignored, a trailing * on a name is allowed.
    Raises HeaderErrors naming every duplicated or missing column. Shared by the spreadsheet imports."""
    known = set(columns)
    positions: dict[str, int] = {}
    errors: list[RosterError] = []
    for index, raw in enumerate(header):
        name = raw.strip().rstrip("*＊").strip()
        if name not in known:
            continue  # extra columns are ignored
        if name in positions:
            errors.append(RosterError(row=1, column=name, message="表头中该列出现了两次"))
            continue
        positions[name] = index
    for name in required:
        if name not in positions:
            errors.append(RosterError(row=1, column=name, message=f"缺少必填列「{name}」"))
    if errors:
        raise HeaderErrors(errors)
    return positions


class HeaderErrors(Exception):
    def __init__(self, errors: list[RosterError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def _parse_row(
    number: int,
    values: tuple[Any, ...],
    positions: dict[str, int],
    lookups: _Lookups,
    committee: Committee,
    errors: list[RosterError],
) -> _Row:
    row_errors: list[RosterError] = []

    def bad(column: str, message: str) -> None:
        row_errors.append(RosterError(row=number, column=column, message=message))

    cells: dict[str, str] = {}
    for column, index in positions.items():
        text = cell_text(values[index] if index < len(values) else None)
        limit = MAX_LENGTHS.get(column, MAX_CELL_CHARS)
        if len(text) > limit:
            bad(column, f"内容过长（最多{limit}个字符）")
            text = ""
        cells[column] = text

    too_long = {e.column for e in row_errors}

    name = cells.get(COL_NAME, "")
    if not name and COL_NAME not in too_long:
        bad(COL_NAME, "不能为空")

    gender = ""
    if cells.get(COL_GENDER):
        gender = GENDERS.get(cells[COL_GENDER], "")
        if not gender:
            bad(COL_GENDER, f"应为“男”或“女”，而不是“{cells[COL_GENDER]}”")

    birth_year: int | None = None
    if cells.get(COL_BIRTH_YEAR):
        text = cells[COL_BIRTH_YEAR]
        this_year = datetime.date.today().year
        if len(text) == 4 and text.isascii() and text.isdigit() and 1900 <= int(text) <= this_year:
            birth_year = int(text)
        else:
            bad(COL_BIRTH_YEAR, f"应为四位年份（1900—{this_year}），如1970，而不是“{text}”")

    sector = None
    sector_name = cells.get(COL_SECTOR, "")
    if not sector_name:
        if COL_SECTOR not in too_long:
            bad(COL_SECTOR, "不能为空")
    else:
        sector = lookups.sectors.get(sector_name)
        if sector is None:
            bad(COL_SECTOR, f"未知界别“{sector_name}”")

    party = None
    if cells.get(COL_PARTY):
        party = lookups.parties.get(cells[COL_PARTY])
        if party is None:
            bad(COL_PARTY, f"未知党派团体“{cells[COL_PARTY]}”")

    position = Member.Position.MEMBER.value
    if cells.get(COL_POSITION):
        found = POSITIONS.get(cells[COL_POSITION])
        if found is None:
            bad(COL_POSITION, f"应为主席、副主席、秘书长、常委或委员，而不是“{cells[COL_POSITION]}”")
        else:
            position = found

    specials: list[SpecialCommittee] = []
    if cells.get(COL_SPECIAL):
        seen: set[str] = set()
        for part in cells[COL_SPECIAL].split(SPECIAL_COMMITTEE_SEPARATOR):
            part = part.strip()
            if not part or part in seen:
                continue
            seen.add(part)
            special = lookups.specials.get(part)
            if special is None:
                bad(COL_SPECIAL, f"未知专门委员会“{part}”")
            else:
                specials.append(special)

    station = None
    if cells.get(COL_STATION):
        station = lookups.stations.get(cells[COL_STATION])
        if station is None:
            bad(COL_STATION, f"未知站点“{cells[COL_STATION]}”")

    flags: dict[str, bool] = {}
    for column in (COL_CPC, COL_HK_MACAO):
        text = cells.get(column, "")
        if not text:
            flags[column] = False
        elif text in YES_NO:
            flags[column] = YES_NO[text]
        else:
            bad(column, f"应为“是”或“否”，而不是“{text}”")

    id_number = cells.get(COL_ID_NUMBER, "").upper()
    if id_number and not crypto.id_number_valid(id_number):
        bad(COL_ID_NUMBER, "不是有效的18位居民身份证号码")
        id_number = ""

    mobile = crypto.normalise_mobile(cells.get(COL_MOBILE, ""))
    if mobile and not crypto.MOBILE_RE.match(mobile):
        bad(COL_MOBILE, f"不是有效的11位手机号码：“{cells[COL_MOBILE]}”")
        mobile = ""

    errors.extend(row_errors)
    if row_errors or sector is None:
        # Still return the valid personal numbers so duplicates are reported for this row too.
        return _Row(number=number, member=Member(id_number=id_number, mobile=mobile), specials=[])
    member = Member(
        committee=committee,
        name=name,
        gender=gender,
        birth_year=birth_year,
        sector=sector,
        party=party,
        position=position,
        station=station,
        is_cpc_member=flags[COL_CPC],
        is_hk_macao=flags[COL_HK_MACAO],
        enterprise=cells.get(COL_ENTERPRISE, ""),
        id_number=id_number,
        mobile=mobile,
        # What Member.save() computes; bulk_create does not call save().
        id_number_index=crypto.blind_index(id_number),
        mobile_index=crypto.blind_index(mobile),
    )
    return _Row(number=number, member=member, specials=specials)


def _check_duplicates(rows: list[_Row], committee: Committee, errors: list[RosterError]) -> None:
    first_id: dict[str, int] = {}
    first_mobile: dict[str, int] = {}
    for row in rows:
        id_number = row.member.id_number
        if id_number:
            if id_number in first_id:
                errors.append(
                    RosterError(
                        row=row.number, column=COL_ID_NUMBER, message=f"与第{first_id[id_number]}行重复"
                    )
                )
            else:
                first_id[id_number] = row.number
        mobile = row.member.mobile
        if mobile:
            if mobile in first_mobile:
                errors.append(
                    RosterError(
                        row=row.number, column=COL_MOBILE, message=f"与第{first_mobile[mobile]}行重复"
                    )
                )
            else:
                first_mobile[mobile] = row.number
    if not first_id:
        return
    by_index = {crypto.blind_index(id_number): number for id_number, number in first_id.items()}
    existing = Member.objects.filter(committee=committee, id_number_index__in=list(by_index)).values_list(
        "id_number_index", "name"
    )
    for index, existing_name in existing:
        errors.append(
            RosterError(
                row=by_index[index],
                column=COL_ID_NUMBER,
                message=f"本政协已有该身份证号的委员（{existing_name}），不能重复导入",
            )
        )


def _save(committee: Committee, rows: list[_Row], filename: str) -> list[Member]:
    with transaction.atomic():
        created = Member.objects.bulk_create([row.member for row in rows], batch_size=500)
        through = Member.special_committees.through
        links = [
            through(member_id=member.pk, specialcommittee_id=special.pk)
            for member, row in zip(created, rows, strict=True)
            for special in row.specials
        ]
        if links:
            through.objects.bulk_create(links, batch_size=1000)
        audit_bulk(action="create", objects=created, result="花名册导入")
        audit_log(
            action="import",
            committee_id=committee.pk,
            after={"count": len(created), "filename": filename[:100]},
            result=f"花名册导入{len(created)}人",
        )
    return created


def roster_import(*, committee: Committee, data: bytes, filename: str) -> RosterResult:
    """Validate the whole file; import every row in one transaction, or nothing if anything is wrong."""
    result = RosterResult()
    try:
        check_container(data, filename)
        header, raw_rows = read_rows(data)
        positions = column_positions(header, COLUMNS, REQUIRED_COLUMNS)
    except SpreadsheetError as exc:
        result.errors.append(exc.error)
        return result
    except HeaderErrors as exc:
        result.errors.extend(exc.errors)
        return result
    if not raw_rows:
        result.errors.append(RosterError(row=None, column="", message="表格中没有委员数据（表头以下为空）"))
        return result

    lookups = _Lookups.for_committee(committee)
    rows: list[_Row] = []
    for number, values in raw_rows:
        rows.append(_parse_row(number, values, positions, lookups, committee, result.errors))
    _check_duplicates(rows, committee, result.errors)
    if result.errors:
        result.errors.sort(key=lambda e: (e.row or 0, COLUMNS.index(e.column) if e.column in COLUMNS else 99))
        return result

    try:
        created = _save(committee, rows, filename)
    except IntegrityError:
        logger.warning("roster import of %s for committee %s hit a duplicate", filename, committee.pk)
        result.errors.append(
            RosterError(
                row=None, column=COL_ID_NUMBER, message="导入时发现与已有委员重复的身份证号，请刷新后重试"
            )
        )
        return result
    logger.info("roster %s imported %d members into committee %s", filename, len(created), committee.pk)
    result.created = len(created)
    return result


def template_workbook_bytes() -> bytes:
    """A blank roster: the header row, one example row, and a sheet explaining each column."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    sheet.append(list(COLUMNS))
    example = {
        COL_NAME: "张三",
        COL_GENDER: "男",
        COL_BIRTH_YEAR: 1975,
        COL_SECTOR: "经济界",
        COL_PARTY: "民建",
        COL_POSITION: "委员",
        COL_SPECIAL: "经济委员会、提案委员会",
        COL_STATION: "",
        COL_CPC: "否",
        COL_HK_MACAO: "否",
        COL_ENTERPRISE: "某某有限公司",
        COL_ID_NUMBER: crypto.id_number_with_check("44070019750101001"),
        COL_MOBILE: "13800138000",
    }
    sheet.append([example[c] for c in COLUMNS])
    help_sheet = workbook.create_sheet("填写说明")
    help_sheet.append(["列名", "填写要求"])
    for column, text in COLUMN_HELP:
        help_sheet.append([column, text])
    help_sheet.append(["", "第1行为表头，请勿修改列名；示例行请删除后再导入。"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
