"""Every upload point against every upload rule, through the pages people use.

Upload points: proposal attachments (a member's draft), the roster import (office), the opinion ledger
import (office) and the proposal ledger import (the import_proposals command's service). Rules: an
extension allow-list checked against the file's magic bytes; a size cap; a cap on the uncompressed size
of docx/xlsx, including archives that lie about it; files served back only as attachments with nosniff,
never as HTML or SVG inline, and never from a public media URL.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from zhengxie.opinions.models import OpinionReport
from zhengxie.org.models import Member, Session, Term
from zhengxie.proposals import services
from zhengxie.proposals.importer import proposals_import
from zhengxie.proposals.models import Attachment, Proposal

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="5"/></svg>'
EXE = b"MZ\x90\x00\x03" + b"\0" * 64
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512
MB = 1024 * 1024


def zipped(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def workbook_bytes() -> bytes:
    book = Workbook()
    book.active.append(["姓名", "界别"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def lying(data: bytes, part: str, declared: int) -> bytes:
    """The archive with `part`'s uncompressed size declared as `declared` in both headers: a bomb that
    passes any check reading the central directory alone."""
    raw = bytearray(data)
    name = part.encode()
    for signature, name_len_at, name_at, size_at in (
        (b"PK\x03\x04", 26, 30, 22),
        (b"PK\x01\x02", 28, 46, 24),
    ):
        pos = raw.find(signature)
        while pos >= 0:
            length = struct.unpack_from("<H", raw, pos + name_len_at)[0]
            if raw[pos + name_at : pos + name_at + length] == name:
                struct.pack_into("<I", raw, pos + size_at, declared)
            pos = raw.find(signature, pos + 4)
    return bytes(raw)


def bomb(main_part: str) -> bytes:
    return zipped({main_part: b"<x/>", "pad.bin": b"\0" * (51 * MB)})


def lying_bomb(main_part: str) -> bytes:
    return lying(zipped({main_part: b"<x/>", "pad.bin": b"\0" * (60 * MB)}), "pad.bin", 1000)


def many_parts(main_part: str) -> bytes:
    return zipped({main_part: b"<x/>", **{f"p/{i}.xml": b"<x/>" for i in range(1001)}})


# ----------------------------------------------------------------------------------- upload points


@dataclass
class Outcome:
    accepted: bool
    messages: list[str]


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def draft(world) -> Proposal:
    term = Term.objects.create(committee=world.city, number=14, start_year=2023, end_year=2027)
    session = Session.objects.create(committee=world.city, term=term, number=2, year=2026)
    return services.proposal_draft_create(
        user=world.member_user,
        author=world.member,
        session=session,
        title="关于加装电梯的建议",
        background="老年人上下楼困难。",
        suggestions="简化审批。",
    )


def attach(world, draft, name: str, data: bytes) -> Outcome:
    client = Client()
    client.force_login(world.member_user)
    before = Attachment.objects.count()
    response = client.post(f"/proposals/{draft.pk}/attachments/", {"file": SimpleUploadedFile(name, data)})
    return Outcome(Attachment.objects.count() > before, [str(m) for m in get_messages(response.wsgi_request)])


def import_page(world, url: str, model, name: str, data: bytes) -> Outcome:
    client = Client()
    client.force_login(world.office)
    before = model.objects.count()
    response = client.post(url, {"committee": world.city.pk, "file": SimpleUploadedFile(name, data)})
    assert response.status_code == 200
    page = response.content.decode()
    return Outcome(model.objects.count() > before, [page])


def roster(world, draft, name, data) -> Outcome:
    return import_page(world, "/org/roster/import/", Member, name, data)


def opinions(world, draft, name, data) -> Outcome:
    return import_page(world, "/opinions/import/", OpinionReport, name, data)


def proposal_ledger(world, draft, name, data) -> Outcome:
    before = Proposal.objects.count()
    result = proposals_import(committee=world.city, data=data, filename=name)
    return Outcome(Proposal.objects.count() > before, [e.message for e in result.errors])


IMPORTS = [roster, opinions, proposal_ledger]


def refused(outcome: Outcome, *words: str) -> bool:
    text = "\n".join(outcome.messages)
    return not outcome.accepted and all(w in text for w in words)


# ------------------------------------------------------------------- allow-list against magic bytes


@pytest.mark.parametrize(
    "name,data",
    [
        ("page.html", HTML),
        ("image.svg", SVG),
        ("setup.exe", EXE),
        ("report.pdf", HTML),  # an allowed name over forbidden content
        ("report.pdf", PNG),  # an allowed name over another allowed type
        ("photo.png", PDF),
        ("photo.jpg", SVG),
        ("notes.txt", HTML),
        ("notes.txt", SVG),
        ("notes.txt", b"\xef\xbb\xbf  <?xml version='1.0'?>" + SVG),
        ("report.docx", zipped({"xl/workbook.xml": b"<x/>"})),  # a workbook named as a document
        ("report.docx", PDF),
        ("report.pdf.html", PDF),
    ],
)
def test_attachment_extension_must_match_magic_bytes(world, draft, media, name, data):
    outcome = attach(world, draft, name, data)
    assert not outcome.accepted and outcome.messages
    assert not any(p.is_file() for p in media.rglob("*"))


def test_attachment_allowed_types_pass(world, draft):
    for name, data in [("a.pdf", PDF), ("b.PNG", PNG), ("c.docx", zipped({"word/document.xml": b"<w/>"}))]:
        assert attach(world, draft, name, data).accepted, name


@pytest.mark.parametrize("point", IMPORTS)
@pytest.mark.parametrize(
    "name,data,words",
    [
        ("名单.xlsx", HTML, ["不是有效的Excel"]),
        (
            "名单.xlsx",
            b"\xef\xbb\xbf\xe5\xa7\x93\xe5\x90\x8d,\xe7\x95\x8c\xe5\x88\xab\n",
            ["不是有效的Excel"],
        ),
        ("名单.xlsx", OLE, [".xls"]),
        ("名单.xlsx", zipped({"word/document.xml": b"<w/>"}), []),
        ("名单.html", "WORKBOOK", [".xlsx"]),
        ("名单.xlsm", "WORKBOOK", [".xlsx"]),
        ("名单.svg", SVG, [".xlsx"]),
    ],
)
def test_imports_take_only_xlsx(world, draft, point, name, data, words):
    data = workbook_bytes() if data == "WORKBOOK" else data
    outcome = point(world, draft, name, data)
    assert refused(outcome, *words), outcome.messages[:1]


@pytest.mark.parametrize("point", IMPORTS)
def test_import_name_check_is_not_what_refuses_a_good_name(world, draft, point):
    """Control for the name rule: the same workbook named .xlsx gets past it (to the header check)."""
    outcome = point(world, draft, "名单.xlsx", workbook_bytes())
    assert "只能导入Excel（.xlsx）文件" not in "\n".join(outcome.messages)


# ------------------------------------------------------------------------------------------ size


def test_attachment_size_cap(world, draft, settings):
    settings.UPLOAD_MAX_BYTES = 64 * 1024
    assert attach(world, draft, "fits.pdf", PDF + b"0" * (64 * 1024 - len(PDF))).accepted
    outcome = attach(world, draft, "over.pdf", PDF + b"0" * (64 * 1024 - len(PDF) + 1))
    assert refused(outcome, "文件过大")


@pytest.mark.parametrize("point", IMPORTS)
def test_import_size_cap(world, draft, settings, point):
    settings.UPLOAD_MAX_BYTES = 64 * 1024
    data = workbook_bytes()
    data += b"\0" * (64 * 1024 + 1 - len(data))
    assert refused(point(world, draft, "名单.xlsx", data), "文件过大")


# -------------------------------------------------------------------------------------- zip bombs


@pytest.mark.parametrize(
    "make,words",
    [(bomb, ["解压后过大"]), (lying_bomb, ["已损坏"]), (many_parts, ["部件过多"])],
    ids=["declared", "lying-headers", "parts"],
)
def test_attachment_zip_bombs(world, draft, make, words):
    data = make("word/document.xml")
    assert len(data) < 2 * MB
    assert refused(attach(world, draft, "bomb.docx", data), *words)
    assert refused(attach(world, draft, "bomb.xlsx", make("xl/workbook.xml")), *words)


@pytest.mark.parametrize("point", IMPORTS)
@pytest.mark.parametrize("make", [bomb, lying_bomb, many_parts], ids=["declared", "lying-headers", "parts"])
def test_import_zip_bombs(world, draft, point, make):
    outcome = point(world, draft, "名单.xlsx", make("xl/workbook.xml"))
    assert not outcome.accepted
    assert any(w in "\n".join(outcome.messages) for w in ("解压后过大", "已损坏", "部件过多", "压缩比异常"))


# ---------------------------------------------------------------------------------- serving files


@pytest.mark.parametrize(
    "name,data",
    [("说明材料.txt", b"hello\n" + HTML), ("调研报告.pdf", PDF + HTML), ("现场照片.png", PNG + SVG)],
    ids=["txt-with-html", "pdf-with-html", "png-with-svg"],
)
def test_attachments_are_served_as_downloads_with_nosniff(world, draft, media, name, data):
    assert attach(world, draft, name, data).accepted
    attachment = Attachment.objects.get()
    client = Client()
    client.force_login(world.member_user)  # a draft's files are its proposer's until submitted
    response = client.get(f"/proposals/{draft.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    assert body == data
    # Stored under a random name, and not reachable by any URL but the checked download.
    stored = [p for p in media.rglob("*") if p.is_file()]
    assert len(stored) == 1 and re.fullmatch(r"[0-9a-f]{32}", stored[0].stem)
    relative = stored[0].relative_to(media).as_posix()
    for url in (f"/media/{relative}", f"/{relative}", f"/static/{relative}"):
        assert client.get(url).status_code == 404, url


def test_documents_and_templates_download_as_attachments(world, draft):
    client = Client()
    client.force_login(world.office)
    services.proposal_submit(proposal=draft, user=world.member_user)
    for url in (
        f"/proposals/{draft.pk}/export.docx",
        "/proposals/ledger.xlsx",
        "/org/roster/template/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Disposition"].startswith("attachment;"), url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert "html" not in response["Content-Type"] and "svg" not in response["Content-Type"], url
