"""Opinion-report services: each validates, checks the actor, moves state through workflow.transition and
writes its rows, duty records and notifications in one transaction. Errors are OpinionError with a Chinese
message and change nothing."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from zhengxie.accounts import access
from zhengxie.accounts.models import Role, User
from zhengxie.duties.models import DutyKind
from zhengxie.duties.services import record_duties
from zhengxie.notices.services import member_users, notify_users, office_users
from zhengxie.opinions import workflow
from zhengxie.opinions.models import Forwarding, Instruction, InstructionLevel, OpinionReport, ReportState
from zhengxie.org.models import Committee, Member, Party, Sector, SpecialCommittee, Station
from zhengxie.text import clean_text

MAX_TITLE = 200
MAX_TEXT = 20000


class OpinionError(workflow.TransitionError):
    pass


def _text(value: str, label: str, limit: int, required: bool = True) -> str:
    return clean_text(value, label, limit, required=required, error=OpinionError)


def _require_office(user: User, committee_id: int) -> None:
    if not access.has_role(user, committee_id, {Role.OFFICE}):
        raise OpinionError("您无权执行此操作")


def report_url(report: OpinionReport) -> str:
    return reverse("opinions:detail", args=[report.pk])


def credited_members(report: OpinionReport) -> list[Member]:
    """The report's authors and the authors of every report merged into it: merging keeps their credit."""
    members = {m.pk: m for m in report.authors.all()}
    for merged in OpinionReport.objects.filter(merged_into=report).prefetch_related("authors"):
        for m in merged.authors.all():
            members.setdefault(m.pk, m)
    return list(members.values())


def _tell_authors(report: OpinionReport, verb: str, title: str) -> None:
    users = member_users(credited_members(report))
    # The contact person who drafted a collective report hears too; staff who entered a paper report do not.
    if report.created_by_id and not access.has_role(report.created_by, report.committee_id, {Role.OFFICE}):  # type: ignore[arg-type]
        users.append(report.created_by)  # type: ignore[arg-type]
    notify_users(
        committee_id=report.committee_id,
        users=[u for u in users if u.is_active],
        verb=verb,
        title=title,
        key=f"o{report.pk}:v{report.version}:{verb}",
        url=report_url(report),
    )


def _collective_body(
    *,
    committee: Committee,
    source_kind: str,
    party_id: int | None,
    sector_id: int | None,
    special_committee_id: int | None,
    station_id: int | None,
) -> dict[str, object]:
    """The body a collective report is submitted for, checked to belong to the committee."""
    models_by_kind = {
        OpinionReport.SourceKind.PARTY: ("party", Party, party_id, "党派团体"),
        OpinionReport.SourceKind.SECTOR: ("sector", Sector, sector_id, "界别"),
        OpinionReport.SourceKind.SPECIAL_COMMITTEE: (
            "special_committee",
            SpecialCommittee,
            special_committee_id,
            "专门委员会",
        ),
        OpinionReport.SourceKind.STATION: ("station", Station, station_id, "委员工作室"),
    }
    if source_kind == OpinionReport.SourceKind.MEMBER:
        return {}
    if source_kind not in models_by_kind:
        raise OpinionError("反映人类别无效")
    field, model, pk, label = models_by_kind[source_kind]
    body = model.objects.filter(pk=pk, committee=committee).first() if pk else None
    if body is None:
        raise OpinionError(f"请选择本政协的{label}")
    return {field: body, "reflector_name": str(body)[:100]}


def _may_speak_for(member: Member, body: dict[str, object]) -> bool:
    """A member submits for their own party, sector, special committee or station only."""
    for field in ("party", "sector", "station"):
        if field in body and getattr(member, f"{field}_id") != body[field].pk:  # type: ignore[attr-defined]
            return False
    if "special_committee" in body:
        return member.special_committees.filter(pk=body["special_committee"].pk).exists()  # type: ignore[attr-defined]
    return True


@transaction.atomic
def report_create(
    *,
    user: User,
    committee: Committee,
    title: str,
    situation: str,
    suggestion: str = "",
    kind: str = OpinionReport.Kind.OPINION,
    source_kind: str = OpinionReport.SourceKind.MEMBER,
    authors: list[Member] | None = None,
    party_id: int | None = None,
    sector_id: int | None = None,
    special_committee_id: int | None = None,
    station_id: int | None = None,
    submit: bool = False,
    client_token: str = "",
) -> OpinionReport:
    """A member drafts for themself (or their own party, sector, special committee or station); office staff
    enter reports received on paper for anyone of the committee, already submitted."""
    if kind not in OpinionReport.Kind.values:
        raise OpinionError("信息类别无效")
    title = _text(title, "标题", MAX_TITLE)
    situation = _text(situation, "基本情况", MAX_TEXT)
    suggestion = _text(suggestion, "意见建议", MAX_TEXT, required=False)
    client_token = (client_token or "")[:64]
    if client_token:
        existing = OpinionReport.objects.filter(created_by=user, client_token=client_token).first()
        if existing is not None:
            return existing
    body = _collective_body(
        committee=committee,
        source_kind=source_kind,
        party_id=party_id,
        sector_id=sector_id,
        special_committee_id=special_committee_id,
        station_id=station_id,
    )
    is_office = access.has_role(user, committee.pk, {Role.OFFICE})
    own = Member.objects.filter(user=user, committee=committee, status=Member.Status.ACTIVE).first()
    authors = list(authors or [])
    if not is_office:
        if own is None:
            raise OpinionError("只有本政协委员或工作人员可以报送社情民意")
        if any(a.pk != own.pk for a in authors):
            raise OpinionError("只能以本人名义报送")
        if body and not _may_speak_for(own, body):
            raise OpinionError("只能以本人所在的党派团体、界别、专门委员会或工作室名义报送")
        authors = [own]
    if any(a.committee_id != committee.pk for a in authors):
        raise OpinionError("反映人须为本政协委员")
    if source_kind == OpinionReport.SourceKind.MEMBER and not authors:
        raise OpinionError("请选择反映人")
    today = timezone.localdate()
    try:
        with transaction.atomic():
            report = OpinionReport.objects.create(
                committee=committee,
                year=today.year,
                kind=kind,
                title=title,
                situation=situation,
                suggestion=suggestion,
                source_kind=source_kind,
                created_by=user,
                client_token=client_token,
                reflector_name=str(body.pop("reflector_name", ""))
                or "、".join(a.name for a in authors)[:100],
                **body,
            )
    except IntegrityError:  # the same token sent twice at once
        return OpinionReport.objects.get(created_by=user, client_token=client_token)
    report.authors.set(authors)
    if submit or is_office:
        if is_office and not report_is_authored_by(user, report):
            # Staff entering a paper report: it arrives submitted, recorded as such.
            report = _submit(report, user, on_behalf=True, reason="工作人员代为录入")
        else:
            report = report_submit(report=report, user=user)
    return report


def report_is_authored_by(user: User, report: OpinionReport) -> bool:
    return report.authors.filter(user_id=user.pk).exists()


def _submit(report: OpinionReport, user: User, on_behalf: bool = False, reason: str = "") -> OpinionReport:
    """The author submits; or the office records a report it received on paper or converted (receive)."""
    workflow.transition(
        report=report,
        action="receive" if on_behalf else "submit",
        user=user,
        reason=reason,
        update_fields={"submitted_on": timezone.localdate()},
    )
    record_duties(
        members=report.authors.all(),
        kind=DutyKind.OPINION,
        source=report,
        title=f"报送社情民意《{report.title}》"[:200],
        occurred_on=report.submitted_on,  # type: ignore[arg-type]
        url=report_url(report),
    )
    notify_users(
        committee_id=report.committee_id,
        users=office_users(report.committee_id),
        verb="opinion_submitted",
        title=f"新的社情民意信息《{report.title}》待编辑",
        key=f"o{report.pk}:submitted",
        url=report_url(report),
    )
    return report


@transaction.atomic
def report_submit(*, report: OpinionReport, user: User) -> OpinionReport:
    return _submit(report, user)


@transaction.atomic
def report_update(
    *,
    report: OpinionReport,
    user: User,
    title: str,
    situation: str,
    suggestion: str = "",
    kind: str | None = None,
) -> OpinionReport:
    """The author edits a draft; the office edits (编辑) a submitted report before forwarding it."""
    if report.state == ReportState.DRAFT:
        if not workflow.is_author(user, report):
            raise OpinionError("您无权修改该信息")
    elif report.state in workflow.EDITABLE:
        _require_office(user, report.committee_id)
    else:
        raise OpinionError(f"当前状态“{report.get_state_display()}”不能修改")
    if kind is not None and kind not in OpinionReport.Kind.values:
        raise OpinionError("信息类别无效")
    locked = OpinionReport.objects.select_for_update(no_key=True).get(pk=report.pk)
    if locked.version != report.version or locked.state != report.state:
        raise workflow.statemachine.ConcurrentChange("该信息已被他人修改，请刷新后重试")
    locked.title = _text(title, "标题", MAX_TITLE)
    locked.situation = _text(situation, "基本情况", MAX_TEXT)
    locked.suggestion = _text(suggestion, "意见建议", MAX_TEXT, required=False)
    if kind is not None:
        locked.kind = kind
    locked.version += 1
    locked.save()
    return locked


@transaction.atomic
def report_withdraw(*, report: OpinionReport, user: User, reason: str = "") -> OpinionReport:
    return workflow.transition(report=report, action="withdraw", user=user, reason=reason[:500])


@transaction.atomic
def report_archive(*, report: OpinionReport, user: User, reason: str) -> OpinionReport:
    reason = _text(reason, "不报送理由", 500)
    report = workflow.transition(
        report=report, action="archive", user=user, reason=reason, update_fields={"archive_reason": reason}
    )
    _tell_authors(report, "opinion_archived", f"您的社情民意信息《{report.title}》存档，未报送")
    return report


@transaction.atomic
def report_reopen(*, report: OpinionReport, user: User) -> OpinionReport:
    return workflow.transition(
        report=report, action="reopen", user=user, update_fields={"archive_reason": ""}
    )


@transaction.atomic
def report_merge(*, report: OpinionReport, user: User, into: OpinionReport) -> OpinionReport:
    """合并: related reports become one; the merged report's authors keep their credit through merged_into."""
    if into.committee_id != report.committee_id or into.pk == report.pk:
        raise OpinionError("只能并入本政协的其他信息")
    if into.state not in (workflow.EDITABLE | workflow.OUT):
        raise OpinionError("目标信息当前状态不能合并")
    report = workflow.transition(
        report=report,
        action="merge",
        user=user,
        reason=f"并入《{into.title}》"[:500],
        update_fields={"merged_into": into},
    )
    _tell_authors(report, "opinion_merged", f"您的社情民意信息《{report.title}》已与《{into.title}》合并")
    return report


def _next_number(committee_id: int, year: int) -> int:
    top = OpinionReport.objects.filter(committee_id=committee_id, year=year).aggregate(n=Max("number"))["n"]
    return (top or 0) + 1


@transaction.atomic
def report_forward(
    *,
    report: OpinionReport,
    user: User,
    target: str,
    receiver: str = "",
    issue: str = "",
    forwarded_on: date | None = None,
) -> Forwarding:
    """报送 to one receiver. The first forwarding numbers the report (第N期) and moves it to 已报送; later ones to
    other receivers only add a row."""
    _require_office(user, report.committee_id)
    if target not in Forwarding.Target.values:
        raise OpinionError("报送对象无效")
    forwarded_on = forwarded_on or timezone.localdate()
    if forwarded_on > timezone.localdate():
        raise OpinionError("报送日期不能晚于今天")
    receiver = _text(receiver, "接收单位", 100, required=False)
    issue = _text(issue, "刊发期号", 60, required=False)
    if report.state == ReportState.SUBMITTED:
        # Lock the committee's numbering: two reports forwarded at once must not take the same number.
        Committee.objects.select_for_update(no_key=True).filter(pk=report.committee_id).first()
        fields: dict[str, object] = {}
        if report.number is None:
            fields["number"] = _next_number(report.committee_id, report.year)
        report = workflow.transition(report=report, action="forward", user=user, update_fields=fields)
    elif report.state not in workflow.OUT:
        raise OpinionError(f"当前状态“{report.get_state_display()}”不能报送")
    if Forwarding.objects.filter(report=report, target=target, receiver=receiver).exists():
        raise OpinionError("已向该对象报送过")
    forwarding = Forwarding.objects.create(
        report=report,
        committee_id=report.committee_id,
        target=target,
        receiver=receiver,
        issue=issue,
        forwarded_on=forwarded_on,
        by=user,
    )
    record_duties(
        members=credited_members(report),
        kind=DutyKind.OPINION_FORWARDED,
        source=report,
        title=f"社情民意《{report.title}》被报送"[:200],
        occurred_on=forwarded_on,
        url=report_url(report),
    )
    _tell_authors(
        report,
        f"opinion_forwarded_{forwarding.pk}",
        f"您的社情民意信息《{report.title}》已报送{forwarding.get_target_display()}{receiver}",
    )
    return forwarding


def _adopt(report: OpinionReport, user: User, on: date) -> OpinionReport:
    if report.state == ReportState.FORWARDED:
        report = workflow.transition(report=report, action="adopt", user=user)
    record_duties(
        members=credited_members(report),
        kind=DutyKind.OPINION_ADOPTED,
        source=report,
        title=f"社情民意《{report.title}》被采用"[:200],
        occurred_on=on,
        url=report_url(report),
    )
    return report


@transaction.atomic
def report_adopt(
    *,
    report: OpinionReport,
    user: User,
    forwarding: Forwarding,
    adopted_on: date | None = None,
    adopted_by: str = "",
    note: str = "",
) -> Forwarding:
    """采用: the receiver of one forwarding used the report."""
    _require_office(user, report.committee_id)
    if forwarding.report_id != report.pk:
        raise OpinionError("报送记录不属于该信息")
    if report.state not in workflow.OUT:
        raise OpinionError(f"当前状态“{report.get_state_display()}”不能登记采用")
    if forwarding.adopted:
        raise OpinionError("该报送已登记采用")
    adopted_on = adopted_on or timezone.localdate()
    if adopted_on < forwarding.forwarded_on or adopted_on > timezone.localdate():
        raise OpinionError("采用日期须在报送日期之后、今天之前")
    forwarding.adopted = True
    forwarding.adopted_on = adopted_on
    forwarding.adopted_by = _text(adopted_by, "采用单位", 100, required=False) or forwarding.receiver
    forwarding.adoption_note = _text(note, "采用情况", 500, required=False)
    forwarding.save()
    report = _adopt(report, user, adopted_on)
    _tell_authors(
        report,
        f"opinion_adopted_{forwarding.pk}",
        f"您的社情民意信息《{report.title}》已被{forwarding.adopted_by or '接收单位'}采用",
    )
    return forwarding


@transaction.atomic
def instruction_add(
    *,
    report: OpinionReport,
    user: User,
    level: str,
    leader_name: str,
    leader_title: str = "",
    instructed_on: date | None = None,
    text: str = "",
    forwarding: Forwarding | None = None,
) -> Instruction:
    """批示. A leader's instruction on a report still only forwarded also records it as adopted: the
    receiving side has plainly used it."""
    _require_office(user, report.committee_id)
    if report.state not in workflow.OUT:
        raise OpinionError("只有已报送的信息可以登记批示")
    if level not in InstructionLevel.values:
        raise OpinionError("请选择批示级别")
    leader_name = _text(leader_name, "批示领导", 50)
    leader_title = _text(leader_title, "领导职务", 100, required=False)
    text = _text(text, "批示内容", 5000, required=False)
    instructed_on = instructed_on or timezone.localdate()
    if instructed_on > timezone.localdate():
        raise OpinionError("批示日期不能晚于今天")
    if forwarding is not None and forwarding.report_id != report.pk:
        raise OpinionError("报送记录不属于该信息")
    first = report.forwardings.order_by("forwarded_on").values_list("forwarded_on", flat=True).first()
    if first is not None and instructed_on < first:
        raise OpinionError("批示日期不能早于报送日期")
    instruction = Instruction.objects.create(
        report=report,
        committee_id=report.committee_id,
        forwarding=forwarding,
        level=level,
        leader_name=leader_name,
        leader_title=leader_title,
        instructed_on=instructed_on,
        text=text,
        by=user,
    )
    report = _adopt(report, user, instructed_on)
    record_duties(
        members=credited_members(report),
        kind=DutyKind.INSTRUCTION,
        source=instruction,
        title=f"《{report.title}》获{instruction.get_level_display()}领导{leader_title}{leader_name}批示"[
            :200
        ],
        occurred_on=instructed_on,
        url=report_url(report),
        detail={"level": level},
    )
    _tell_authors(
        report,
        f"opinion_instructed_{instruction.pk}",
        f"您的社情民意信息《{report.title}》获{leader_title}{leader_name}批示",
    )
    return instruction


@transaction.atomic
def report_from_proposal(*, proposal: object, user: User) -> OpinionReport:
    """A proposal that was not filed becomes an opinion report, linked to it, under the same author."""
    from zhengxie.proposals.models import Proposal, State

    assert isinstance(proposal, Proposal)
    _require_office(user, proposal.committee_id)
    if proposal.state != State.NOT_FILED:
        raise OpinionError("只有不立案的提案可以转为社情民意信息")
    if OpinionReport.objects.filter(proposal=proposal).exists():
        raise OpinionError("该提案已转为社情民意信息")
    kind_map = {
        Proposal.ProposerKind.MEMBER: OpinionReport.SourceKind.MEMBER,
        Proposal.ProposerKind.PARTY: OpinionReport.SourceKind.PARTY,
        Proposal.ProposerKind.SECTOR: OpinionReport.SourceKind.SECTOR,
        Proposal.ProposerKind.SPECIAL_COMMITTEE: OpinionReport.SourceKind.SPECIAL_COMMITTEE,
    }
    report = OpinionReport.objects.create(
        committee_id=proposal.committee_id,
        year=timezone.localdate().year,
        title=proposal.title,
        situation=proposal.background,
        suggestion=proposal.suggestions,
        source_kind=kind_map[proposal.proposer_kind],  # type: ignore[index]
        party=proposal.party,
        sector=proposal.sector,
        special_committee=proposal.special_committee,
        reflector_name=proposal.proposer_name[:100],
        created_by=proposal.created_by,
        proposal=proposal,
    )
    if proposal.author_id:
        report.authors.set([proposal.author])  # type: ignore[list-item]
    if proposal.conversion != Proposal.Conversion.OPINION:
        proposal.conversion = Proposal.Conversion.OPINION
        proposal.save(update_fields=["conversion", "updated_at"])
    report = _submit(report, user, on_behalf=True, reason=f"由提案{proposal.number_display}转来"[:500])
    _tell_authors(report, "opinion_converted", f"您的提案《{proposal.title}》已转为社情民意信息")
    return report


def report_actions(user: User, report: OpinionReport) -> list[str]:
    """What the user may do with the report now, for the pages and the API: the workflow's moves, plus the
    steps that add rows without a move (edit, forward again, record adoption, add an instruction)."""
    actions = [m.action for m in workflow.allowed_actions(user, report)]
    is_office = access.has_role(user, report.committee_id, {Role.OFFICE})
    if (report.state == ReportState.DRAFT and workflow.is_author(user, report)) or (
        report.state in workflow.EDITABLE and is_office
    ):
        actions.append("edit")
    if is_office and report.state in workflow.OUT:
        actions = [a for a in actions if a != "adopt"]
        actions.append("forward")
        if report.forwardings.filter(adopted=False).exists():
            actions.append("adopt")
        actions.append("instruct")
    return actions
