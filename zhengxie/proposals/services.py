"""Proposal services: each one validates, checks the actor, changes state through workflow.transition
and leaves its rows; errors are ProposalError with a Chinese message and change nothing."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from zhengxie.accounts import access
from zhengxie.accounts.models import Role, User
from zhengxie.duties.models import DutyKind
from zhengxie.org.models import Committee, HandlingUnit, Member, Party, Sector, Session, SpecialCommittee
from zhengxie.proposals import duties, notify, workflow
from zhengxie.proposals.models import (
    Assignment,
    Contact,
    CoSigner,
    Feedback,
    Proposal,
    Reply,
    State,
    Supervision,
)
from zhengxie.text import clean_text

HANDLING_DAYS = 91  # 交办之日起三个月内办复
MAX_TITLE = 200
MAX_TEXT = 20000


class ProposalError(workflow.TransitionError):
    pass


def _require_office(user: User, committee_id: int) -> None:
    if not access.has_role(user, committee_id, {Role.OFFICE}):
        raise ProposalError("您无权执行此操作")


def _clean_text(value: str, label: str, limit: int, required: bool = True) -> str:
    return clean_text(value, label, limit, required=required, error=ProposalError)


def proposal_draft_create(
    *,
    user: User,
    author: Member,
    session: Session,
    title: str,
    background: str,
    suggestions: str,
    category: str = "other",
    kind: str = Proposal.Kind.INDIVIDUAL,
    proposer_kind: str = Proposal.ProposerKind.MEMBER,
    party_id: int | None = None,
    sector_id: int | None = None,
    special_committee_id: int | None = None,
    client_token: str = "",
) -> Proposal:
    """A new draft. A repeated request with the same client_token (a phone that saved again after its
    page timed out, a double tap) returns the draft the first one made instead of a second draft."""
    if author.user_id != user.pk:
        raise ProposalError("只能以本人名义起草提案")
    client_token = (client_token or "")[:64]
    if client_token:
        earlier = Proposal.objects.filter(created_by=user, client_token=client_token).first()
        if earlier is not None:
            return earlier
    if session.committee_id != author.committee_id:
        raise ProposalError("会议不属于本政协")
    proposer_kind = _proposer_kind(
        author=author,
        kind=kind,
        party_id=party_id,
        sector_id=sector_id,
        special_committee_id=special_committee_id,
    )
    fields = dict(
        committee_id=author.committee_id,
        session=session,
        title=_clean_text(title, "案由", MAX_TITLE),
        background=_clean_text(background, "案据", MAX_TEXT),
        suggestions=_clean_text(suggestions, "建议", MAX_TEXT),
        category=category,
        kind=kind,
        proposer_kind=proposer_kind,
        author=author,
        party_id=party_id,
        sector_id=sector_id,
        special_committee_id=special_committee_id,
        created_by=user,
        client_token=client_token,
    )
    if not client_token:
        return Proposal.objects.create(**fields)
    try:
        with transaction.atomic():
            return Proposal.objects.create(**fields)
    except IntegrityError:
        # A copy of this request committed the same token while we waited on the unique index.
        earlier = Proposal.objects.filter(created_by=user, client_token=client_token).first()
        if earlier is None:
            raise
        return earlier


def _proposer_kind(
    *,
    author: Member,
    kind: str,
    party_id: int | None,
    sector_id: int | None,
    special_committee_id: int | None,
) -> str:
    """集体提案: exactly one party, sector or special committee of the author's committee, which the
    author belongs to (the author is its contact person, 联系人). 个人提案 carries none of them."""
    given = [x for x in (party_id, sector_id, special_committee_id) if x is not None]
    if kind == Proposal.Kind.INDIVIDUAL:
        if given:
            raise ProposalError("个人提案不能指定党派团体、界别或专门委员会")
        return Proposal.ProposerKind.MEMBER
    if kind != Proposal.Kind.COLLECTIVE:
        raise ProposalError("提案类型无效")
    if len(given) != 1:
        raise ProposalError("集体提案须指定一个党派团体、界别或专门委员会")
    committee_id = author.committee_id
    if party_id is not None:
        if not Party.objects.filter(pk=party_id, committee_id=committee_id).exists():
            raise ProposalError("党派团体不属于本政协")
        if author.party_id != party_id:
            raise ProposalError("您不是该党派团体的成员，不能代为提交")
        return Proposal.ProposerKind.PARTY
    if sector_id is not None:
        if not Sector.objects.filter(pk=sector_id, committee_id=committee_id).exists():
            raise ProposalError("界别不属于本政协")
        if author.sector_id != sector_id:
            raise ProposalError("您不是该界别的委员，不能代为提交")
        return Proposal.ProposerKind.SECTOR
    if not SpecialCommittee.objects.filter(pk=special_committee_id, committee_id=committee_id).exists():
        raise ProposalError("专门委员会不属于本政协")
    if not author.special_committees.filter(pk=special_committee_id).exists():
        raise ProposalError("您不是该专门委员会的成员，不能代为提交")
    return Proposal.ProposerKind.SPECIAL_COMMITTEE


@transaction.atomic
def cosigner_invite(*, proposal: Proposal, user: User, members: list[Member]) -> list[CoSigner]:
    if not workflow.is_proposer(user, proposal) or proposal.state != State.DRAFT:
        raise ProposalError("只有提案人可在草稿阶段邀请联名")
    created = []
    for member in members:
        if member.committee_id != proposal.committee_id:
            raise ProposalError(f"{member.name}不是本政协委员")
        if member.pk == proposal.author_id:
            raise ProposalError("不能邀请本人联名")
        row, made = CoSigner.objects.get_or_create(proposal=proposal, member=member)
        if made:
            created.append(row)
    notify.cosign_invited(proposal, created)
    return created


@transaction.atomic
def cosigner_respond(*, proposal: Proposal, user: User, confirm: bool) -> CoSigner:
    row = (
        CoSigner.objects.select_for_update(no_key=True)
        .filter(proposal=proposal, member__user=user, status=CoSigner.Status.INVITED)
        .first()
    )
    if row is None:
        raise ProposalError("没有待确认的联名邀请")
    if proposal.state not in (State.DRAFT, State.SUBMITTED):
        raise ProposalError("提案已进入审查，不能再确认联名")
    row.status = CoSigner.Status.CONFIRMED if confirm else CoSigner.Status.DECLINED
    row.responded_at = timezone.now()
    row.save(update_fields=["status", "responded_at"])
    return row


def proposal_submit(*, proposal: Proposal, user: User, client_token: str = "") -> Proposal:
    """Numbers the proposal within its session (十四届二次会议第0001号). The session row is locked
    while the next number is taken, so concurrent submissions never share a number. A repeated
    request with the same client_token returns the already-submitted proposal."""
    if client_token:
        earlier = (
            Proposal.objects.filter(created_by=user, client_token=client_token)
            .exclude(pk=proposal.pk)
            .first()
        )
        if earlier is not None:
            return earlier
        if proposal.client_token == client_token and proposal.state != State.DRAFT:
            return proposal
    with transaction.atomic():
        session = Session.objects.select_for_update(no_key=True).get(pk=proposal.session_id)
        if client_token:
            # A copy of this request that raced us to the lock has already submitted it: answer as a retry would.
            current = Proposal.objects.filter(pk=proposal.pk).values_list("state", "client_token").first()
            if current is not None and current[0] != State.DRAFT and current[1] == client_token:
                return Proposal.objects.get(pk=proposal.pk)
        if not session.proposals_open:
            raise ProposalError("本次会议已停止接收提案")
        today = timezone.localdate()
        during_session = bool(
            session.opens_on and session.closes_on and session.opens_on <= today <= session.closes_on
        )
        next_number = (
            Proposal.objects.filter(session_id=proposal.session_id).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        try:
            proposal = workflow.transition(
                proposal=proposal,
                action="submit",
                user=user,
                update_fields={
                    "number": next_number,
                    "submitted_at": timezone.now(),
                    "client_token": client_token,
                    "during_session": during_session,
                },
            )
        except IntegrityError as exc:
            raise workflow.ConcurrentChange("提交冲突，请重试") from exc
        duties.credit_submission(proposal)
        notify.submitted(proposal)
        return proposal


@transaction.atomic
def proposal_withdraw(*, proposal: Proposal, user: User, reason: str = "") -> Proposal:
    return workflow.transition(proposal=proposal, action="withdraw", user=user, reason=reason[:500])


@transaction.atomic
def review_file(*, proposal: Proposal, user: User, category: str | None = None) -> Proposal:
    fields: dict[str, object] = {"reviewed_at": timezone.now()}
    if category:
        fields["category"] = category
    proposal = workflow.transition(proposal=proposal, action="file", user=user, update_fields=fields)
    from zhengxie.textindex import routing  # the machine's suggestion, if one was shown, learns the choice

    routing.record_category(proposal=proposal, user=user, category=proposal.category)
    duties.credit(proposal, DutyKind.PROPOSAL_FILED)
    notify.filed(proposal)
    return proposal


@transaction.atomic
def review_not_file(*, proposal: Proposal, user: User, reason: str, conversion: str = "") -> Proposal:
    reason = _clean_text(reason, "不立案理由", 500)
    if conversion not in {c.value for c in Proposal.Conversion}:
        raise ProposalError("转办方式无效")
    proposal = workflow.transition(
        proposal=proposal,
        action="not_file",
        user=user,
        reason=reason,
        update_fields={"reviewed_at": timezone.now(), "not_filed_reason": reason, "conversion": conversion},
    )
    notify.not_filed(proposal)
    return proposal


@transaction.atomic
def review_merge(*, proposal: Proposal, user: User, into: Proposal) -> Proposal:
    """并案: the merged proposal's authors keep their credit through merged_into."""
    if into.committee_id != proposal.committee_id or into.pk == proposal.pk:
        raise ProposalError("只能并入本政协的其他提案")
    if into.state in workflow.TERMINAL or into.state == State.DRAFT:
        raise ProposalError("目标提案状态不能并案")
    proposal = workflow.transition(
        proposal=proposal,
        action="merge",
        user=user,
        reason=f"并入{into.number_display}",
        update_fields={"reviewed_at": timezone.now(), "merged_into": into},
    )
    notify.merged(proposal)
    return proposal


def _check_units(proposal: Proposal, units: list[HandlingUnit]) -> None:
    for unit in units:
        if unit.committee_id != proposal.committee_id or not unit.is_active:
            raise ProposalError(f"承办单位“{unit.name}”不属于本政协")
    if len({u.pk for u in units}) != len(units):
        raise ProposalError("承办单位重复")


def _create_assignments(
    proposal: Proposal,
    lead: HandlingUnit,
    co_units: list[HandlingUnit],
    deadline: date,
    split_units: list[HandlingUnit] | None = None,
) -> None:
    """主办 and 会办 units; with 分办, every split unit is a lead answering its own part."""
    leads = [lead, *(split_units or [])]
    rows = [
        Assignment(
            proposal=proposal, committee_id=proposal.committee_id, unit=u, role="lead", deadline=deadline
        )
        for u in leads
    ]
    rows += [
        Assignment(
            proposal=proposal, committee_id=proposal.committee_id, unit=u, role="co", deadline=deadline
        )
        for u in co_units
    ]
    for row in rows:
        row.save()


def _assign(
    *,
    action: str,
    proposal: Proposal,
    user: User,
    lead: HandlingUnit,
    co_units: list[HandlingUnit] | None,
    split_units: list[HandlingUnit] | None,
    deadline: date | None,
) -> Proposal:
    """交办 and 重新交办 differ only in the move they make: the same checks, rows and notices."""
    co_units = co_units or []
    split_units = split_units or []
    _require_office(user, proposal.committee_id)
    _check_units(proposal, [lead, *split_units, *co_units])
    deadline = deadline or (timezone.localdate() + timedelta(days=HANDLING_DAYS))
    if deadline <= timezone.localdate():
        raise ProposalError("办理期限须晚于今天")
    proposal = workflow.transition(
        proposal=proposal, action=action, user=user, update_fields={"deadline": deadline}
    )
    _create_assignments(proposal, lead, co_units, deadline, split_units)
    from zhengxie.textindex import routing  # the machine's suggestion, if one was shown, learns the choice

    routing.record_assignment(proposal=proposal, user=user, lead=lead, co_units=co_units)
    notify.assigned(proposal)
    return proposal


@transaction.atomic
def assignment_create(
    *,
    proposal: Proposal,
    user: User,
    lead: HandlingUnit,
    co_units: list[HandlingUnit] | None = None,
    split_units: list[HandlingUnit] | None = None,
    deadline: date | None = None,
) -> Proposal:
    return _assign(
        action="assign",
        proposal=proposal,
        user=user,
        lead=lead,
        co_units=co_units,
        split_units=split_units,
        deadline=deadline,
    )


@transaction.atomic
def assignment_reassign(
    *,
    proposal: Proposal,
    user: User,
    lead: HandlingUnit,
    co_units: list[HandlingUnit] | None = None,
    split_units: list[HandlingUnit] | None = None,
    deadline: date | None = None,
) -> Proposal:
    return _assign(
        action="reassign",
        proposal=proposal,
        user=user,
        lead=lead,
        co_units=co_units,
        split_units=split_units,
        deadline=deadline,
    )


@transaction.atomic
def assignment_request_return(*, proposal: Proposal, user: User, reason: str) -> Proposal:
    reason = _clean_text(reason, "退回理由", 500)
    proposal = workflow.transition(proposal=proposal, action="request_return", user=user, reason=reason)
    for row in Assignment.objects.filter(proposal=proposal, status=Assignment.Status.ACTIVE):
        row.status = Assignment.Status.RETURNED
        row.return_reason = reason
        row.save(update_fields=["status", "return_reason"])
    notify.return_requested(proposal)
    return proposal


def _active_assignment(proposal: Proposal, user: User) -> Assignment:
    row = (
        Assignment.objects.select_related("unit")
        .filter(proposal=proposal, status=Assignment.Status.ACTIVE, unit_id__in=access.unit_ids_of(user))
        .first()
    )
    if row is None:
        raise ProposalError("本单位没有该提案的办理任务")
    return row


@transaction.atomic
def contact_record(*, proposal: Proposal, user: User, method: str, note: str) -> Contact:
    assignment = _active_assignment(proposal, user)
    return Contact.objects.create(
        proposal=proposal,
        committee_id=proposal.committee_id,
        unit=assignment.unit,
        method=_clean_text(method, "沟通方式", 20),
        note=_clean_text(note, "沟通情况", 5000),
    )


@transaction.atomic
def reply_record(
    *, proposal: Proposal, user: User, letter: str, result: str = "", doc_number: str = ""
) -> Reply:
    """The lead unit's reply (with result A/B/C) closes handling; a co-handling unit's opinion goes to
    the lead unit first and changes no state."""
    assignment = _active_assignment(proposal, user)
    letter = _clean_text(letter, "答复内容", 50000)
    rnd = proposal.rehandle_count + 1
    if assignment.role == Assignment.Role.CO:
        if proposal.state not in (State.ASSIGNED, State.REHANDLING):
            raise ProposalError("当前状态不能提交会办意见")
        return Reply.objects.create(
            proposal=proposal,
            committee_id=proposal.committee_id,
            unit=assignment.unit,
            role="co",
            letter=letter,
            round=rnd,
        )
    if result not in {r.value for r in Reply.Result}:
        raise ProposalError("请选择办理结果（A、B或C）")
    # 分办: each lead answers its part; the proposal counts as replied when the last part is. The row
    # lock makes two leads replying at once see each other, so exactly one of them moves the state.
    Proposal.objects.select_for_update(no_key=True).filter(pk=proposal.pk).first()
    other_leads = Assignment.objects.filter(
        proposal=proposal, role=Assignment.Role.LEAD, status=Assignment.Status.ACTIVE
    ).exclude(pk=assignment.pk)
    if other_leads.exists():
        if proposal.state not in (State.ASSIGNED, State.REHANDLING):
            raise ProposalError("当前状态不能答复")
        reply = Reply.objects.create(
            proposal=proposal,
            committee_id=proposal.committee_id,
            unit=assignment.unit,
            role="lead",
            result=result,
            letter=letter,
            doc_number=doc_number.strip()[:60],
            round=rnd,
        )
        assignment.status = Assignment.Status.DONE
        assignment.save(update_fields=["status"])
        return reply
    workflow.transition(proposal=proposal, action="reply", user=user)
    reply = Reply.objects.create(
        proposal=proposal,
        committee_id=proposal.committee_id,
        unit=assignment.unit,
        role="lead",
        result=result,
        letter=letter,
        doc_number=doc_number.strip()[:60],
        round=rnd,
    )
    for row in Assignment.objects.filter(proposal=proposal, status=Assignment.Status.ACTIVE):
        row.status = Assignment.Status.DONE
        row.save(update_fields=["status"])
    notify.replied(proposal)
    return reply


@transaction.atomic
def feedback_record(*, proposal: Proposal, user: User, rating: str, comment: str = "") -> Feedback:
    """满意/基本满意 closes the proposal; 不满意 sends it back for re-handling once, after which any
    rating closes it."""
    if rating not in {r.value for r in Feedback.Rating}:
        raise ProposalError("请选择评价（满意、基本满意或不满意）")
    rnd = proposal.rehandle_count + 1
    if rating == Feedback.Rating.DISSATISFIED and proposal.rehandle_count == 0:
        workflow.transition(
            proposal=proposal,
            action="rate_dissatisfied",
            user=user,
            reason=comment[:500],
            update_fields={"rehandle_count": 1},
        )
        for row in Assignment.objects.filter(proposal=proposal, status=Assignment.Status.DONE):
            row.status = Assignment.Status.ACTIVE
            row.save(update_fields=["status"])
    else:
        workflow.transition(proposal=proposal, action="rate", user=user, reason=comment[:500])
    feedback = Feedback.objects.create(
        proposal=proposal,
        committee_id=proposal.committee_id,
        rating=rating,
        comment=comment[:2000],
        round=rnd,
        by=user,
    )
    if proposal.state == State.REHANDLING:
        notify.rehandling(proposal)
    else:
        notify.rated(proposal, feedback.get_rating_display())
    return feedback


@transaction.atomic
def key_mark(*, proposal: Proposal, user: User, leaders: list[Member]) -> Proposal:
    _require_office(user, proposal.committee_id)
    if proposal.state in (State.DRAFT, State.SUBMITTED, State.WITHDRAWN, State.NOT_FILED, State.MERGED):
        raise ProposalError("只有已立案的提案可列为重点提案")
    if not leaders:
        raise ProposalError("重点提案须指定督办领导")
    for leader in leaders:
        if leader.committee_id != proposal.committee_id:
            raise ProposalError(f"{leader.name}不是本政协的领导")
    proposal.is_key = True
    proposal.save(update_fields=["is_key", "updated_at"])
    duties.credit(proposal, DutyKind.PROPOSAL_KEY)
    for leader in leaders:
        Supervision.objects.get_or_create(
            proposal=proposal, committee_id=proposal.committee_id, leader=leader
        )
    return proposal


@transaction.atomic
def first_mark(*, proposal: Proposal, user: User) -> Proposal:
    _require_office(user, proposal.committee_id)
    if proposal.number is None or proposal.state in (State.WITHDRAWN, State.NOT_FILED, State.MERGED):
        raise ProposalError("该提案不能列为一号提案")
    for other in Proposal.objects.filter(session_id=proposal.session_id, is_first=True).exclude(
        pk=proposal.pk
    ):
        other.is_first = False
        other.save(update_fields=["is_first", "updated_at"])
    proposal.is_first = True
    proposal.save(update_fields=["is_first", "updated_at"])
    return proposal


@transaction.atomic
def excellent_mark(*, proposal: Proposal, user: User) -> Proposal:
    _require_office(user, proposal.committee_id)
    if proposal.state != State.CLOSED:
        raise ProposalError("办结后方可评为优秀提案")
    proposal.is_excellent = True
    proposal.save(update_fields=["is_excellent", "updated_at"])
    duties.credit(proposal, DutyKind.PROPOSAL_EXCELLENT)
    return proposal


@transaction.atomic
def linkage_escalate(*, proposal: Proposal, user: User, to_member: Member, session: Session) -> Proposal:
    """四级联动: a member of a higher committee takes a local proposal up as their own draft there;
    the two records stay linked through origin."""
    if to_member.user_id != user.pk:
        raise ProposalError("只能以本人名义提交到上级政协")
    higher: Committee = to_member.committee
    if higher.pk not in proposal.committee.ancestors_ids() or session.committee_id != higher.pk:
        raise ProposalError("只能提交到本政协的上级政协")
    if proposal.state in (State.DRAFT, State.WITHDRAWN):
        raise ProposalError("该提案尚未提交，不能联动")
    return Proposal.objects.create(
        committee=higher,
        session=session,
        title=proposal.title,
        background=proposal.background,
        suggestions=proposal.suggestions,
        category=proposal.category,
        author=to_member,
        created_by=user,
        origin=proposal,
    )
