"""附件 pages: upload and delete (the proposer, while a draft), download (anyone who can see the proposal).

Downloads are always sent as attachments, as application/octet-stream with nosniff, never inline, and
are audited (action "export")."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from zhengxie.accounts.audit import audit_log
from zhengxie.proposals import attachments
from zhengxie.proposals.models import Attachment
from zhengxie.proposals.queries import access_proposal
from zhengxie.proposals.services import ProposalError


@login_required
@require_POST
def attachment_upload(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = access_proposal(request.user, proposal_id)  # type: ignore[arg-type]
    try:
        attachment = attachments.attachment_add(
            proposal=proposal,
            user=request.user,  # type: ignore[arg-type]
            upload=request.FILES.get("file"),
        )
    except ProposalError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已上传附件：{attachment.original_name}")
    return redirect("proposals:detail", proposal.pk)


@login_required
@require_GET
def attachment_download(request: HttpRequest, proposal_id: int, attachment_id: int) -> HttpResponse:
    proposal = access_proposal(request.user, proposal_id)  # type: ignore[arg-type]
    attachment = get_object_or_404(Attachment, pk=attachment_id, proposal_id=proposal.pk)
    handle = attachment.file.open("rb")
    audit_log(action="export", obj=attachment, result=f"下载附件：{attachment.original_name}")
    response = FileResponse(handle, content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Length"] = str(attachment.size)
    return response


@login_required
@require_POST
def attachment_delete(request: HttpRequest, proposal_id: int, attachment_id: int) -> HttpResponse:
    proposal = access_proposal(request.user, proposal_id)  # type: ignore[arg-type]
    attachment = get_object_or_404(Attachment, pk=attachment_id, proposal_id=proposal.pk)
    try:
        attachments.attachment_remove(attachment=attachment, user=request.user)  # type: ignore[arg-type]
    except ProposalError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已删除附件：{attachment.original_name}")
    return redirect("proposals:detail", proposal.pk)
