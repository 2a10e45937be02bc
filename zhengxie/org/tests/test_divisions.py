from io import StringIO

import pytest
from django.core.management import call_command

from zhengxie.accounts.models import AuditLog, User
from zhengxie.org.divisions import load_divisions, read_divisions
from zhengxie.org.models import Committee, HandlingUnit, Member, Sector, Term


def _by_code(*codes: str) -> dict[str, Committee]:
    return {c.division_code: c for c in Committee.objects.filter(division_code__in=codes)}


def test_read_divisions_skips_placeholders_and_non_committee_regions():
    codes = {d.code: d for d in read_divisions()}
    assert "110100" not in codes  # 北京 市辖区
    assert "440701" not in codes  # 江门 市辖区
    assert "429000" not in codes  # 湖北 省直辖县级行政区划
    assert "810000" not in codes  # 香港: no CPPCC committee of its own
    assert codes["110101"].parent_code == "110000"
    assert codes["429004"].parent_code == "420000"
    assert codes["440704"].parent_code == "440700"


@pytest.mark.django_db
def test_load_divisions_builds_tree_with_expected_parents():
    stats = load_divisions()
    national = Committee.objects.get(level=Committee.Level.NATIONAL)
    c = _by_code("440000", "440700", "440704", "110101", "511602", "511600")

    assert national.name == "全国政协"
    assert national.division_code is None
    assert national.path == f"/{national.pk}/"
    assert Committee.objects.filter(level=Committee.Level.PROVINCIAL).count() == 31
    assert stats.created == Committee.objects.count()
    assert c["440000"].parent_id == national.pk
    assert c["440700"].parent_id == c["440000"].pk
    assert c["440704"].parent_id == c["440700"].pk
    assert c["110101"].parent.division_code == "110000"
    assert c["511602"].parent_id == c["511600"].pk
    assert (c["440700"].name, c["440700"].region_name) == ("江门市政协", "江门市")
    assert c["440000"].name == "广东省政协"
    assert c["440704"].level == Committee.Level.COUNTY


@pytest.mark.django_db
def test_load_divisions_paths_are_prefixes_of_children():
    load_divisions()
    paths = dict(Committee.objects.values_list("pk", "path"))
    bad = [
        pk
        for pk, parent_id in Committee.objects.values_list("pk", "parent_id")
        if parent_id and paths[pk] != f"{paths[parent_id]}{pk}/"
    ]
    assert bad == []
    jianghai = Committee.objects.get(division_code="440704")
    guangdong = Committee.objects.get(division_code="440000")
    assert jianghai in guangdong.descendants()


@pytest.mark.django_db
def test_load_divisions_second_run_creates_nothing():
    load_divisions()
    before = Committee.objects.count()
    audits = AuditLog.objects.count()

    stats = load_divisions()

    assert stats.created == 0
    assert stats.renamed == 0
    assert Committee.objects.count() == before
    assert AuditLog.objects.count() == audits


@pytest.mark.django_db
def test_load_divisions_creates_no_other_records_and_one_audit_row():
    models = (Sector, Member, User, Term, HandlingUnit)
    before = [m.objects.count() for m in models]

    out = StringIO()
    call_command("load_divisions", stdout=out)

    assert [m.objects.count() for m in models] == before
    rows = list(AuditLog.objects.values_list("action", "result"))
    assert rows == [("import", f"载入行政区划: 新增{Committee.objects.count()}个政协")]
    assert "新增" in out.getvalue()


@pytest.mark.django_db
def test_load_divisions_reuses_and_renames_existing_committee():
    from zhengxie.org import services

    national = services.committee_create(name="全国政协", level="national", parent=None, division_code=None)
    province = services.committee_create(
        name="广东政协", level="provincial", parent=national, division_code="440000", region_name="广东"
    )

    stats = load_divisions()

    province.refresh_from_db()
    assert Committee.objects.filter(level=Committee.Level.NATIONAL).count() == 1
    assert (province.name, province.region_name) == ("广东省政协", "广东省")
    assert stats.renamed == 1
    jiangmen = Committee.objects.get(division_code="440700")
    assert jiangmen.path == f"{province.path}{jiangmen.pk}/"
