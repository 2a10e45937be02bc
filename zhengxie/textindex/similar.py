"""Similar and duplicate proposals as people see them: while a member drafts, and when the office reviews.

The engine (dedup.find_similar) ranks proposals of the given committees; this module keeps only what the person
may read (proposals.queries.proposals_visible_to, the same rule as every proposal page), adds each proposal's
fate ("2023年提出，由市交通运输局主办，B类答复"), and logs what was shown and what the person then did in
textindex.Suggestion. A suggestion never acts by itself: co-signing and merging go through the proposal
services when the person asks for them.

Committees searched: the drafting or reviewing committee, the committees above it and every committee below it;
proposals of another committee are labelled with its name and never offered for merging.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from zhengxie.accounts.models import User
from zhengxie.org.models import Committee
from zhengxie.proposals import queries, services, workflow
from zhengxie.proposals.models import Assignment, CoSigner, Proposal, Reply, State
from zhengxie.textindex.models import Suggestion

SHOWN = 5  # suggestions in the drafting panel: enough to recognise one's subject, short on a phone
CANDIDATES = 8  # duplicate candidates at review
MIN_CHARS = 6  # fewer characters of title and text say nothing to compare
# Proposals still being dealt with: a member who raises the same point joins them rather than adding one.
OPEN_STATES = frozenset(
    {State.SUBMITTED, State.FILED, State.ASSIGNED, State.RETURNED, State.REPLIED, State.REHANDLING}
)
# cosigner_respond accepts an invitation only while the proposal is a draft or awaits review.
COSIGN_STATES = frozenset({State.DRAFT, State.SUBMITTED})
ENGINE = "dedup"


class SimilarError(workflow.TransitionError):
    pass


@dataclass
class Card:
    """One similar proposal as the panel shows it."""

    proposal: Proposal
    score: float
    likely_duplicate: bool
    fate: str
    lead_units: list[str]
    result: str
    other_committee: bool
    is_open: bool
    # what the person may do: "cosign" (confirm their invitation), "mine" (they already are on it), "" (read)
    offer: str = ""
    mergeable: bool = False

    def as_logged(self) -> dict[str, Any]:
        return {
            "value": self.proposal.pk,
            "label": self.proposal.title,
            "score": round(self.score, 4),
            "likely_duplicate": self.likely_duplicate,
            "committee": self.proposal.committee_id,
        }


def family_ids(committee: Committee) -> list[int]:
    """The committee, the committees above it and every committee below it."""
    below = Committee.objects.filter(path__startswith=committee.path).values_list("pk", flat=True)
    return sorted({*committee.ancestors_ids(), *below})


def _engine() -> Any:
    from zhengxie.textindex import dedup

    return dedup


def _model_version() -> str:
    engine = _engine()
    return str(getattr(engine, "VERSION", getattr(engine, "MODEL_VERSION", ENGINE)))[:60]


def matches(
    committee: Committee, title: str, body: str, *, limit: int, exclude_ids: Iterable[int] = ()
) -> list[Any]:
    return list(
        _engine().find_similar(
            family_ids(committee), title, body, limit=limit, exclude_ids=tuple(exclude_ids)
        )
    )


def cards(user: User, found: list[Any], *, home: Committee, limit: int) -> list[Card]:
    """The matches the user may read, best first, with their fate: three queries whatever their number."""
    ids = [m.proposal_id for m in found]
    readable = {
        p.pk: p
        for p in queries.proposals_visible_to(user)
        .filter(pk__in=ids)
        .select_related("merged_into__session__term")
    }
    kept = [m for m in found if m.proposal_id in readable][:limit]
    kept_ids = [m.proposal_id for m in kept]
    leads: dict[int, list[str]] = defaultdict(list)
    for pid, name in (
        Assignment.objects.filter(
            proposal_id__in=kept_ids,
            role=Assignment.Role.LEAD,
            status__in=[Assignment.Status.ACTIVE, Assignment.Status.DONE],
        )
        .order_by("assigned_at", "id")
        .values_list("proposal_id", "unit__name")
    ):
        if name not in leads[pid]:
            leads[pid].append(name)
    results: dict[int, str] = {}
    for pid, result in (
        Reply.objects.filter(proposal_id__in=kept_ids, role=Assignment.Role.LEAD)
        .exclude(result="")
        .order_by("replied_at", "id")
        .values_list("proposal_id", "result")
    ):
        results[pid] = result  # the latest round's answer
    invited = set(
        CoSigner.objects.filter(
            proposal_id__in=kept_ids, member__user_id=user.pk, status=CoSigner.Status.INVITED
        ).values_list("proposal_id", flat=True)
    )
    out = []
    for m in kept:
        p = readable[m.proposal_id]
        offer = ""
        if p.pk in invited and p.state in COSIGN_STATES:
            offer = "cosign"
        elif workflow.is_proposer(user, p):
            offer = "mine"
        out.append(
            Card(
                proposal=p,
                score=float(m.score),
                likely_duplicate=bool(m.likely_duplicate),
                fate=fate(p, leads.get(p.pk, []), results.get(p.pk, "")),
                lead_units=leads.get(p.pk, []),
                result=results.get(p.pk, ""),
                other_committee=p.committee_id != home.pk,
                is_open=p.state in OPEN_STATES,
                offer=offer,
            )
        )
    return out


def fate(proposal: Proposal, lead_units: list[str], result: str) -> str:
    """What became of a proposal, in one line: 2023年提出，由市交通运输局主办，B类答复."""
    parts = [f"{proposal.session.year}年提出"]
    if lead_units:
        parts.append(f"由{'、'.join(lead_units)}主办")
    if result:
        parts.append(f"{result}类答复")
    state = proposal.state
    if state == State.MERGED and proposal.merged_into_id:
        parts.append(f"已并入{proposal.merged_into.number_display}")  # type: ignore[union-attr]
    elif not (result and state == State.REPLIED):  # "B类答复" already says it was answered
        parts.append(proposal.get_state_display())
    return "，".join(parts)


# --------------------------------------------------------------------------- the log


def _merge_shown(log: Suggestion, shown: list[Card]) -> bool:
    """Adds newly shown proposals to the log row (each with its best score); True if anything was new."""
    rows = {row["value"]: row for row in log.suggested}
    changed = False
    for card in shown:
        row = card.as_logged()
        old = rows.get(row["value"])
        if old is None or old["score"] < row["score"]:
            rows[row["value"]] = row
            changed = True
    if changed:
        log.suggested = sorted(rows.values(), key=lambda r: -r["score"])
    return changed


def _pending_log(user: User, log_id: Any, **match: Any) -> Suggestion | None:
    if not str(log_id or "").isdigit():
        return None
    return (
        Suggestion.objects.select_for_update(no_key=True)
        .filter(pk=int(log_id), user=user, outcome=Suggestion.Outcome.PENDING, **match)
        .first()
    )


@transaction.atomic
def log_shown(
    *,
    user: User,
    committee: Committee,
    kind: str,
    shown: list[Card],
    log_id: Any = None,
    proposal: Proposal | None = None,
) -> Suggestion | None:
    """One log row per drafting session (the panel sends its row's id back) or per reviewed proposal,
    growing with every proposal shown; nothing is logged while nothing is shown."""
    match: dict[str, Any] = {"kind": kind, "committee": committee}
    if kind == Suggestion.Kind.DUPLICATE:
        log = (
            Suggestion.objects.select_for_update(no_key=True)
            .filter(proposal=proposal, outcome=Suggestion.Outcome.PENDING, **match)
            .order_by("-id")
            .first()
        )
    else:
        log = _pending_log(user, log_id, proposal__isnull=True, **match)
    if log is None:
        if not shown:
            return None
        log = Suggestion(user=user, proposal=proposal, model_version=_model_version(), suggested=[], **match)
        _merge_shown(log, shown)
        log.save()
        return log
    if _merge_shown(log, shown):
        log.save(update_fields=["suggested"])
    return log


def _decide(
    log: Suggestion | None, outcome: str, chosen: dict[str, Any], proposal: Proposal | None = None
) -> None:
    if log is None:
        return
    log.outcome = outcome
    log.chosen = chosen
    log.decided_at = timezone.now()
    fields = ["outcome", "chosen", "decided_at"]
    if proposal is not None and log.proposal_id is None:
        log.proposal = proposal
        fields.append("proposal")
    log.save(update_fields=fields)


# --------------------------------------------------------------------------- drafting


def draft_suggestions(
    user: User, *, home: Committee, title: str, body: str, log_id: Any = None
) -> tuple[list[Card], Suggestion | None]:
    """Similar proposals for a draft in progress, and the drafting session's log row."""
    title, body = (title or "").strip()[: services.MAX_TITLE], (body or "").strip()[: services.MAX_TEXT]
    if len(title) + len(body) < MIN_CHARS:
        return [], None
    found = matches(home, title, body, limit=SHOWN * 4)
    shown = cards(user, found, home=home, limit=SHOWN)
    log = log_shown(user=user, committee=home, kind=Suggestion.Kind.SIMILAR, shown=shown, log_id=log_id)
    return shown, log


@transaction.atomic
def cosign_from_suggestion(*, user: User, proposal: Proposal, log_id: Any = None) -> CoSigner:
    """The member joins a similar proposal instead of drafting their own: their invitation to co-sign it is
    confirmed through the proposal service (the only way the rules let a member onto someone's proposal)."""
    row = services.cosigner_respond(proposal=proposal, user=user, confirm=True)
    log = _pending_log(user, log_id, kind=Suggestion.Kind.SIMILAR, proposal__isnull=True)
    _decide(log, Suggestion.Outcome.ACCEPTED, {"action": "cosign", "proposal": proposal.pk})
    return row


def record_draft_saved(*, user: User, log_id: Any, proposal: Proposal) -> None:
    """The member saw similar proposals and went on with their own draft."""
    with transaction.atomic():
        log = _pending_log(user, log_id, kind=Suggestion.Kind.SIMILAR, proposal__isnull=True)
        _decide(log, Suggestion.Outcome.OVERRIDDEN, {"action": "draft", "proposal": proposal.pk}, proposal)


# --------------------------------------------------------------------------- review


def duplicate_candidates(user: User, proposal: Proposal) -> tuple[list[Card], Suggestion | None]:
    """Earlier or parallel proposals that may say the same as this submitted one; those of its own committee
    still open for it can take it in (并案)."""
    body = f"{proposal.background}\n{proposal.suggestions}"
    found = matches(proposal.committee, proposal.title, body, limit=CANDIDATES * 3, exclude_ids=[proposal.pk])
    shown = cards(user, found, home=proposal.committee, limit=CANDIDATES)
    for card in shown:
        card.mergeable = can_merge_into(proposal, card.proposal)
        card.offer = ""
    log = log_shown(
        user=user,
        committee=proposal.committee,
        kind=Suggestion.Kind.DUPLICATE,
        shown=shown,
        proposal=proposal,
    )
    return shown, log


def can_merge_into(proposal: Proposal, into: Proposal) -> bool:
    """The merge service's own conditions, asked before offering the button."""
    return (
        into.pk != proposal.pk
        and into.committee_id == proposal.committee_id
        and into.state not in workflow.TERMINAL
        and into.state != State.DRAFT
    )


@transaction.atomic
def merge_from_candidate(*, user: User, proposal: Proposal, into: Proposal) -> Proposal:
    """并案 confirmed by the office: the merge service does it (and checks the office's right), the log
    records that the candidate was taken."""
    merged = services.review_merge(proposal=proposal, user=user, into=into)
    log = (
        Suggestion.objects.select_for_update(no_key=True)
        .filter(kind=Suggestion.Kind.DUPLICATE, proposal=proposal, outcome=Suggestion.Outcome.PENDING)
        .order_by("-id")
        .first()
    )
    in_list = log is not None and any(row.get("value") == into.pk for row in log.suggested)
    _decide(
        log,
        Suggestion.Outcome.ACCEPTED if in_list else Suggestion.Outcome.OVERRIDDEN,
        {"action": "merge", "into": into.pk, "by": user.pk},
    )
    return merged


@transaction.atomic
def dismiss_candidates(*, user: User, proposal: Proposal) -> Suggestion:
    """The office judged none of the candidates a duplicate."""
    log = (
        Suggestion.objects.select_for_update(no_key=True)
        .filter(kind=Suggestion.Kind.DUPLICATE, proposal=proposal, outcome=Suggestion.Outcome.PENDING)
        .order_by("-id")
        .first()
    )
    if log is None:
        raise SimilarError("没有待处理的疑似重复提示")
    _decide(log, Suggestion.Outcome.OVERRIDDEN, {"action": "dismiss", "by": user.pk})
    return log


def proposals_for_groups(user: User, ids: list[int]) -> dict[int, Proposal]:
    return {p.pk: p for p in queries.proposals_visible_to(user).filter(Q(pk__in=ids))}
