"""Demo proposals: for every demo committee with members, handling units and a session, 40-70 proposals
in every state, driven through the services as the right people, so numbers, transitions, audit rows and
notifications are real.

Actors: the committee's office login (or a non-login clerk made here), a clerk per handling unit used
(the demo unit login for its own unit), and a login-less user for each member who writes or co-signs.
Deterministic (random.Random(SEED)); committees that already have proposals are left alone.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from zhengxie.accounts.audit import audit_bulk, audit_context
from zhengxie.accounts.models import Role, RoleGrant, User
from zhengxie.org.models import Committee, HandlingUnit, Member, Party, Session
from zhengxie.proposals import services
from zhengxie.proposals.models import Assignment, Category, Proposal, State

SEED = 20260315
DEMO_RESULT = "演示数据"

# Topics per category; "{r}" is the region ("江门市"), so titles read like the committee's own.
TOPICS: dict[str, list[str]] = {
    Category.ECONOMY: [
        "加快{r}先进制造业集群发展", "优化{r}营商环境", "支持民营企业融资", "推动{r}跨境电商发展",
        "促进夜间经济健康发展", "加大对专精特新中小企业扶持力度", "推进{r}数字经济与实体经济融合",
        "完善城市停车设施", "发展县域特色产业", "推动侨乡文旅融合发展", "降低物流成本", "建设智慧港口",
    ],
    Category.POLITICS: [
        "加强基层协商民主建设", "推进政务服务“一网通办”", "完善{r}基层社会治理体系", "加强法治政府建设",
        "提升12345热线办理质效", "推动民主监督常态化", "加强网格化管理", "规范涉企行政执法",
    ],
    Category.CULTURE: [
        "保护和活化利用{r}历史文化街区", "加强非物质文化遗产传承", "建设城市书房", "推动侨批文化研究",
        "发展乡村文化旅游", "加强青少年传统文化教育", "提升公共文化服务效能", "保护传统村落",
    ],
    Category.SOCIETY: [
        "加快{r}老旧小区加装电梯", "完善居家社区养老服务体系", "缓解中小学“课后三点半”难题",
        "加强基层医疗卫生服务能力建设", "推进普惠托育服务发展", "加强中小学生心理健康教育",
        "完善灵活就业人员社会保障", "提升农村学校办学水平", "推进无障碍环境建设", "加强食品安全监管",
        "完善新就业形态劳动者权益保障", "推进城乡居民医保便民服务", "加强校园周边交通安全",
    ],
    Category.ECOLOGY: [
        "加强{r}河涌水环境综合治理", "推进垃圾分类提质增效", "建设“口袋公园”", "推动绿色低碳转型",
        "加强农村生活污水治理", "推进新能源汽车充电设施建设", "保护海岸带生态环境", "推进森林城市建设",
    ],
    Category.OTHER: ["加强港澳青年创新创业基地建设", "推动粤港澳大湾区规则衔接", "做好华侨权益保护工作"],
}  # fmt: skip
VERBS = ["关于", "关于进一步", "关于切实"]
BACKGROUND = (
    "近年来，{r}在{t}方面做了大量工作，取得一定成效，但仍存在统筹不够、投入不足、"
    "政策落实不到位等问题。经调研走访，群众反映较为集中的有：一是标准不统一；二是资金保障不足；"
    "三是部门协同不够。"
)
SUGGESTIONS = (
    "一是加强统筹规划，明确牵头部门；二是加大财政投入，拓宽资金渠道；三是完善考核机制，定期通报进展。"
)
REPLY = "收到您提出的《{title}》后，我单位高度重视，认真研究办理。现答复如下：{result}。感谢您对{r}工作的关心和支持。"
RESULT_TEXT = {
    "A": "所提建议已全部采纳，相关措施已落实",
    "B": "所提建议已列入今年工作计划，正在推进",
    "C": "受资金和条件限制，所提建议留作今后工作参考",
}
NOT_FILED_REASONS = ["属于个人诉求，不属于提案范围", "涉及司法案件，不宜作为提案", "内容已于上年办复"]
CONTACT_METHODS = ["电话", "座谈", "实地调研", "上门走访"]
# Targets for one committee's current session, before scaling; the remainder is closed.
PLAN = {
    State.DRAFT: 4,
    State.SUBMITTED: 5,
    State.WITHDRAWN: 2,
    State.FILED: 4,
    State.NOT_FILED: 3,
    State.MERGED: 2,
    State.ASSIGNED: 9,
    State.RETURNED: 2,
    State.REPLIED: 6,
    State.REHANDLING: 2,
}
MEMBER_LOGIN_STATES = [
    State.DRAFT,
    State.SUBMITTED,
    State.ASSIGNED,
    State.REPLIED,
    State.CLOSED,
    State.CLOSED,
]


class _Cast:
    """The people who act on one committee's proposals."""

    def __init__(self, committee: Committee, rng: random.Random, password: str) -> None:
        self.committee = committee
        self.rng = rng
        self.password = password
        self.office = self._office()
        self.unit_users: dict[int, User] = {
            g.handling_unit_id: g.user
            for g in RoleGrant.objects.filter(committee=committee, role=Role.UNIT).select_related("user")
        }
        units = list(HandlingUnit.objects.filter(committee=committee, is_active=True).order_by("pk"))
        preferred = [u for u in units if u.pk in self.unit_users]
        rest = [u for u in units if u.pk not in self.unit_users]
        self.units = preferred + rng.sample(rest, min(9, len(rest)))
        self._ensure_unit_users()
        members = list(
            Member.objects.filter(committee=committee, status=Member.Status.ACTIVE)
            .select_related("party", "user")
            .order_by("pk")
        )
        self.leaders = [
            m for m in members if m.position in (Member.Position.CHAIR, Member.Position.VICE_CHAIR)
        ]
        self.login_member = next(
            (m for m in members if m.user_id and m.user.username.endswith("_member")), None
        )
        pool = [m for m in members if m.position in (Member.Position.MEMBER, Member.Position.STANDING)]
        self.authors = rng.sample(pool, min(30, len(pool)))
        if self.login_member is not None and self.login_member not in self.authors:
            self.authors.append(self.login_member)
        self._ensure_member_users(self.authors)
        self.parties = [
            p
            for p in Party.objects.filter(committee=committee).order_by("sort_order")
            if p.kind == Party.Kind.DEMOCRATIC
        ]

    def _new_user(self, username: str, display_name: str) -> User:
        return User(username=username, display_name=display_name, password=self.password)

    def _office(self) -> User:
        grant = (
            RoleGrant.objects.filter(committee=self.committee, role=Role.OFFICE)
            .select_related("user")
            .first()
        )
        if grant is not None:
            return grant.user
        user = self._new_user(
            f"c{self.committee.pk}_tian_office", f"{self.committee.region_name or '全国'}提案委工作人员"
        )
        user.save()
        RoleGrant.objects.create(user=user, committee=self.committee, role=Role.OFFICE)
        return user

    def _ensure_unit_users(self) -> None:
        missing = [u for u in self.units if u.pk not in self.unit_users]
        users = [self._new_user(f"u{u.pk}_clerk", f"{u.name}经办人") for u in missing]
        User.objects.bulk_create(users)
        grants = [
            RoleGrant(user=usr, committee=self.committee, role=Role.UNIT, handling_unit=u)
            for usr, u in zip(users, missing, strict=True)
        ]
        RoleGrant.objects.bulk_create(grants)
        audit_bulk(action="create", objects=[*users, *grants], result=DEMO_RESULT)
        self.unit_users.update({u.pk: usr for usr, u in zip(users, missing, strict=True)})

    def _ensure_member_users(self, members: list[Member]) -> None:
        missing = [m for m in members if m.user_id is None]
        users = [self._new_user(f"m{m.pk}", m.name) for m in missing]
        User.objects.bulk_create(users)
        for m, u in zip(missing, users, strict=True):
            m.user = u
        Member.objects.bulk_update(missing, ["user"])
        grants = [RoleGrant(user=u, committee=self.committee, role=Role.MEMBER) for u in users]
        RoleGrant.objects.bulk_create(grants)
        audit_bulk(action="create", objects=[*users, *grants], result=DEMO_RESULT)


def _title(rng: random.Random, region: str, category: str, used: set[str]) -> tuple[str, str]:
    """A title and its topic, so the background speaks of the same thing."""
    for _ in range(20):
        topic = rng.choice(TOPICS[category]).format(r=region)
        title = f"{rng.choice(VERBS)}{topic}的建议"
        if title not in used:
            break
    used.add(title)
    return title, topic


def _drive(cast: _Cast, p: Proposal, target: str, into: Proposal | None) -> Proposal:
    """Take a fresh draft to `target` through the services."""
    rng, office, author_user = cast.rng, cast.office, p.created_by
    if target == State.DRAFT:
        return p
    p = services.proposal_submit(proposal=p, user=author_user)
    if target == State.SUBMITTED:
        return p
    if target == State.WITHDRAWN:
        return services.proposal_withdraw(proposal=p, user=author_user, reason="需进一步调研后再提交")
    if target == State.NOT_FILED:
        conversion = rng.choice(["", Proposal.Conversion.OPINION, Proposal.Conversion.LETTER])
        return services.review_not_file(
            proposal=p, user=office, reason=rng.choice(NOT_FILED_REASONS), conversion=conversion
        )
    if target == State.MERGED and into is not None:
        return services.review_merge(proposal=p, user=office, into=into)
    p = services.review_file(proposal=p, user=office)
    if target in (State.FILED, State.MERGED):
        return p
    lead, *co = rng.sample(cast.units, 1 + rng.choice([0, 0, 1, 2]))
    p = services.assignment_create(proposal=p, user=office, lead=lead, co_units=co)
    if target == State.ASSIGNED:
        if rng.random() < 0.5:
            services.contact_record(
                proposal=p,
                user=cast.unit_users[lead.pk],
                method=rng.choice(CONTACT_METHODS),
                note="与提案者沟通办理思路。",
            )
        return p
    if target == State.RETURNED:
        return services.assignment_request_return(
            proposal=p, user=cast.unit_users[lead.pk], reason="所提事项不属于本单位职责范围"
        )
    region = cast.committee.region_name or "国家"
    for unit in co:
        services.reply_record(
            proposal=p, user=cast.unit_users[unit.pk], letter="会办意见：同意主办单位意见。"
        )
    services.contact_record(
        proposal=p,
        user=cast.unit_users[lead.pk],
        method=rng.choice(CONTACT_METHODS),
        note="就办理方案征求提案者意见。",
    )
    result = rng.choice("AABBBC")
    services.reply_record(
        proposal=p,
        user=cast.unit_users[lead.pk],
        letter=REPLY.format(title=p.title, result=RESULT_TEXT[result], r=region),
        result=result,
        doc_number=f"{region[:2]}函〔{timezone.localdate().year}〕{p.number}号",
    )
    if target == State.REPLIED:
        return p
    if target == State.REHANDLING:
        services.feedback_record(proposal=p, user=author_user, rating="dissatisfied", comment="建议尚未落实")
        return p
    rating = rng.choice(["satisfied", "satisfied", "satisfied", "basic"])
    services.feedback_record(proposal=p, user=author_user, rating=rating)
    return p


def _seed_committee(committee: Committee, sessions: list[Session], rng: random.Random, password: str) -> int:
    cast = _Cast(committee, rng, password)
    if not cast.units or not cast.authors:
        return 0
    region = committee.region_name or "全国"
    used: set[str] = set()
    current, older = sessions[0], sessions[1] if len(sessions) > 1 else None
    plan: list[tuple[Session, str, Member | None]] = []
    for state, n in PLAN.items():
        plan += [(current, state, None)] * rng.randint(max(1, n - 1), n + 1)
    plan += [(current, State.CLOSED, None)] * rng.randint(6, 10)
    if cast.login_member is not None:
        plan += [(current, s, cast.login_member) for s in MEMBER_LOGIN_STATES]
    if older is not None:
        plan += [(older, State.CLOSED, None)] * rng.randint(12, 18)
        plan += [
            (older, rng.choice([State.NOT_FILED, State.MERGED, State.WITHDRAWN]), None) for _ in range(3)
        ]
    rng.shuffle(plan)
    # Merges need a submitted-or-later target: do them last.
    plan.sort(key=lambda item: item[1] == State.MERGED)

    made: list[Proposal] = []
    categories = list(TOPICS)
    weights = [3, 2, 2, 4, 2, 1]  # economy, politics, culture, society, ecology, other
    for session, target, author in plan:
        author = author or rng.choice(cast.authors)
        collective = author is not cast.login_member and rng.random() < 0.15 and cast.parties
        # A collective proposal is drafted by its contact person, who must belong to the party.
        party = author.party if collective and author.party_id and author.party in cast.parties else None
        category = rng.choices(categories, weights)[0]
        title, topic = _title(rng, region, category, used)
        p = services.proposal_draft_create(
            user=author.user,  # type: ignore[arg-type]
            author=author,
            session=session,
            title=title,
            background=BACKGROUND.format(r=region, t=topic),
            suggestions=SUGGESTIONS,
            category=category,
            kind=Proposal.Kind.COLLECTIVE if party else Proposal.Kind.INDIVIDUAL,
            proposer_kind=Proposal.ProposerKind.PARTY if party else Proposal.ProposerKind.MEMBER,
            party_id=party.pk if party else None,
        )
        if not party and rng.random() < 0.25:
            others = [m for m in cast.authors if m.pk != author.pk]
            invited = rng.sample(others, min(len(others), rng.randint(1, 3)))
            services.cosigner_invite(proposal=p, user=author.user, members=invited)  # type: ignore[arg-type]
            if target != State.DRAFT:
                for m in invited:
                    services.cosigner_respond(proposal=p, user=m.user, confirm=rng.random() < 0.85)  # type: ignore[arg-type]
        into = next((q for q in made if q.session_id == session.pk and q.state not in _NO_MERGE), None)
        made.append(_drive(cast, p, target, into))

    _mark(cast, made, sessions)
    _overdue(cast, made)
    return len(made)


_NO_MERGE = {State.DRAFT, State.WITHDRAWN, State.NOT_FILED, State.MERGED, State.CLOSED}
_HANDLED = {State.FILED, State.ASSIGNED, State.RETURNED, State.REPLIED, State.REHANDLING, State.CLOSED}


def _mark(cast: _Cast, made: list[Proposal], sessions: list[Session]) -> None:
    """Key proposals with supervising leaders, one No. 1 proposal per session, excellent closed ones."""
    rng, office = cast.rng, cast.office
    for session in sessions:
        handled = [p for p in made if p.session_id == session.pk and p.state in _HANDLED]
        if not handled:
            continue
        key = rng.sample(handled, min(len(handled), 4))
        for p in key:
            if cast.leaders:
                services.key_mark(
                    proposal=p, user=office, leaders=rng.sample(cast.leaders, min(2, len(cast.leaders)))
                )
        services.first_mark(proposal=key[0], user=office)
        closed = [p for p in handled if p.state == State.CLOSED]
        for p in rng.sample(closed, min(len(closed), 3)):
            services.excellent_mark(proposal=p, user=office)


def _overdue(cast: _Cast, made: list[Proposal]) -> None:
    """A couple of proposals past their deadline, so overdue reminders have something to remind of."""
    handling = [p for p in made if p.state == State.ASSIGNED][:2]
    past = timezone.localdate() - timedelta(days=cast.rng.randint(3, 20))
    ids = [p.pk for p in handling]
    Proposal.objects.filter(pk__in=ids).update(deadline=past)
    Assignment.objects.filter(proposal_id__in=ids, status=Assignment.Status.ACTIVE).update(deadline=past)


def seed_proposals(stdout: TextIO | None = None) -> int:
    """Create the demo proposals; returns how many were made."""
    rng = random.Random(SEED)
    started = timezone.now()
    # Login-less helper users: an unusable password, hashed by nobody.
    password = "!demo-no-login"  # noqa: S105 - an unusable password marker, not a secret
    total = 0
    with transaction.atomic(), audit_context(label=DEMO_RESULT):
        committees = Committee.objects.filter(members__isnull=False, handling_units__isnull=False).distinct()
        for committee in committees.order_by("path"):
            if Proposal.objects.filter(committee=committee).exists():
                continue
            year = timezone.localdate().year
            sessions = list(
                Session.objects.filter(committee=committee, year__lte=year).order_by("-year", "-number")[:2]
            )
            if not sessions:
                continue
            total += _seed_committee(committee, sessions, rng, password)
    if stdout is not None:
        seconds = (timezone.now() - started).total_seconds()
        stdout.write(f"已生成演示提案{total}件；用时{seconds:.1f}秒\n")
    return total
