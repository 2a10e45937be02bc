"""Writing duty records. Capabilities call record_duty from inside their own transaction, so a
rolled-back step leaves no duty behind, and a retried one finds the row it wrote."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils import timezone

from zhengxie.accounts import access
from zhengxie.accounts.audit import audit_bulk
from zhengxie.accounts.models import Role, User
from zhengxie.duties.models import Contest, DutyKind, DutyRecord, ScoringRule, ScoringScheme
from zhengxie.org.models import Committee, Member
from zhengxie.text import clean_text


def record_duty(
    *,
    member: Member,
    kind: str,
    source: models.Model,
    title: str,
    occurred_on: date,
    url: str = "",
    detail: dict | None = None,
    origin: str = DutyRecord.Origin.PLATFORM,
) -> DutyRecord:
    source_type = ContentType.objects.get_for_model(source)
    lookup = {"member": member, "kind": kind, "source_type": source_type, "source_id": source.pk}
    existing = DutyRecord.objects.filter(**lookup).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return DutyRecord.objects.create(
                **lookup,
                committee_id=member.committee_id,
                year=occurred_on.year,
                title=title[:200],
                occurred_on=occurred_on,
                url=url[:300],
                detail=detail or {},
                origin=origin,
            )
    except IntegrityError:  # the same step recorded at the same moment elsewhere
        return DutyRecord.objects.get(**lookup)


def record_duties(
    *,
    members: Iterable[Member],
    kind: str,
    source: models.Model,
    title: str,
    occurred_on: date,
    url: str = "",
    detail: dict | None = None,
) -> list[DutyRecord]:
    return [
        record_duty(
            member=m, kind=kind, source=source, title=title, occurred_on=occurred_on, url=url, detail=detail
        )
        for m in {m.pk: m for m in members}.values()
    ]


def duties_of_source(source: models.Model) -> models.QuerySet[DutyRecord]:
    return DutyRecord.objects.filter(
        source_type=ContentType.objects.get_for_model(source), source_id=source.pk
    ).select_related("member")


# --- Scoring rules, hand-entered duties, member claims and contests ---------------------------------------


class DutyError(Exception):
    """Shown to the user; nothing was changed."""


# Kinds a member may declare: what happens off the platform. Deductions and the platform's own steps (a
# proposal filed, a report adopted) are never declared by the member who would gain from them.
CLAIMABLE = frozenset(
    {
        DutyKind.ATTENDANCE,
        DutyKind.SPEECH,
        DutyKind.CONSULTATION,
        DutyKind.RESEARCH,
        DutyKind.TRAINING,
        DutyKind.READING,
        DutyKind.STATION_DUTY,
        DutyKind.CONCERN,
        DutyKind.VISIT,
        DutyKind.VOLUNTEER,
        DutyKind.INVESTMENT,
        DutyKind.OTHER,
    }
)


def _text(value: str, label: str, limit: int, required: bool = True) -> str:
    return clean_text(value, label, limit, required=required, error=DutyError)


def _require_office(user: User, committee_id: int) -> None:
    if not access.has_role(user, committee_id, {Role.OFFICE}):
        raise DutyError("您无权执行此操作")


def schedule_recompute(committee_id: int, year: int) -> None:
    """Scores follow rules and records: recomputed in the background once the change commits."""
    from zhengxie.duties.tasks import recompute_evaluation
    from zhengxie.tasks.queue import enqueue_on_commit

    enqueue_on_commit(recompute_evaluation, committee_id, year)


@transaction.atomic
def scheme_create(
    *,
    user: User,
    committee: Committee,
    year: int,
    name: str,
    rules: dict[str, tuple[Decimal | int | str, Decimal | int | str | None]],
    threshold: Decimal | int | str = 0,
    note: str = "",
) -> ScoringScheme:
    """A new version of the year's rules (the previous versions stay, with the scores computed under them
    until the recomputation replaces those)."""
    _require_office(user, committee.pk)
    if not 2000 <= year <= 2100:
        raise DutyError("年度无效")
    if not rules:
        raise DutyError("请至少设置一项计分规则")
    parsed = []
    for kind, (points, cap) in rules.items():
        if kind not in DutyKind.values:
            raise DutyError(f"履职类型“{kind}”无效")
        label = DutyKind(kind).label
        try:
            points_value = Decimal(str(points))
            cap_value = None if cap in (None, "") else Decimal(str(cap))
        except (InvalidOperation, ValueError) as exc:
            raise DutyError(f"“{label}”的分值须为数字") from exc
        if not points_value.is_finite() or abs(points_value) >= 10000:
            raise DutyError(f"“{label}”的分值超出范围")
        if cap_value is not None and (not cap_value.is_finite() or cap_value < 0 or cap_value >= 100000):
            raise DutyError(f"“{label}”的年度上限须为0到99999之间的数")
        parsed.append(ScoringRule(kind=kind, points=points_value, cap=cap_value))
    try:
        threshold_value = Decimal(str(threshold))
    except InvalidOperation as exc:
        raise DutyError("约谈分数线须为数字") from exc
    Committee.objects.select_for_update(no_key=True).filter(pk=committee.pk).first()
    latest = (
        ScoringScheme.objects.filter(committee=committee, year=year).aggregate(v=Max("version"))["v"] or 0
    )
    scheme = ScoringScheme.objects.create(
        committee=committee,
        year=year,
        version=latest + 1,
        name=_text(name, "名称", 100),
        threshold=threshold_value,
        note=_text(note, "修订说明", 500, required=False),
        created_by=user,
    )
    for rule in parsed:
        rule.scheme = scheme
    ScoringRule.objects.bulk_create(parsed)
    audit_bulk(action="create", objects=parsed, result=f"{scheme}计分规则")
    schedule_recompute(committee.pk, year)
    return scheme


def _check_kind_and_date(kind: str, occurred_on: date) -> None:
    if kind not in DutyKind.values:
        raise DutyError("履职类型无效")
    if occurred_on > timezone.localdate():
        raise DutyError("履职日期不能晚于今天")


@transaction.atomic
def duty_add_by_staff(
    *, user: User, member: Member, kind: str, title: str, occurred_on: date, detail: dict | None = None
) -> DutyRecord:
    """Staff record a duty performed off the platform (a training, a donation, an enterprise visit)."""
    _require_office(user, member.committee_id)
    _check_kind_and_date(kind, occurred_on)
    record = DutyRecord.objects.create(
        committee_id=member.committee_id,
        member=member,
        year=occurred_on.year,
        kind=kind,
        title=_text(title, "事项", 200),
        occurred_on=occurred_on,
        detail=detail or {},
        origin=DutyRecord.Origin.STAFF,
        created_by=user,
    )
    schedule_recompute(member.committee_id, record.year)
    return record


@transaction.atomic
def duty_claim(*, user: User, kind: str, title: str, occurred_on: date, evidence: str) -> DutyRecord:
    """A member declares a duty with its evidence; it counts once staff confirm it."""
    member = Member.objects.filter(user_id=user.pk, status=Member.Status.ACTIVE).order_by("id").first()
    if member is None:
        raise DutyError("只有委员可以申报履职")
    _check_kind_and_date(kind, occurred_on)
    if kind not in CLAIMABLE:
        raise DutyError("该履职类型不能由委员申报")
    return DutyRecord.objects.create(
        committee_id=member.committee_id,
        member=member,
        year=occurred_on.year,
        kind=kind,
        title=_text(title, "事项", 200),
        occurred_on=occurred_on,
        evidence=_text(evidence, "佐证材料", 5000),
        status=DutyRecord.Status.PENDING,
        origin=DutyRecord.Origin.MEMBER,
        created_by=user,
    )


@transaction.atomic
def duty_review(*, record: DutyRecord, user: User, approve: bool, note: str = "") -> DutyRecord:
    _require_office(user, record.committee_id)
    locked = DutyRecord.objects.select_for_update(no_key=True).get(pk=record.pk)
    if locked.status != DutyRecord.Status.PENDING:
        raise DutyError("该履职申报已处理")
    locked.status = DutyRecord.Status.CONFIRMED if approve else DutyRecord.Status.REJECTED
    locked.review_note = _text(note, "审核意见", 500, required=not approve)
    locked.save(update_fields=["status", "review_note"])
    if approve:
        schedule_recompute(locked.committee_id, locked.year)
    return locked


@transaction.atomic
def contest_open(*, record: DutyRecord, user: User, reason: str) -> Contest:
    """A member objects to one of their own records; it keeps counting until staff decide."""
    if record.member.user_id != user.pk:
        raise DutyError("只能对本人的履职记录提出异议")
    locked = DutyRecord.objects.select_for_update(no_key=True).get(pk=record.pk)
    if locked.status != DutyRecord.Status.CONFIRMED:
        raise DutyError("该记录当前不能提出异议")
    contest = Contest.objects.create(
        record=locked,
        committee_id=locked.committee_id,
        member=locked.member,
        reason=_text(reason, "异议理由", 2000),
    )
    locked.status = DutyRecord.Status.CONTESTED
    locked.save(update_fields=["status"])
    return contest


@transaction.atomic
def contest_resolve(*, contest: Contest, user: User, uphold: bool, resolution: str) -> Contest:
    """Upheld: the record stops counting. Rejected: it stands. Either way the member reads why."""
    _require_office(user, contest.committee_id)
    locked = Contest.objects.select_for_update(no_key=True).get(pk=contest.pk)
    if locked.state != Contest.State.OPEN:
        raise DutyError("该异议已处理")
    locked.state = Contest.State.UPHELD if uphold else Contest.State.REJECTED
    locked.resolution = _text(resolution, "处理意见", 500)
    locked.resolved_by = user
    locked.resolved_at = timezone.now()
    locked.save()
    record = locked.record
    record.status = DutyRecord.Status.REJECTED if uphold else DutyRecord.Status.CONFIRMED
    record.review_note = locked.resolution
    record.save(update_fields=["status", "review_note"])
    schedule_recompute(record.committee_id, record.year)
    return locked
