"""ID numbers and mobile numbers never appear in plain text in the logs or in a database dump.

Members, a login and a public concern are seeded with known numbers; every page that shows or unmasks
them is exercised with every logger at DEBUG (SQL with its parameters included); then the captured logs,
the console output (the e-mail backend prints there) and a dump of the database are searched for the
plain numbers. Each search has a positive control, so the test fails if it looks in the wrong place.
"""

from __future__ import annotations

import io
import logging
import subprocess

import pytest
from django.db import connection
from django.test import Client
from openpyxl import Workbook

from zhengxie.accounts.crypto import id_number_with_check
from zhengxie.accounts.models import Role
from zhengxie.grassroots.models import Concern
from zhengxie.org import roster
from zhengxie.org.models import Member
from zhengxie.testing.factories import DEFAULT_PASSWORD, StationFactory, UserFactory

ID_1 = id_number_with_check("44070419750612345")
ID_2 = id_number_with_check("44070319880203456")
ID_NEW = id_number_with_check("44078119920715567")
MOBILE_1 = "13712345601"
MOBILE_2 = "13712345602"
MOBILE_NEW = "13712345603"
MOBILE_PUBLIC = "13712345604"
MOBILE_UNKNOWN = "13712345605"  # typed at the login form, belongs to nobody
ID_INVALID = "440704197506123450"  # wrong check digit: refused by the roster import
SECRETS = [ID_1, ID_2, ID_NEW, MOBILE_1, MOBILE_2, MOBILE_NEW, MOBILE_PUBLIC, MOBILE_UNKNOWN, ID_INVALID]
LOGGERS = ["", "django", "django.db.backends", "django.request", "django.security", "axes", "zhengxie"]


def _spaced(value: str) -> list[str]:
    """The number and the forms it could take in a log: as typed with separators, as a JSON number."""
    return [value, f"{value[:3]} {value[3:7]} {value[7:]}", f"{value[:3]}-{value[3:7]}-{value[7:]}"]


def leaks(text: str) -> list[str]:
    return [form for value in SECRETS for form in _spaced(value) if form in text]


def roster_file(sector_name: str, rows: list[dict[str, str]]) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(list(roster.COLUMNS))
    for row in rows:
        sheet.append([{roster.COL_SECTOR: sector_name, **row}.get(column, "") for column in roster.COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "花名册.xlsx"
    return buffer


def database_dump() -> str:
    if connection.vendor == "sqlite":
        return "\n".join(connection.connection.iterdump())
    settings = connection.settings_dict
    command = [
        "pg_dump",
        "--no-owner",
        "-h",
        settings["HOST"] or "127.0.0.1",
        "-p",
        str(settings["PORT"] or 5432),
    ]
    command += ["-U", settings["USER"] or "postgres", settings["NAME"]]
    env = {"PGPASSWORD": settings.get("PASSWORD") or "", "PATH": "/usr/bin:/bin"}
    return subprocess.run(command, check=True, capture_output=True, text=True, env=env, timeout=120).stdout


def exercise(world) -> dict[str, str]:
    """Every page that shows, unmasks or takes an ID or mobile number; returns the pages whose text
    must contain the plain numbers (the positive controls)."""
    pages: dict[str, str] = {}
    world.member.mobile, world.member.id_number = MOBILE_1, ID_1
    world.member.save()
    world.other_member.mobile, world.other_member.id_number = MOBILE_2, ID_2
    world.other_member.save()
    world.member_user.mobile = MOBILE_1
    world.member_user.save()
    station = StationFactory(committee=world.city, name="江海区委员工作室")
    world.member.station = station
    world.member.save()

    # Login by mobile, and a failed login with a number that belongs to nobody.
    member = Client()
    assert (
        member.post("/accounts/login/", {"username": MOBILE_1, "password": DEFAULT_PASSWORD}).status_code
        == 302
    )
    Client().post("/accounts/login/", {"username": MOBILE_UNKNOWN, "password": "Wrong-pass-1"})
    Client().post("/accounts/login/", {"username": f"{MOBILE_1} ", "password": "Wrong-pass-1"})
    pages["own"] = member.get(f"/org/members/{world.member.pk}/", {"reveal": "1"}).content.decode()
    member.get(f"/api/v1/org/members/{world.member.pk}")

    office = Client()
    office.force_login(world.office)
    office.get("/org/members/")
    pages["reveal"] = office.get(f"/org/members/{world.other_member.pk}/", {"reveal": "1"}).content.decode()
    office.get("/api/v1/org/members")
    office.get(f"/api/v1/org/members/{world.other_member.pk}")
    sector = world.member.sector.name
    good = {roster.COL_NAME: "陈新", roster.COL_ID_NUMBER: ID_NEW, roster.COL_MOBILE: MOBILE_NEW}
    bad = {roster.COL_NAME: "黄错", roster.COL_ID_NUMBER: ID_INVALID, roster.COL_MOBILE: "1371234560"}
    for rows in ([good], [bad]):
        office.post("/org/roster/import/", {"committee": world.city.pk, "file": roster_file(sector, rows)})
    assert Member.objects.filter(name="陈新").exists()

    # The public raise a concern with a phone number; the station's member handles it and sees it.
    public = Client()
    public.post(
        f"/concerns/public/{world.city.pk}/",
        {
            "station": str(station.pk),
            "title": "路灯不亮",
            "category": "other",
            "content": "朝翠路东段路灯坏了两个月。",
            "name": "赵大妈",
            "phone": MOBILE_PUBLIC,
            "website": "",
        },
    )
    concern = Concern.objects.get(title="路灯不亮")
    member.post(f"/concerns/{concern.pk}/act/take/")
    pages["concern"] = member.get(f"/concerns/{concern.pk}/").content.decode()
    office.get(f"/api/v1/concerns/{concern.pk}")

    admin = Client()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    admin.get(f"/admin/accounts/user/{world.member_user.pk}/change/")
    admin.get(f"/admin/org/member/{world.other_member.pk}/change/")
    admin.get("/admin/org/member/")
    return pages


@pytest.mark.django_db(transaction=True)
def test_id_and_mobile_numbers_never_in_logs_or_dump(world, caplog, capsys, settings):
    settings.DEBUG = False
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    connection.force_debug_cursor = True  # SQL and its parameters go to django.db.backends at DEBUG
    try:
        pages = exercise(world)
    finally:
        connection.force_debug_cursor = False

    # Positive controls: the pages did unmask the numbers, and the SQL log was captured.
    assert MOBILE_2 in pages["reveal"] and ID_2 in pages["reveal"]
    assert MOBILE_1 in pages["own"]
    assert MOBILE_PUBLIC in pages["concern"]
    log_text = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert "org_member" in log_text and "INSERT INTO" in log_text
    assert leaks(log_text) == []

    out = capsys.readouterr()
    assert leaks(out.out + out.err) == []

    dump = database_dump()
    assert "陈新" in dump and "enc1:" in dump  # the dump holds the members, encrypted
    assert leaks(dump) == []
    assert world.member_user.grants.filter(role=Role.MEMBER).exists()
