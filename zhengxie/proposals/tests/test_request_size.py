"""A body larger than REQUEST_MAX_BYTES is refused before anything reads it, and changes nothing."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from zhengxie.proposals.models import Attachment, Proposal

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def draft(pw):  # type: ignore[no-untyped-def]
    from zhengxie.proposals.models import State

    return pw.bring_to(State.DRAFT)


def test_an_oversized_upload_gets_a_chinese_413_and_stores_nothing(client, world, draft, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.REQUEST_MAX_BYTES = 4096
    client.force_login(world.member_user)
    url = reverse("proposals:attachment_upload", args=[draft.pk])
    big = SimpleUploadedFile("a.pdf", PDF + b"0" * 8192)
    response = client.post(url, {"file": big})
    assert response.status_code == 413
    assert "提交的内容过大" in response.content.decode()
    assert response["Connection"] == "close"
    assert Attachment.objects.count() == 0
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]

    small = SimpleUploadedFile("a.pdf", PDF)
    assert client.post(url, {"file": small}).status_code in (200, 302)
    assert Attachment.objects.count() == 1


def test_an_oversized_api_body_gets_json_413(client, world, settings):
    settings.REQUEST_MAX_BYTES = 1024
    before = Proposal.objects.count()
    client.force_login(world.member_user)
    response = client.post(
        "/api/v1/proposals", data=json.dumps({"title": "x" * 5000}), content_type="application/json"
    )
    assert response.status_code == 413
    assert "提交的内容过大" in response.json()["detail"]
    assert Proposal.objects.count() == before


def test_the_default_cap_leaves_room_for_the_largest_upload(settings):
    from django.conf import settings as live

    assert live.REQUEST_MAX_BYTES > live.UPLOAD_MAX_BYTES
