"""附件: files attached to a proposal by its proposer while it is a draft.

Every check (who, state, count, size, extension against magic bytes, zip-bomb guard) runs before anything
is written; the file is stored under a random name inside the transaction, and removed again if the
database write fails.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from zhengxie.accounts.models import User
from zhengxie.proposals import workflow
from zhengxie.proposals.models import Attachment, Proposal, State
from zhengxie.proposals.services import ProposalError

MAX_ATTACHMENTS = 5
MAX_NAME = 200
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_ZIP_ENTRIES = 1000
ALLOWED = ("pdf", "doc", "docx", "xls", "xlsx", "jpg", "jpeg", "png", "txt")
ALLOWED_TEXT = "PDF、Word（doc/docx）、Excel（xls/xlsx）、图片（jpg/png）、文本（txt）"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAGIC = {
    "pdf": b"%PDF-",
    "doc": OLE_MAGIC,
    "xls": OLE_MAGIC,
    "docx": ZIP_MAGIC,
    "xlsx": ZIP_MAGIC,
    "jpg": b"\xff\xd8\xff",
    "jpeg": b"\xff\xd8\xff",
    "png": b"\x89PNG",
}
ZIP_MAIN_PART = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "txt": "text/plain",
}


def sanitize_name(name: str) -> str:
    """The last path part, without control or format characters, at most 200 characters (keeping the
    extension)."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().strip(".").strip()
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_NAME - len(ext) - 1] + dot + ext) if dot and len(ext) < 10 else name[:MAX_NAME]
    return name


def _check_zip(data: bytes, ext: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise ProposalError("文件已损坏或与扩展名不符，请检查后重新上传") from exc
    if len(entries) > MAX_ZIP_ENTRIES:
        raise ProposalError("文件结构异常（包含的部件过多），已拒绝上传")
    if sum(info.file_size for info in entries) >= MAX_UNCOMPRESSED_BYTES:
        raise ProposalError("文件解压后过大（超过50 MB），疑似异常文件，已拒绝上传")
    if ZIP_MAIN_PART[ext] not in {info.filename for info in entries}:
        raise ProposalError("文件内容与扩展名不符，请检查后重新上传")
    # The declared sizes bound the work (zipfile inflates no entry beyond them), but a file that lies
    # about them would still reach whoever opens it: inflate every entry once and let the CRC decide.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in entries:
                with archive.open(info) as part:
                    while part.read(1 << 20):
                        pass
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError) as exc:
        raise ProposalError("文件已损坏或与扩展名不符，请检查后重新上传") from exc


def check_content(data: bytes, ext: str) -> None:
    """Raise ProposalError unless the bytes really are a file of type `ext`."""
    if ext == "txt":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProposalError("文本文件须为UTF-8编码") from exc
        if "\x00" in text:
            raise ProposalError("文本文件内容异常，已拒绝上传")
        head = text.lstrip("\ufeff \t\r\n").lower()
        if head.startswith(("<!doctype", "<html", "<svg", "<?xml", "<script")):
            raise ProposalError("不支持网页或SVG内容，已拒绝上传")
        return
    if not data.startswith(MAGIC[ext]):
        raise ProposalError("文件内容与扩展名不符，请检查后重新上传")
    if ext in ZIP_MAIN_PART:
        _check_zip(data, ext)


def _read(upload: Any, limit: int) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ProposalError(f"文件过大：每个附件不能超过{limit // (1024 * 1024)} MB")
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ProposalError(f"文件过大：每个附件不能超过{limit // (1024 * 1024)} MB")
    return data


def _require_draft_proposer(proposal: Proposal, user: User) -> None:
    if not workflow.is_proposer(user, proposal):
        raise ProposalError("只有提案人可以管理附件")
    if proposal.state != State.DRAFT:
        raise ProposalError("提案已提交，不能再修改附件")


def attachment_add(*, proposal: Proposal, user: User, upload: Any) -> Attachment:
    if upload is None:
        raise ProposalError("请选择要上传的文件")
    name = sanitize_name(getattr(upload, "name", "") or "")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED:
        raise ProposalError(f"不支持此类型的文件，只能上传{ALLOWED_TEXT}")
    limit = settings.UPLOAD_MAX_BYTES
    data = _read(upload, limit)
    if not data:
        raise ProposalError("文件为空，请重新选择")
    check_content(data, ext)
    with transaction.atomic():
        locked = Proposal.objects.select_for_update(no_key=True).get(pk=proposal.pk)
        _require_draft_proposer(locked, user)
        if Attachment.objects.filter(proposal=locked).count() >= MAX_ATTACHMENTS:
            raise ProposalError(f"每件提案最多上传{MAX_ATTACHMENTS}个附件")
        attachment = Attachment(
            proposal=locked,
            committee_id=locked.committee_id,
            original_name=name,
            size=len(data),
            content_type=CONTENT_TYPES[ext],
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by=user,
        )
        attachment.file.save(f"upload.{ext}", ContentFile(data), save=False)
        stored = attachment.file.name
        try:
            attachment.save()  # audited by the save signal (one row, with the name and size)
        except Exception:
            attachment.file.storage.delete(stored)
            raise
    return attachment


def attachment_remove(*, attachment: Attachment, user: User) -> None:
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update(no_key=True).get(pk=attachment.proposal_id)
        _require_draft_proposer(proposal, user)
        stored = attachment.file.name
        storage = attachment.file.storage
        attachment.delete()  # audited by the delete signal
        transaction.on_commit(lambda: storage.delete(stored))
