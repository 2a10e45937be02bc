"""Concern services: raising one (public form or a station's reception), the automatic abuse check, staff
review, a member taking it up and closing it by one of the four outcomes. Errors are ConcernError with a
Chinese message and change nothing."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from zhengxie.accounts import access, crypto
from zhengxie.accounts.models import Role, User
from zhengxie.duties.models import DutyKind
from zhengxie.duties.services import record_duty
from zhengxie.grassroots import workflow
from zhengxie.grassroots.models import Concern, ConcernEvent, ConcernState
from zhengxie.notices.services import notify_users, office_users
from zhengxie.org.models import Committee, Member, Session, Station
from zhengxie.text import clean_text

MAX_TITLE = 100
MAX_CONTENT = 2000
# The public form: this many submissions per source (IP) per hour, then a polite refusal.
RATE_LIMIT = getattr(settings, "CONCERN_RATE_LIMIT", 5)
RATE_WINDOW = 3600
LOOKUP_LIMIT = getattr(settings, "CONCERN_LOOKUP_LIMIT", 30)
# The public form's whole request body, refused before it is parsed when bigger. Not 20 KB: a form
# encodes each Chinese character as 9 bytes (%E5%8F%8D), so a full 2000-character concern is ~19 KB, and
# one written with emoji (12 bytes each) ~25 KB.
MAX_BODY = getattr(settings, "CONCERN_MAX_BODY", 32 * 1024)
REPEAT_WINDOW = timedelta(days=30)
# Links of any kind: a concern is about a problem here, not a website; link spam is the common abuse.
LINK = re.compile(
    r"(https?://|www\.|[a-z0-9-]+\.(com|cn|net|org|top|xyz|vip|cc|info|site|club)\b|加\s*(微信|qq|QQ|vx|VX)|t\.me/)",
    re.IGNORECASE,
)
REPEATED_CHAR = re.compile(r"(.)\1{19,}")
NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone


class ConcernError(workflow.TransitionError):
    pass


class RateLimited(ConcernError):
    pass


def _text(value: str, label: str, limit: int, required: bool = True) -> str:
    return clean_text(value, label, limit, required=required, error=ConcernError)


def concern_url(concern: Concern) -> str:
    return reverse("grassroots:detail", args=[concern.pk])


def normalise_number(value: str) -> str:
    return re.sub(r"[\s\-－—_]", "", (value or "").upper())[:20]


def _new_number(today: date) -> str:
    return f"{today.year}" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))


def content_hash(title: str, content: str) -> str:
    squashed = re.sub(r"\s+", "", f"{title}{content}")
    return hashlib.sha256(squashed.encode()).hexdigest()


def source_hash(source: str) -> str:
    return crypto.blind_index(f"concern-source:{source}") if source else ""


def _count(kind: str, source: str, window: int) -> int:
    """This source's attempts in the current window, this one included, counted in the cache (Redis in
    production, so every web process shares it)."""
    key = f"concern-{kind}:{source_hash(source)}"
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1


def check_rate(source: str) -> None:
    if not source:
        return
    if _count("rate", source, RATE_WINDOW) > RATE_LIMIT:
        raise RateLimited("提交过于频繁，请一小时后再试")


def check_lookup_rate(source: str) -> None:
    """Numbers are the only key to a concern: a cap on look-ups per source keeps them from being guessed."""
    if not source:
        return
    if _count("lookup", source, RATE_WINDOW) > LOOKUP_LIMIT:
        raise RateLimited("查询过于频繁，请一小时后再试")


def suspicion(
    *, committee: Committee, title: str, content: str, digest: str, source: str, trap: str
) -> list[str]:
    """Why this submission should wait for staff instead of reaching members (empty: publish it)."""
    flags = []
    if trap:
        flags.append("疑似自动提交")
    if LINK.search(title) or LINK.search(content):
        flags.append("含有链接或联系方式")
    if REPEATED_CHAR.search(content):
        flags.append("含有大量重复字符")
    since = timezone.now() - REPEAT_WINDOW
    if Concern.objects.filter(committee=committee, content_hash=digest, created_at__gte=since).exists():
        flags.append("与近期诉求内容重复")
    if source and (
        Concern.objects.filter(
            source_hash=source_hash(source), created_at__gte=timezone.now() - timedelta(days=1)
        )
        .exclude(state=ConcernState.REJECTED)
        .count()
        >= 3
    ):
        flags.append("同一来源一天内多次提交")
    return flags


@transaction.atomic
def concern_raise(
    *,
    committee: Committee,
    title: str,
    content: str,
    station: Station | None = None,
    category: str = Concern.Category.OTHER,
    name: str = "",
    phone: str = "",
    channel: str = Concern.Channel.WEB,
    source: str = "",
    trap: str = "",
    user: User | None = None,
) -> Concern:
    """A person raises a concern. From the public form (no user) it passes the rate limit and the abuse
    check; a member or staff recording a reception at a station (user given) skips both."""
    if station is not None and station.committee_id != committee.pk:
        raise ConcernError("请选择本政协的站点")
    if category not in Concern.Category.values:
        raise ConcernError("诉求类别无效")
    if channel not in Concern.Channel.values:
        raise ConcernError("诉求渠道无效")
    title = _text(title, "标题", MAX_TITLE)
    content = _text(content, "诉求内容", MAX_CONTENT)
    name = _text(name, "姓名", 30, required=False)
    phone = _text(phone, "联系电话", 20, required=False)
    if phone and not re.fullmatch(r"[0-9+\-() ]{5,20}", phone):
        raise ConcernError("联系电话格式不正确")
    digest = content_hash(title, content)
    recorded_by_staff = user is not None and (
        access.has_role(user, committee.pk, {Role.OFFICE})
        or Member.objects.filter(user_id=user.pk, committee=committee, status=Member.Status.ACTIVE).exists()
    )
    if user is not None and not recorded_by_staff:
        raise ConcernError("您无权代为登记群众诉求")
    flags: list[str] = []
    if not recorded_by_staff:
        check_rate(source)
        flags = suspicion(
            committee=committee, title=title, content=content, digest=digest, source=source, trap=trap
        )
    state = ConcernState.REVIEW if flags else ConcernState.OPEN
    for _ in range(5):
        try:
            with transaction.atomic():
                concern = Concern.objects.create(
                    committee=committee,
                    station=station,
                    number=_new_number(timezone.localdate()),
                    channel=channel,
                    category=category,
                    title=title,
                    content=content,
                    name=name,
                    phone=phone,
                    state=state,
                    flags=flags,
                    content_hash=digest,
                    source_hash=source_hash(source),
                    created_by=user if recorded_by_staff else None,
                )
            break
        except IntegrityError:  # a number collision (1 in 10^12): draw again
            continue
    else:  # pragma: no cover - needs five collisions in a row
        raise ConcernError("系统繁忙，请稍后再试")
    ConcernEvent.objects.create(
        concern=concern,
        action="raise",
        to_state=state,
        actor=user if recorded_by_staff else None,
        note=workflow.PUBLIC_NOTES["raise"] if not flags else "诉求已提交，等待工作人员审核",
    )
    if flags:
        _tell_office(concern, "concern_review", f"群众诉求待审核：{concern.title}")
    else:
        _tell_station(concern)
    return concern


def _tell_office(concern: Concern, verb: str, title: str) -> None:
    notify_users(
        committee_id=concern.committee_id,
        users=office_users(concern.committee_id),
        verb=verb,
        title=title,
        key=f"c{concern.pk}:{verb}",
        url=concern_url(concern),
    )


def _tell_station(concern: Concern) -> None:
    if concern.station_id is None:
        _tell_office(concern, "concern_unrouted", f"群众诉求待分派站点：{concern.title}")
        return
    users = User.objects.filter(
        is_active=True,
        memberships__station_id=concern.station_id,
        memberships__committee_id=concern.committee_id,
        memberships__status=Member.Status.ACTIVE,
    ).distinct()
    notify_users(
        committee_id=concern.committee_id,
        users=users,
        verb="concern_open",
        title=f"站点收到群众诉求：{concern.title}",
        key=f"c{concern.pk}:open",
        url=concern_url(concern),
    )


@transaction.atomic
def concern_approve(*, concern: Concern, user: User) -> Concern:
    concern = workflow.transition(concern=concern, action="approve", user=user)
    _tell_station(concern)
    return concern


@transaction.atomic
def concern_reject(*, concern: Concern, user: User, reason: str) -> Concern:
    reason = _text(reason, "不予受理理由", 500)
    return workflow.transition(
        concern=concern,
        action="reject",
        user=user,
        note=f"不予受理：{reason}",
        update_fields={"reject_reason": reason},
    )


@transaction.atomic
def concern_route(*, concern: Concern, user: User, station: Station) -> Concern:
    """The office sends a concern raised without a station (or at the wrong one) to a station."""
    if not access.has_role(user, concern.committee_id, {Role.OFFICE}):
        raise ConcernError("您无权执行此操作")
    if station.committee_id != concern.committee_id:
        raise ConcernError("请选择本政协的站点")
    if concern.state not in (ConcernState.OPEN, ConcernState.REVIEW):
        raise ConcernError("只有待认领的诉求可以分派站点")
    locked = Concern.objects.select_for_update(no_key=True).get(pk=concern.pk)
    if locked.version != concern.version:
        raise workflow.statemachine.ConcurrentChange("该诉求已被他人处理，请刷新后重试")
    locked.station = station
    locked.version += 1
    locked.save(update_fields=["station", "version", "updated_at"])
    ConcernEvent.objects.create(
        concern=locked,
        action="route",
        from_state=locked.state,
        to_state=locked.state,
        actor=user,
        note=f"诉求已转{station.name}办理",
    )
    if locked.state == ConcernState.OPEN:
        _tell_station(locked)
    return locked


@transaction.atomic
def concern_take(*, concern: Concern, user: User) -> Concern:
    member = workflow.station_member(user, concern)
    if member is None:
        raise ConcernError("只有该站点的委员可以认领")
    return workflow.transition(
        concern=concern,
        action="take",
        user=user,
        note=f"{member.name}委员已认领，正在办理",
        update_fields={"taken_by": member, "taken_at": timezone.now()},
    )


@transaction.atomic
def concern_release(*, concern: Concern, user: User, reason: str = "") -> Concern:
    return workflow.transition(
        concern=concern,
        action="release",
        user=user,
        note="诉求重新等待委员认领",
        update_fields={"taken_by": None, "taken_at": None},
    )


def _close(concern: Concern, user: User, outcome: str, result: str, **links: object) -> Concern:
    concern = workflow.transition(
        concern=concern,
        action="close",
        user=user,
        note=f"{Concern.Outcome(outcome).label}：{result}"[:500],
        update_fields={"outcome": outcome, "result": result, "closed_at": timezone.now(), **links},
    )
    record_duty(
        member=concern.taken_by,  # type: ignore[arg-type]
        kind=DutyKind.CONCERN,
        source=concern,
        title=f"办理群众诉求“{concern.title}”（{Concern.Outcome(outcome).label}）"[:200],
        occurred_on=timezone.localdate(),
        url=concern_url(concern),
        detail={"outcome": outcome},
    )
    return concern


def _require_taker(user: User, concern: Concern) -> Member:
    if not workflow.is_taker(user, concern) or concern.state != ConcernState.TAKEN:
        raise ConcernError("只有认领该诉求的委员可以办结")
    return concern.taken_by  # type: ignore[return-value]


@transaction.atomic
def concern_resolve(*, concern: Concern, user: User, result: str) -> Concern:
    """直接解决: the member solved it and writes the result the person will read."""
    _require_taker(user, concern)
    return _close(concern, user, Concern.Outcome.RESOLVED, _text(result, "办理结果", 5000))


@transaction.atomic
def concern_to_opinion(*, concern: Concern, user: User, title: str = "", suggestion: str = "") -> Concern:
    from zhengxie.opinions.services import report_create

    member = _require_taker(user, concern)
    report = report_create(
        user=user,
        committee=concern.committee,
        title=title or concern.title,
        situation=concern.content,
        suggestion=suggestion,
        authors=[member],
        submit=True,
    )
    result = f"已由{member.name}委员整理为社情民意信息报送政协"
    return _close(concern, user, Concern.Outcome.OPINION, result, opinion_report=report)


@transaction.atomic
def concern_to_proposal(*, concern: Concern, user: User, session: Session, suggestions: str = "") -> Concern:
    """The member drafts a proposal from it (a draft they complete and submit, with co-signers)."""
    from zhengxie.proposals.services import proposal_draft_create

    member = _require_taker(user, concern)
    proposal = proposal_draft_create(
        user=user,
        author=member,
        session=session,
        title=f"关于{concern.title}的提案"[:200] if not concern.title.startswith("关于") else concern.title,
        background=concern.content,
        suggestions=suggestions or "（待补充）",
    )
    result = f"已由{member.name}委员作为提案提出"
    return _close(concern, user, Concern.Outcome.PROPOSAL, result, proposal=proposal)


@transaction.atomic
def concern_to_consultation(
    *, concern: Concern, user: User, held_on: date, title: str = "", series: str = "有事来协商"
) -> Concern:
    """A micro consultation at the concern's station, with the member who took it up as first participant."""
    from zhengxie.consultations.models import Form
    from zhengxie.consultations.services import consultation_create, participant_add

    member = _require_taker(user, concern)
    consultation = consultation_create(
        user=user,
        committee=concern.committee,
        title=title or concern.title,
        held_on=held_on,
        form=Form.MICRO,
        series=series,
        station_id=concern.station_id,
        summary=f"群众诉求{concern.number}：{concern.content}"[:20000],
    )
    participant_add(consultation=consultation, user=user, member=member)
    result = f"已提交{consultation.held_on:%Y年%m月%d日}的“{series or '基层小微协商'}”协商议事"
    return _close(concern, user, Concern.Outcome.CONSULTATION, result, consultation=consultation)


def public_status(concern: Concern) -> dict[str, object]:
    """What the person sees by number: never names, phones or the handling member's identity beyond the
    member's public name; for a converted concern, how far the follow-up has got."""
    follow_up = ""
    if concern.opinion_report_id:
        follow_up = f"社情民意信息：{concern.opinion_report.get_state_display()}"  # type: ignore[union-attr]
    elif concern.proposal_id:
        follow_up = f"提案：{concern.proposal.get_state_display()}"  # type: ignore[union-attr]
    elif concern.consultation_id:
        consultation = concern.consultation
        items = list(consultation.outcomes.all())  # type: ignore[union-attr]
        closed = sum(1 for o in items if o.state == "closed")
        follow_up = f"协商议事：{consultation.get_state_display()}"  # type: ignore[union-attr]
        if items:
            follow_up += f"，形成协商成果{len(items)}项，已办结{closed}项"
    return {
        "number": concern.number,
        "title": concern.title,
        "station": concern.station.name if concern.station_id else concern.committee.name,  # type: ignore[union-attr]
        "raised_on": timezone.localtime(concern.created_at).date(),
        "state": concern.get_state_display(),
        "outcome": concern.get_outcome_display() if concern.outcome else "",
        "result": concern.result,
        "follow_up": follow_up,
        "events": [(timezone.localtime(e.at), e.note) for e in concern.events.filter(public=True)],
    }


def concern_lookup(number: str) -> Concern | None:
    number = normalise_number(number)
    if len(number) != 12:
        return None
    return (
        Concern.objects.select_related("station", "committee", "opinion_report", "proposal", "consultation")
        .filter(number=number)
        .first()
    )
