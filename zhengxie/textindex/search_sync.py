"""Keeps the search index in step with the records: every save or delete of a record, or of what decides
who may read it (co-signers, assignments, authors, participants), rewrites the record's search documents
in the same transaction, so a committed change is searchable at once and a rolled-back one never was.
Imported once from TextIndexConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from zhengxie.consultations.models import Consultation, Outcome, Participant
from zhengxie.grassroots.models import Concern
from zhengxie.opinions.models import OpinionReport
from zhengxie.org.models import Member
from zhengxie.proposals.models import Assignment, CoSigner, Proposal, Reply
from zhengxie.textindex import search


def _skip(kwargs: dict[str, Any]) -> bool:
    return bool(kwargs.get("raw"))


def _proposal(sender: type, instance: Proposal, **kwargs: Any) -> None:
    if not _skip(kwargs):
        search.reindex("proposal", [instance.pk])


def _proposal_part(sender: type, instance: CoSigner | Assignment | Reply, **kwargs: Any) -> None:
    if not _skip(kwargs):
        search.reindex("proposal", [instance.proposal_id])


def _opinion(sender: type, instance: OpinionReport, **kwargs: Any) -> None:
    if not _skip(kwargs):
        search.reindex("opinion", [instance.pk])


def _opinion_authors(
    sender: type, instance: Any, action: str, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if not action.startswith("post_"):
        return
    if isinstance(instance, OpinionReport):
        search.reindex("opinion", [instance.pk])
    elif pk_set:  # changed from the member's side
        search.reindex("opinion", pk_set)


def _outcome(sender: type, instance: Outcome, **kwargs: Any) -> None:
    if not _skip(kwargs):
        search.reindex("outcome", [instance.pk])


def _consultation(sender: type, instance: Consultation, **kwargs: Any) -> None:
    if not _skip(kwargs):
        search.reindex(
            "outcome", Outcome.objects.filter(consultation_id=instance.pk).values_list("pk", flat=True)
        )


def _participant(sender: type, instance: Participant, **kwargs: Any) -> None:
    if not _skip(kwargs):
        search.reindex(
            "outcome",
            Outcome.objects.filter(consultation_id=instance.consultation_id).values_list("pk", flat=True),
        )


def _concern(sender: type, instance: Concern, **kwargs: Any) -> None:
    if not _skip(kwargs):
        search.reindex("concern", [instance.pk])


def _member(sender: type, instance: Member, **kwargs: Any) -> None:
    """A member's login decides who reads what they wrote or co-signed, and their sector files it."""
    if _skip(kwargs) or kwargs.get("created"):
        return
    proposals = set(Proposal.objects.filter(author_id=instance.pk).values_list("pk", flat=True))
    proposals |= set(CoSigner.objects.filter(member_id=instance.pk).values_list("proposal_id", flat=True))
    search.reindex("proposal", proposals)
    search.reindex("opinion", instance.opinion_reports.values_list("pk", flat=True))
    search.reindex("concern", Concern.objects.filter(taken_by_id=instance.pk).values_list("pk", flat=True))
    search.reindex(
        "outcome",
        Outcome.objects.filter(consultation__participants__member_id=instance.pk).values_list(
            "pk", flat=True
        ),
    )


UID = "textindex.search."
for model, handler in (
    (Proposal, _proposal),
    (CoSigner, _proposal_part),
    (Assignment, _proposal_part),
    (Reply, _proposal_part),
    (OpinionReport, _opinion),
    (Outcome, _outcome),
    (Consultation, _consultation),
    (Participant, _participant),
    (Concern, _concern),
):
    post_save.connect(handler, sender=model, dispatch_uid=f"{UID}save.{model.__name__}")
    post_delete.connect(handler, sender=model, dispatch_uid=f"{UID}delete.{model.__name__}")
post_save.connect(_member, sender=Member, dispatch_uid=f"{UID}save.Member")
m2m_changed.connect(_opinion_authors, sender=OpinionReport.authors.through, dispatch_uid=f"{UID}m2m.authors")
