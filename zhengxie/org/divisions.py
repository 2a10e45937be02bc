"""The committee tree from GB/T 2260 administrative divisions.

The codes come from the `cpca` package's resources/adcodes.csv (12-digit codes whose first six digits are the
division code). The file is located without importing cpca, whose import loads pandas and jieba.

Rules (checked against the shipped file):
- XX0000 is a province-level division, XXXX00 a prefecture, anything else a county-level division.
- Statistical placeholders are not divisions and get no committee: 市辖区 (e.g. 110100 under Beijing, 440701
  under Jiangmen), 县 (500200 under Chongqing) and 省/自治区直辖县级行政区划 (429000, 469000, ...).
  A county whose prefecture code is such a placeholder hangs directly under its province (Beijing's districts,
  Hubei's 仙桃市 429004).
- Taiwan (71), Hong Kong (81) and Macao (82) have no CPPCC committee of their own and are skipped.
"""

from __future__ import annotations

import csv
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from zhengxie.accounts.audit import audit_log
from zhengxie.org.models import Committee

NATIONAL_NAME = "全国政协"
PLACEHOLDER_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
SKIPPED_PROVINCES = {"71", "81", "82"}


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: str
    parent_code: str | None  # None: the national committee

    @property
    def committee_name(self) -> str:
        return self.name + "政协"


@dataclass
class LoadStats:
    created: int = 0
    renamed: int = 0
    moved: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    by_level: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_level.values())


def adcodes_path() -> Path:
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("未安装 cpca 包，找不到行政区划代码文件")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"


def read_divisions(path: Path | None = None) -> list[Division]:
    """Divisions in level order (provinces, prefectures, counties), each parent before its children."""
    names: dict[str, str] = {}
    with open(path or adcodes_path(), encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            code = (row.get("adcode") or "").strip()[:6]
            name = (row.get("name") or "").strip()
            if len(code) == 6 and code.isdigit() and name:
                names[code] = name

    def real(code: str) -> bool:
        return code in names and names[code] not in PLACEHOLDER_NAMES and code[:2] not in SKIPPED_PROVINCES

    provinces, prefectures, counties = [], [], []
    for code in sorted(names):
        if not real(code):
            continue
        province = code[:2] + "0000"
        if code == province:
            provinces.append(Division(code, names[code], Committee.Level.PROVINCIAL, None))
        elif not real(province):
            continue
        elif code.endswith("00"):
            prefectures.append(Division(code, names[code], Committee.Level.PREFECTURE, province))
        else:
            prefecture = code[:4] + "00"
            parent = prefecture if real(prefecture) else province
            counties.append(Division(code, names[code], Committee.Level.COUNTY, parent))
    return provinces + prefectures + counties


def _national() -> tuple[Committee, bool]:
    national = (
        Committee.objects.filter(level=Committee.Level.NATIONAL, division_code__isnull=True)
        .order_by("pk")
        .first()
    )
    if national is not None:
        return national, False
    national = Committee.objects.bulk_create(
        [Committee(name=NATIONAL_NAME, region_name="", level=Committee.Level.NATIONAL, division_code=None)]
    )[0]
    return national, True


@transaction.atomic
def load_divisions(path: Path | None = None) -> LoadStats:
    """Create (or bring up to date) one committee per division. Runs again without creating anything."""
    divisions = read_divisions(path)
    stats = LoadStats()
    national, created = _national()
    stats.created += int(created)
    stats.by_level[Committee.Level.NATIONAL] = 1

    existing = {c.division_code: c for c in Committee.objects.filter(division_code__isnull=False)}
    by_code: dict[str | None, Committee] = {None: national}
    to_update: dict[int, Committee] = {}

    for level in (Committee.Level.PROVINCIAL, Committee.Level.PREFECTURE, Committee.Level.COUNTY):
        new: list[Committee] = []
        for d in (d for d in divisions if d.level == level):
            parent = by_code[d.parent_code]
            committee = existing.get(d.code)
            if committee is None:
                committee = Committee(
                    name=d.committee_name,
                    region_name=d.name,
                    level=level,
                    division_code=d.code,
                    parent=parent,
                )
                new.append(committee)
            else:
                changed = False
                if committee.name != d.committee_name or committee.region_name != d.name:
                    committee.name, committee.region_name = d.committee_name, d.name
                    stats.renamed += 1
                    changed = True
                if committee.parent_id != parent.pk or committee.level != level:
                    committee.parent, committee.level = parent, level
                    stats.moved += 1
                    changed = True
                if changed:
                    to_update[committee.pk] = committee
                else:
                    stats.unchanged += 1
            by_code[d.code] = committee
        Committee.objects.bulk_create(new, batch_size=500)
        stats.created += len(new)
        stats.by_level[level] = sum(1 for d in divisions if d.level == level)

    # Paths, parents first: the divisions are in level order and the root comes before them all.
    root_path = f"/{national.pk}/"
    if national.path != root_path:
        national.path = root_path
        to_update[national.pk] = national
    for d in divisions:
        committee = by_code[d.code]
        path = f"{by_code[d.parent_code].path}{committee.pk}/"
        if committee.path != path:
            committee.path = path
            to_update[committee.pk] = committee
    if to_update:
        Committee.objects.bulk_update(
            list(to_update.values()), ["name", "region_name", "level", "parent", "path"], batch_size=500
        )
    # Committees that are not in the file (none normally) keep their own paths: if one hangs under a
    # committee moved above, services.committee_path is how to repair it.
    if stats.created or stats.renamed or stats.moved:
        result = f"载入行政区划: 新增{stats.created}个政协"
        if stats.renamed or stats.moved:
            result += f"，更名{stats.renamed}个，调整上级{stats.moved}个"
        audit_log(action="import", result=result)
    return stats
