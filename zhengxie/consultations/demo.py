"""演示数据: 协商计划与协商活动 for the demo committees, made through the same services users go through.

Per committee with members and handling units: a published plan for the current year with 9-13 topics,
consultations of all seven forms plus a research and an inspection trip, participants with attendance,
speeches, an online round (open) and an earlier one (ended) with contributions, a democratic review of two
departments with scores, agreed items at every stage of the closed loop (two overdue), some consultations
closed, some good cases, and a planned one. Guang'an district's micro consultations run under
“有事来协商” at its stations, one by the demo member login at their own station.

Actors: the committee's office login (or a login-less clerk), a clerk per handling unit used (the demo unit
login for its own unit), login-less users for the members who score or write online. Deterministic
(random.Random(SEED)); committees that already have a plan are left alone.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from zhengxie.accounts.audit import audit_bulk, audit_context
from zhengxie.accounts.models import Role, RoleGrant, User
from zhengxie.consultations import plans, reviews, rounds, services
from zhengxie.consultations.models import (
    Consultation,
    ConsultationPlan,
    Form,
    OnlineRound,
    Outcome,
    OutcomeState,
    Topic,
)
from zhengxie.opinions import services as opinions
from zhengxie.opinions.models import InstructionLevel
from zhengxie.org.models import Committee, HandlingUnit, Member, SpecialCommittee, Station

SEED = 20260420
DEMO_RESULT = "演示数据"
PASSWORD = "!demo-no-login"  # noqa: S105 - an unusable password marker, not a secret
GUANGAN = "511602"
SERIES = {GUANGAN: "有事来协商", "440700": "委员议事厅", "440704": "邑事好商量"}
DEFAULT_SERIES = "有事好商量"

# Topic titles per form; "{r}" is the region.
TOPICS: dict[str, list[str]] = {
    Form.PLENARY: ["围绕{r}国民经济和社会发展计划建言献策", "推动{r}高质量发展"],
    Form.STANDING: ["推进{r}城市更新行动", "加快培育发展新质生产力", "持续优化{r}营商环境"],
    Form.RESEARCH: ["推进{r}乡村振兴示范带建设", "提升基层医疗卫生服务能力", "加强华侨文化遗产保护利用"],
    Form.PROPOSAL: ["重点提案“老旧小区加装电梯”办理协商", "重点提案“课后服务提质”办理协商"],
    Form.SUPERVISORY: ["对{r}市直部门开展民主评议", "民主监督“一老一小”民生实事落实"],
    Form.MICRO: [
        "朝翠路路灯安装", "老旧小区停车难", "农贸市场环境整治", "学校门口交通安全", "小区雨污分流改造",
        "村道硬底化", "社区长者饭堂运营",
    ],
    Form.OPEN: ["城市公园开放共享", "发展夜间经济", "“一老一小”服务体系建设"],
}  # fmt: skip
TRIPS = {
    Consultation.Kind.RESEARCH: ["{r}乡村振兴专题调研", "{r}数字经济发展情况调研"],
    Consultation.Kind.INSPECTION: ["{r}河涌水环境整治视察", "{r}民生实事项目视察"],
}
OUTCOME_TEXTS = [
    "在{t}中明确牵头部门和完成时限",
    "设立专项资金，加大财政投入",
    "建立部门联席会议制度，定期通报进展",
    "开展群众满意度回访",
    "将相关工作纳入年度绩效考核",
    "在重点区域先行试点，总结经验后推广",
    "完善相关配套设施",
    "加强宣传引导，畅通群众反映渠道",
]
VISIT_PLACES = ["示范村", "产业园区", "社区服务中心", "项目施工现场", "街道便民服务站"]
QUESTIONS = [("工作作风", 2, 10), ("依法行政", 2, 10), ("办事效率", 3, 10), ("办理政协提案和协商成果", 3, 20)]
GUESTS = [
    ("official", "{unit}负责人"),
    ("expert", "{u}教授"),
    ("public", "群众代表"),
]
# The stages agreed items are driven to, cycled so every committee has each.
STAGES = ["draft", "transferred", "accepted", "not_accepted", "done", "closed", "accepted", "closed"]


class _Cast:
    """The people who act on one committee's consultations."""

    def __init__(self, committee: Committee, rng: random.Random) -> None:
        self.committee = committee
        self.rng = rng
        self.region = committee.region_name or "全国"
        self.office = self._office()
        self.unit_users: dict[int, User] = {
            g.handling_unit_id: g.user
            for g in RoleGrant.objects.filter(committee=committee, role=Role.UNIT).select_related("user")
        }
        units = list(HandlingUnit.objects.filter(committee=committee, is_active=True).order_by("pk"))
        preferred = [u for u in units if u.pk in self.unit_users]
        rest = [u for u in units if u.pk not in self.unit_users]
        self.units = (preferred + rest)[:6]
        self._ensure_unit_users()
        self.members = list(
            Member.objects.filter(committee=committee, status=Member.Status.ACTIVE)
            .select_related("user", "station")
            .order_by("pk")
        )
        self.login_member = next(
            (m for m in self.members if m.user_id and m.user.username.endswith("_member")), None
        )
        with_login = [m for m in self.members if m.user_id]
        self.voices = with_login[:12] if len(with_login) >= 8 else self._give_logins(12)
        self.specials = list(SpecialCommittee.objects.filter(committee=committee).order_by("pk"))
        self.stations = list(Station.objects.filter(committee=committee).order_by("pk"))

    def _office(self) -> User:
        grant = (
            RoleGrant.objects.filter(committee=self.committee, role=Role.OFFICE)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        if grant is not None:
            return grant.user
        user = User.objects.create(
            username=f"c{self.committee.pk}_xie_office",
            display_name=f"{self.region}政协办公室工作人员",
            password=PASSWORD,
        )
        RoleGrant.objects.create(user=user, committee=self.committee, role=Role.OFFICE)
        return user

    def _ensure_unit_users(self) -> None:
        for unit in self.units:
            if unit.pk in self.unit_users:
                continue
            user = User.objects.filter(username=f"u{unit.pk}_clerk").first() or User.objects.create(
                username=f"u{unit.pk}_clerk", display_name=f"{unit.name}经办人", password=PASSWORD
            )
            RoleGrant.objects.get_or_create(
                user=user, committee=self.committee, role=Role.UNIT, handling_unit=unit
            )
            self.unit_users[unit.pk] = user

    def _give_logins(self, n: int) -> list[Member]:
        """Login-less users for members who score and write online, when no earlier part made them."""
        chosen = [m for m in self.members if m.position == Member.Position.MEMBER][:n]
        missing = [m for m in chosen if m.user_id is None]
        users = [User(username=f"m{m.pk}", display_name=m.name, password=PASSWORD) for m in missing]
        User.objects.bulk_create(users)
        for m, u in zip(missing, users, strict=True):
            m.user = u
        Member.objects.bulk_update(missing, ["user"])
        grants = [RoleGrant(user=u, committee=self.committee, role=Role.MEMBER) for u in users]
        RoleGrant.objects.bulk_create(grants)
        audit_bulk(action="create", objects=[*users, *grants], result=DEMO_RESULT)
        return chosen

    def unit(self) -> HandlingUnit:
        return self.rng.choice(self.units)


def _past(rng: random.Random, today: date) -> date:
    """A day earlier this year (or in the last two months, early in January)."""
    span = max(60, (today - date(today.year, 1, 1)).days)
    return today - timedelta(days=rng.randint(1, span))


def _plan(cast: _Cast, today: date) -> list[Topic]:
    rng, office, region = cast.rng, cast.office, cast.region
    plan = plans.plan_create(
        user=office, committee=cast.committee, year=today.year, title=f"{region}政协{today.year}年度协商计划"
    )
    forms = list(Form.values) + rng.sample(list(Form.values), rng.randint(2, 6))
    topics = []
    for i, form in enumerate(forms):
        lead = cast.specials[i % len(cast.specials)] if cast.specials and form != Form.MICRO else None
        title = TOPICS[form][i % len(TOPICS[form])].format(r=region)
        topics.append(
            plans.topic_add(
                plan=plan,
                user=office,
                title=title,
                form=form,
                month=1 + (i * 12 // len(forms)),
                lead_id=lead.pk if lead else None,
                description=f"由{lead.name if lead else '相关委员工作室'}牵头，围绕{title}组织协商。",
            )
        )
    approved_on = min(today, date(today.year, 1, 20))
    plan = plans.plan_approve(
        plan=plan,
        user=office,
        approved_on=approved_on,
        approval_document=f"{region[:2]}委〔{today.year}〕8号",
    )
    plans.plan_publish(plan=plan, user=office)
    return topics


def _people(cast: _Cast, c: Consultation, user: User, members: list[Member], guests: int = 2) -> None:
    """Invite members and guests; most attend, one asks for leave, one is absent."""
    rng = cast.rng
    invited = [
        services.participant_add(consultation=c, user=user, member=m)
        for m in {m.pk: m for m in members}.values()
    ]
    for kind, name in rng.sample(GUESTS, min(guests, len(GUESTS))):
        unit = cast.unit().name
        invited.append(
            services.participant_add(
                consultation=c,
                user=user,
                kind=kind,
                name=name.format(unit=unit, u=rng.choice("王李张陈黄刘")),
                organisation=unit if kind == "official" else "",
            )
        )
    if c.held_on > timezone.localdate():
        return
    for i, p in enumerate(invited):
        if i == 2 and p.member_id:
            services.attendance_set(
                consultation=c, user=user, participant=p, attendance="leave", leave_reason="因公出差"
            )
        elif i == 3 and p.member_id and rng.random() < 0.5:
            services.attendance_set(consultation=c, user=user, participant=p, attendance="absent")
        else:
            services.attendance_set(consultation=c, user=user, participant=p, attendance="attended")


def _drive(cast: _Cast, outcome: Outcome, stage: str, user: User) -> Outcome:
    """Take a draft item to `stage` through the closed loop."""
    rng, today = cast.rng, timezone.localdate()
    if stage == "draft":
        return outcome
    unit = cast.unit()
    clerk = cast.unit_users[unit.pk]
    outcome = services.outcome_transfer(
        outcome=outcome, user=user, unit=unit, deadline=today + timedelta(days=rng.randint(20, 90))
    )
    if stage == "transferred":
        return outcome
    declined = stage == "not_accepted" or (stage == "closed" and rng.random() < 0.25)
    if declined:
        outcome = services.outcome_respond(
            outcome=outcome,
            user=clerk,
            accept=False,
            response="受资金和用地条件限制，暂不具备实施条件，列入下一年度统筹考虑",
        )
    else:
        outcome = services.outcome_respond(
            outcome=outcome, user=clerk, accept=True, response="纳入本单位年度工作计划"
        )
        for percent in sorted(rng.sample(range(10, 95, 5), rng.randint(1, 2))):
            services.outcome_progress(
                outcome=outcome,
                user=clerk,
                percent=percent,
                note=f"已完成方案制定，正在推进实施（约{percent}%）",
            )
        if stage == "accepted":
            return outcome
        outcome = services.outcome_complete(outcome=outcome, user=clerk, note="已全部落实到位")
        if stage == "done":
            return outcome
    if stage == "not_accepted":
        return outcome
    return services.outcome_report_back(
        outcome=outcome, user=user, feedback="已通过座谈和电话向参加协商的委员、群众代表反馈办理结果"
    )


def _outcomes(cast: _Cast, c: Consultation, user: User, stages: list[str], topic: str) -> None:
    texts = cast.rng.sample(OUTCOME_TEXTS, len(stages))
    for stage, text in zip(stages, texts, strict=True):
        outcome = services.outcome_add(consultation=c, user=user, text=text.format(t=topic))
        _drive(cast, outcome, stage, user)


def _speeches(cast: _Cast, c: Consultation, n: int) -> None:
    attended = list(c.participants.filter(attendance="attended").order_by("pk"))
    for p in attended[:n]:
        services.speech_add(
            consultation=c,
            user=cast.office,
            participant=p,
            title=f"关于{c.title}的几点建议" if p.member_id else f"{p.organisation or p.name}情况介绍",
            text="一是加强统筹协调；二是加大投入保障；三是建立长效机制。",
        )


class _Stages:
    """Hands out outcome stages in turn, so each committee has items at every stage."""

    def __init__(self) -> None:
        self.i = 0

    def take(self, n: int) -> list[str]:
        out = [STAGES[(self.i + k) % len(STAGES)] for k in range(n)]
        self.i += n
        return out


def _hold(cast: _Cast, c: Consultation, user: User, members: list[Member]) -> Consultation:
    _people(cast, c, user, members)
    return services.consultation_hold(
        consultation=c,
        user=user,
        summary=f"与会人员围绕“{c.title}”深入交流，形成协商意见。",
        minutes=f"会议纪要：{c.title}。与会委员、部门负责人和群众代表逐一发言，达成共识。",
    )


def _close(cast: _Cast, c: Consultation, user: User, topic: str) -> Consultation:
    _outcomes(cast, c, user, ["closed"] * 2, topic)
    return services.consultation_close(consultation=Consultation.objects.get(pk=c.pk), user=user)


def _seed_committee(cast: _Cast, today: date) -> int:
    rng, office, region = cast.rng, cast.office, cast.region
    code = cast.committee.division_code or ""
    series = SERIES.get(code, DEFAULT_SERIES)
    topics = _plan(cast, today)
    by_form: dict[str, list[Topic]] = {}
    for t in topics:
        by_form.setdefault(t.form, []).append(t)
    stages = _Stages()
    made: list[Consultation] = []

    def members(n: int) -> list[Member]:
        voices = rng.sample(cast.voices, min(len(cast.voices), max(2, n // 2)))
        return voices + rng.sample(cast.members, min(len(cast.members), n - len(voices)))

    def create(form: str, user: User = office, **kwargs: object) -> Consultation:
        topic = by_form[form][0] if form in by_form else None
        data: dict[str, object] = {
            "user": user,
            "committee": cast.committee,
            "title": topic.title if topic else "",
            "held_on": _past(rng, today),
            "form": form,
            "topic_id": topic.pk if topic else None,
            "lead_id": topic.lead_id if topic else None,
            "place": f"{region}政协会议室",
        }
        data.update(kwargs)
        c = services.consultation_create(**data)  # type: ignore[arg-type]
        made.append(c)
        return c

    # 全体会议协商: closed, every item reported back; a good case.
    c = _hold(cast, create(Form.PLENARY, place=f"{region}会议中心"), office, members(6))
    _speeches(cast, c, 2)
    c = _close(cast, c, office, c.title)
    services.case_mark(
        consultation=c, user=office, summary=f"围绕{c.title}开展全体会议协商，所提意见全部办结反馈。"
    )
    # 专题议政性常委会议, 专题调研协商, 提案办理协商: held, items at every stage.
    for form in (Form.STANDING, Form.RESEARCH, Form.PROPOSAL):
        c = _hold(cast, create(form), office, members(5))
        _speeches(cast, c, 2)
        _outcomes(cast, c, office, stages.take(rng.randint(2, 3)), c.title)
    # 监督式协商 with a democratic review of two departments.
    c = _hold(cast, create(Form.SUPERVISORY), office, members(6))
    _outcomes(cast, c, office, stages.take(2), c.title)
    scorers = [p for p in c.participants.select_related("member__user") if p.member_id and p.member.user_id]
    for i, unit in enumerate(rng.sample(cast.units, min(2, len(cast.units)))):
        review = reviews.review_create(consultation=c, user=office, unit=unit, questions=QUESTIONS)
        questions = list(review.questions.all())
        bias = rng.choice([0.95, 0.8, 0.6])
        for p in scorers:
            scores = {
                q.pk: max(0, min(q.max_score, round(q.max_score * (bias + rng.uniform(-0.15, 0.08)))))
                for q in questions
            }
            reviews.review_submit_scores(review=review, user=p.member.user, scores=scores)  # type: ignore[union-attr]
        if i == 0:
            reviews.review_close(review=review, user=office)
    # 开放式协商 with an online round still open and one that has ended.
    c = _hold(cast, create(Form.OPEN, series=series), office, members(5))
    _outcomes(cast, c, office, stages.take(2), c.title)
    now = timezone.now()
    for question, ended in (
        (f"{c.title}：您有什么好建议？", False),
        ("上一轮网络议政：群众最关心的问题", True),
    ):
        online = rounds.round_open(
            consultation=c,
            user=office,
            question=question,
            opens_at=now - timedelta(days=3),
            closes_at=now + timedelta(days=rng.randint(5, 14)),
        )
        previous = None
        for m in rng.sample(cast.voices, min(4, len(cast.voices))):
            text = rng.choice(["建议分步实施，先易后难。", "要充分听取群众意见。", "可借鉴兄弟城市经验。"])
            previous = rounds.contribute(
                round=online,
                user=m.user,  # type: ignore[arg-type]
                text=text,
                reply_to=previous if previous is not None and rng.random() < 0.4 else None,
            )
        if ended:
            OnlineRound.objects.filter(pk=online.pk).update(
                closes_at=now - timedelta(hours=rng.randint(2, 48))
            )
    # 基层小微协商 under the committee's series at its stations.
    stations = cast.stations or [None]
    n_micro = 4 if code == GUANGAN else 2
    micro_titles = rng.sample(TOPICS[Form.MICRO], n_micro)
    for i, title in enumerate(micro_titles):
        station = stations[i % len(stations)]
        user = office
        if i == 0 and cast.login_member is not None and cast.login_member.station_id:
            # The member runs a micro consultation at their own station.
            station = cast.login_member.station
            user = cast.login_member.user  # type: ignore[assignment]
        place = station.address or station.name if station else f"{region}政协委员工作室"
        c = create(
            Form.MICRO,
            user=user,
            title=f"{series}：{title}",
            series=series,
            station_id=station.pk if station else None,
            place=place,
        )
        local = [m for m in cast.members if station and m.station_id == station.pk][:4]
        c = _hold(cast, c, user, local + members(4))
        if i == 0:
            c = _close(cast, c, user, title)
            services.case_mark(
                consultation=c,
                user=office,
                summary=f"群众在{station.name if station else '工作室'}反映“{title}”问题，委员组织{series}，一月内解决。",
            )
        else:
            _outcomes(cast, c, user, stages.take(2), title)
    # 调研 and 视察: visits; the research trip's report is forwarded and instructed.
    for kind in (Consultation.Kind.RESEARCH, Consultation.Kind.INSPECTION):
        c = create("", kind=kind, title=rng.choice(TRIPS[kind]).format(r=region), topic_id=None, place=region)
        c = _hold(cast, c, office, members(4))
        for place in rng.sample(VISIT_PLACES, 2):
            services.visit_add(
                consultation=c,
                user=office,
                visited_on=c.held_on,
                place=f"{region}{place}",
                note="实地察看，听取情况介绍。",
            )
        if kind == Consultation.Kind.RESEARCH:
            report = services.report_attach(
                consultation=c,
                user=office,
                title=f"关于{c.title}的报告",
                situation=f"调研组深入{region}各地实地调研，召开座谈会听取意见。",
                suggestion="一是完善政策体系；二是加大要素保障；三是强化督查落实。",
            )
            opinions.report_forward(
                report=report, user=office, target="party_committee", receiver=f"中共{region}委员会办公室"
            )
            opinions.instruction_add(
                report=report,
                user=office,
                level=InstructionLevel.COUNTY
                if cast.committee.level == Committee.Level.COUNTY
                else InstructionLevel.CITY,
                leader_name="主要领导",
                leader_title=f"{region}党委",
                text="请有关部门认真研究吸纳。",
            )
            services.case_mark(
                consultation=c, user=office, summary=f"{c.title}形成的报告获党委主要领导批示。"
            )
        else:
            _outcomes(cast, c, office, stages.take(2), c.title)
    # 筹备中: a standing-committee consultation next month, participants invited.
    c = create(
        Form.STANDING,
        title=f"{region}政协常委会议专题协商（筹备）",
        held_on=today + timedelta(days=rng.randint(10, 40)),
    )
    _people(cast, c, office, members(4))

    _overdue(cast, made)
    return len(made)


def _overdue(cast: _Cast, made: list[Consultation]) -> None:
    """Two items past their deadline, so the overdue flag has something to flag."""
    late = list(
        Outcome.objects.filter(
            consultation__in=made, state__in=[OutcomeState.TRANSFERRED, OutcomeState.ACCEPTED]
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:2]
    )
    past = timezone.localdate() - timedelta(days=cast.rng.randint(3, 20))
    Outcome.objects.filter(pk__in=late).update(deadline=past)


def seed_consultations(stdout: TextIO | None = None) -> int:
    """Create the demo plans and consultations; returns how many consultations were made."""
    rng = random.Random(SEED)
    started = timezone.now()
    today = timezone.localdate()
    total = 0
    with transaction.atomic(), audit_context(label=DEMO_RESULT):
        committees = Committee.objects.filter(members__isnull=False, handling_units__isnull=False).distinct()
        for committee in committees.order_by("path"):
            if ConsultationPlan.objects.filter(committee=committee).exists():
                continue
            cast = _Cast(committee, rng)
            if not cast.units or len(cast.members) < 12:
                continue
            total += _seed_committee(cast, today)
    if stdout is not None:
        seconds = (timezone.now() - started).total_seconds()
        stdout.write(f"已生成演示协商活动{total}场；用时{seconds:.1f}秒\n")
    return total
