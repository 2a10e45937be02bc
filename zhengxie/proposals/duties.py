"""The duty records a proposal earns its members: submitting (author; confirmed co-signers as 联名), filing,
key and excellent marks. Written in the step's transaction, once per member, kind and proposal."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from zhengxie.duties.models import DutyKind
from zhengxie.duties.services import record_duties
from zhengxie.proposals.models import CoSigner, Proposal

LABELS = {
    DutyKind.PROPOSAL: "提交提案",
    DutyKind.PROPOSAL_COSIGN: "联名提案",
    DutyKind.PROPOSAL_FILED: "提案立案",
    DutyKind.PROPOSAL_KEY: "提案列为重点提案",
    DutyKind.PROPOSAL_EXCELLENT: "提案评为优秀提案",
}


def credit(proposal: Proposal, kind: str) -> None:
    if kind == DutyKind.PROPOSAL_COSIGN:
        members = [
            c.member
            for c in proposal.cosigners.filter(status=CoSigner.Status.CONFIRMED).select_related("member")
        ]
    else:
        members = [proposal.author] if proposal.author_id else []
    if not members:
        return
    record_duties(
        members=members,  # type: ignore[arg-type]
        kind=kind,
        source=proposal,
        title=f"{LABELS[kind]}《{proposal.title}》"[:200],
        occurred_on=timezone.localdate(),
        url=reverse("proposals:detail", args=[proposal.pk]),
    )


def credit_submission(proposal: Proposal) -> None:
    credit(proposal, DutyKind.PROPOSAL)
    credit(proposal, DutyKind.PROPOSAL_COSIGN)
