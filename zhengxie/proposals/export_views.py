"""Downloads: a proposal and a reply letter as Word, the 提案汇总表 ledger as Excel.

Every download starts from queries.proposals_visible_to / access_proposal (404 outside it), is audited
(action "export"), and is sent as an attachment with an RFC 5987 UTF-8 file name and nosniff.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from zhengxie.accounts import access
from zhengxie.accounts.audit import audit_log
from zhengxie.accounts.models import Role
from zhengxie.org.models import Committee
from zhengxie.proposals import documents
from zhengxie.proposals.models import Assignment, CoSigner, Proposal, Reply, State
from zhengxie.proposals.queries import access_proposal, filter_proposals, proposals_visible_to

LEDGER_ROLES = frozenset({Role.OFFICE, Role.LEADER})
MAX_QUERY_CHARS = 50


def _attachment(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _safe_filename(text: str, limit: int = 60) -> str:
    """Characters that are unsafe in file names on Windows or macOS become full-width look-alikes."""
    table = str.maketrans(
        {"/": "／", "\\": "＼", ":": "：", "*": "＊", "?": "？", '"': "＂", "<": "＜", ">": "＞", "|": "｜"}
    )
    cleaned = documents.clean_text(text).translate(table).replace("\n", " ").replace("\r", " ").strip()
    return cleaned[:limit] or "提案"


def with_document_relations(queryset: QuerySet[Proposal]) -> QuerySet[Proposal]:
    """Everything the documents read, in a fixed number of queries whatever the number of proposals."""
    return queryset.select_related(
        "committee", "session__term", "author", "party", "sector", "special_committee"
    ).prefetch_related(
        Prefetch("cosigners", queryset=CoSigner.objects.select_related("member").order_by("id")),
        Prefetch("assignments", queryset=Assignment.objects.select_related("unit").order_by("id")),
        Prefetch("replies", queryset=Reply.objects.order_by("id")),
        "feedback",
    )


@login_required
@require_GET
def proposal_docx(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = access_proposal(request.user, proposal_id)  # type: ignore[arg-type]
    proposal = with_document_relations(Proposal.objects.filter(pk=proposal.pk)).get()
    data = documents.proposal_docx(proposal)
    audit_log(action="export", obj=proposal, result="导出提案（Word）")
    number = f"第{proposal.number:04d}号" if proposal.number is not None else "未编号"
    filename = f"提案{number}_{_safe_filename(proposal.title)}.docx"
    return _attachment(data, filename, documents.DOCX_CONTENT_TYPE)


@login_required
@require_GET
def reply_docx(request: HttpRequest, proposal_id: int, reply_id: int) -> HttpResponse:
    proposal = access_proposal(request.user, proposal_id)  # type: ignore[arg-type]
    reply = get_object_or_404(
        Reply.objects.select_related(
            "unit", "proposal__committee", "proposal__session__term", "proposal__author", "proposal__party"
        ),
        pk=reply_id,
        proposal_id=proposal.pk,
    )
    data = documents.reply_docx(reply)
    audit_log(action="export", obj=reply, committee_id=proposal.committee_id, result="导出答复函（Word）")
    filename = (
        f"{_safe_filename(reply.unit.name, 40)}答复函_{_safe_filename(proposal.number_display, 30)}.docx"
    )
    return _attachment(data, filename, documents.DOCX_CONTENT_TYPE)


def _ledger_committee(request: HttpRequest) -> Committee:
    """The `committee` parameter, or the user's first committee where they are office or leader; else 404."""
    user = request.user
    raw = request.GET.get("committee", "")
    if raw:
        if not raw.isdigit():
            raise Http404("参数错误")
        return access.access_committee(user, int(raw), LEDGER_ROLES)  # type: ignore[arg-type]
    allowed = access.committee_ids_with(user, LEDGER_ROLES)  # type: ignore[arg-type]
    if not allowed:
        raise Http404("无权导出提案汇总表")
    return access.access_committee(user, min(allowed), LEDGER_ROLES)  # type: ignore[arg-type]


def ledger_queryset(request: HttpRequest, committee: Committee) -> QuerySet[Proposal]:
    visible = proposals_visible_to(request.user).filter(committee=committee).exclude(state=State.DRAFT)  # type: ignore[arg-type]
    return with_document_relations(filter_proposals(visible, request.GET)).order_by(
        "-session__year", "number", "id"
    )


@login_required
@require_GET
def ledger_xlsx(request: HttpRequest) -> HttpResponse:
    committee = _ledger_committee(request)
    proposals = list(ledger_queryset(request, committee))
    data = documents.ledger_xlsx(proposals, title=f"{committee.name}提案汇总表")
    filters = {
        k: request.GET[k][:MAX_QUERY_CHARS]
        for k in ("state", "category", "year", "q", "key")
        if request.GET.get(k)
    }
    audit_log(
        action="export",
        committee_id=committee.pk,
        after={"count": len(proposals), "filters": filters},
        result=f"导出提案汇总表（{len(proposals)}件）",
    )
    filename = f"{_safe_filename(committee.name, 40)}提案汇总表{timezone.localdate():%Y%m%d}.xlsx"
    return _attachment(data, filename, documents.XLSX_CONTENT_TYPE)
