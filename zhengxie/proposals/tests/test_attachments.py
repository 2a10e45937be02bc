import io
import zipfile
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from zhengxie.accounts.models import AuditLog, Role
from zhengxie.proposals import attachments, services
from zhengxie.proposals.models import Attachment, State
from zhengxie.testing.factories import UserFactory, grant

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()]


def upload_url(p):
    return reverse("proposals:attachment_upload", args=[p.pk])


def download_url(a):
    return reverse("proposals:attachment_download", args=[a.proposal_id, a.pk])


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def post_file(client, p, name, data):
    return client.post(upload_url(p), {"file": SimpleUploadedFile(name, data)})


def docx(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in parts.items():
            z.writestr(name, content)
    return buf.getvalue()


def test_pdf_upload_and_download_by_proposer_and_office(pw, client, media):
    w = pw.world
    p = pw.bring_to(State.DRAFT)
    client.force_login(w.member_user)
    response = post_file(client, p, "../../etc/调研报告\x07.pdf", PDF)
    assert response.status_code == 302
    assert response.url == reverse("proposals:detail", args=[p.pk])
    a = Attachment.objects.get(proposal=p)
    assert a.original_name == "调研报告.pdf"
    assert a.size == len(PDF) and a.committee_id == p.committee_id
    assert "调研报告" not in a.file.name and a.file.name.startswith("proposals/")
    assert len(stored(media)) == 1

    detail = client.get(reverse("proposals:detail", args=[p.pk])).content.decode()
    assert download_url(a) in detail and 'enctype="multipart/form-data"' in detail

    response = client.get(download_url(a))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]

    services.proposal_submit(proposal=p, user=w.member_user)
    client.force_login(w.office)
    response = client.get(download_url(a))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert AuditLog.objects.filter(action="export", object_id=str(a.pk)).count() == 2


def test_member_of_other_committee_gets_404(pw, client):
    w = pw.world
    p = pw.bring_to(State.DRAFT)
    a = attachments.attachment_add(proposal=p, user=w.member_user, upload=SimpleUploadedFile("a.pdf", PDF))
    services.proposal_submit(proposal=p, user=w.member_user)
    outsider = UserFactory(username="wangwu")
    w.sibling_member.user = outsider
    w.sibling_member.save()
    grant(outsider, w.sibling, Role.MEMBER)
    client.force_login(outsider)
    assert client.get(download_url(a)).status_code == 404
    assert client.post(upload_url(p), {"file": SimpleUploadedFile("b.pdf", PDF)}).status_code == 404


def test_attachment_of_another_proposal_is_404(pw, client):
    w = pw.world
    p1, p2 = pw.bring_to(State.DRAFT), pw.draft(title="另一件")
    a = attachments.attachment_add(proposal=p1, user=w.member_user, upload=SimpleUploadedFile("a.pdf", PDF))
    client.force_login(w.member_user)
    url = reverse("proposals:attachment_download", args=[p2.pk, a.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("x.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>"),
        ("x.html", b"<html></html>"),
        ("x.htm", b"<html></html>"),
        ("x.txt", b"<html><script>alert(1)</script></html>"),
        ("x.txt", b"a\x00b"),
        ("x.txt", "中文".encode("gbk")),
        ("x.png", PDF),
        ("x.jpg", b"GIF89a"),
        ("x.doc", PDF),
        ("x.docx", docx({"xl/workbook.xml": b"<x/>"})),
        ("x.xlsx", b"PK\x03\x04broken"),
        ("x.pdf", b""),
        ("noextension", PDF),
    ],
)
def test_refused_content_stores_nothing(pw, client, media, name, data):
    p = pw.bring_to(State.DRAFT)
    client.force_login(pw.world.member_user)
    response = post_file(client, p, name, data)
    assert response.status_code == 302
    assert texts(response)
    assert not Attachment.objects.exists()
    assert stored(media) == []


def test_allowed_types_accepted(pw, client, media):
    p = pw.bring_to(State.DRAFT)
    client.force_login(pw.world.member_user)
    for name, data in [
        ("a.docx", docx({"word/document.xml": b"<w/>"})),
        ("b.xlsx", docx({"xl/workbook.xml": b"<x/>"})),
        ("c.png", b"\x89PNG\r\n\x1a\n" + b"0" * 10),
        ("d.jpeg", b"\xff\xd8\xff\xe0" + b"0" * 10),
        ("e.txt", "说明文字".encode()),
    ]:
        post_file(client, p, name, data)
    assert Attachment.objects.filter(proposal=p).count() == 5
    assert len(stored(media)) == 5


def test_sixth_file_refused(pw, client, media):
    p = pw.bring_to(State.DRAFT)
    client.force_login(pw.world.member_user)
    for i in range(5):
        post_file(client, p, f"{i}.pdf", PDF)
    response = post_file(client, p, "6.pdf", PDF)
    assert "每件提案最多上传5个附件" in texts(response)
    assert Attachment.objects.filter(proposal=p).count() == 5
    assert len(stored(media)) == 5


def test_too_large_refused(pw, client, media, settings):
    p = pw.bring_to(State.DRAFT)
    client.force_login(pw.world.member_user)
    response = post_file(client, p, "big.pdf", PDF + b"0" * settings.UPLOAD_MAX_BYTES)
    assert any("文件过大" in t for t in texts(response))
    assert not Attachment.objects.exists()
    assert stored(media) == []


def test_docx_zip_bomb_refused(pw, client, media):
    p = pw.bring_to(State.DRAFT)
    client.force_login(pw.world.member_user)
    bomb = docx({"word/document.xml": b"<w/>", "word/media/pad.bin": b"\0" * (51 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    response = post_file(client, p, "bomb.docx", bomb)
    assert any("解压后过大" in t for t in texts(response))
    assert not Attachment.objects.exists()
    assert stored(media) == []


def test_no_upload_after_submission(pw, client, media):
    w = pw.world
    p = pw.bring_to(State.SUBMITTED)
    client.force_login(w.member_user)
    response = post_file(client, p, "a.pdf", PDF)
    assert "提案已提交，不能再修改附件" in texts(response)
    assert stored(media) == []
    detail = client.get(reverse("proposals:detail", args=[p.pk])).content.decode()
    assert upload_url(p) not in detail


def test_only_proposer_may_upload(pw, client, media):
    p = pw.bring_to(State.FILED)
    client.force_login(pw.world.office)
    response = post_file(client, p, "a.pdf", PDF)
    assert "只有提案人可以管理附件" in texts(response)
    assert stored(media) == []


def test_delete_by_proposer_while_draft(pw, client, media):
    w = pw.world
    p = pw.bring_to(State.DRAFT)
    a = attachments.attachment_add(proposal=p, user=w.member_user, upload=SimpleUploadedFile("a.pdf", PDF))
    client.force_login(w.member_user)
    url = reverse("proposals:attachment_delete", args=[p.pk, a.pk])
    assert client.get(url).status_code == 405
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    assert not Attachment.objects.exists()
    assert stored(media) == []


def test_download_after_logout_redirects_to_login(pw, client):
    w = pw.world
    p = pw.bring_to(State.DRAFT)
    a = attachments.attachment_add(proposal=p, user=w.member_user, upload=SimpleUploadedFile("a.pdf", PDF))
    client.force_login(w.member_user)
    client.logout()
    response = client.get(download_url(a))
    assert response.status_code == 302
    assert "login" in response.url


def test_sanitize_name():
    assert attachments.sanitize_name("C:\\Users\\a\\报告.pdf") == "报告.pdf"
    long = "长" * 300 + ".pdf"
    assert len(attachments.sanitize_name(long)) == 200
    assert attachments.sanitize_name(long).endswith(".pdf")


def test_sweep_deletes_files_of_rolled_back_uploads_and_keeps_the_rest(pw, media):
    import os
    import time

    from django.core.management import call_command
    from django.db import transaction

    from zhengxie.proposals.orphans import orphan_files

    w = pw.world
    p = pw.bring_to(State.DRAFT)
    kept = attachments.attachment_add(proposal=p, user=w.member_user, upload=SimpleUploadedFile("a.pdf", PDF))
    # The upload's own transaction succeeded but the request around it failed afterwards: the row is gone,
    # the file stays (as after a worker killed between the file write and the commit).
    with pytest.raises(RuntimeError), transaction.atomic():
        attachments.attachment_add(proposal=p, user=w.member_user, upload=SimpleUploadedFile("b.pdf", PDF))
        raise RuntimeError
    assert len(stored(media)) == 2
    assert orphan_files() == []  # younger than an upload in flight: left alone
    old = time.time() - 2 * 3600
    for path in stored(media):
        os.utime(path, (old, old))
    orphans = orphan_files()
    assert len(orphans) == 1 and orphans[0] != kept.file.name
    call_command("sweep_tasks", verbosity=0)
    assert [path.relative_to(media).as_posix() for path in stored(media)] == [kept.file.name]
    assert Attachment.objects.get().file.read() == PDF
