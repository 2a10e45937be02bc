"""演示数据: scoring rules, duties entered by staff, member claims and contests, then the year's evaluation.

Runs last in seed_demo, after the capabilities that record duties themselves (proposals, opinion reports,
consultations, concerns). For every demo committee: this year's and last year's 考评办法 (through
services.scheme_create), off-platform duties entered by staff for about half the members (bulk-created
with their audit rows: several thousand rows through the one-row service would take a minute), a few
member claims (services.duty_claim; some confirmed or rejected by the office), a contest or two, then
scoring.recompute for each committee-year so the pages show points and ranks at once. The demo member
login of each committee gets a full page: every kind of off-platform duty, caps reached, a deduction, a
pending claim and an open contest.

Deterministic (random.Random(SEED)); committees that already have rules for this year are left alone.
The services enqueue a recomputation on commit; it recomputes what is already computed here.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from datetime import date, timedelta
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from zhengxie.accounts.audit import audit_bulk, audit_context
from zhengxie.accounts.models import Role, RoleGrant, User
from zhengxie.duties import scoring, services
from zhengxie.duties.models import DutyKind, DutyRecord, ScoringScheme
from zhengxie.org.models import Committee, Member

SEED = 20260606
DEMO_RESULT = "演示数据"
K = DutyKind

RULES: dict[str, tuple[int, int | None]] = {
    K.PROPOSAL: (5, 20),
    K.PROPOSAL_COSIGN: (1, 5),
    K.PROPOSAL_FILED: (3, None),
    K.PROPOSAL_KEY: (5, None),
    K.PROPOSAL_EXCELLENT: (10, None),
    K.OPINION: (2, None),
    K.OPINION_FORWARDED: (1, None),
    K.OPINION_ADOPTED: (5, None),
    K.INSTRUCTION: (10, None),
    K.CONSULTATION: (3, None),
    K.OUTCOME_DONE: (2, None),
    K.RESEARCH: (3, None),
    K.SPEECH: (5, None),
    K.TRAINING: (2, 10),
    K.READING: (1, 5),
    K.STATION_DUTY: (2, None),
    K.CONCERN: (2, None),
    K.VISIT: (2, None),
    K.VOLUNTEER: (2, None),
    K.INVESTMENT: (5, None),
    K.ATTENDANCE: (2, None),
    K.LEAVE: (0, None),
    K.ABSENCE: (-5, 20),
}
THRESHOLD = 10

TRAININGS = [
    "参加新任委员履职能力提升培训班",
    "参加学习贯彻全国两会精神专题培训",
    "参加政协理论研讨与履职培训",
    "参加提案撰写专题辅导讲座",
    "参加社情民意信息工作培训",
    "参加委员网上履职平台使用培训",
]
BOOKS = ["《乡土中国》", "《人民政协理论与实践》", "《岭南文化概论》", "《中国式现代化》", "《基层协商民主》"]
ENTERPRISES = ["新会陈皮产业园", "智能家电制造企业", "侨乡食品加工企业", "新能源电池企业", "跨境电商企业"]
PROBLEMS = ["用工紧张", "融资成本高", "用地审批慢", "物流配套不足", "人才引进难"]
PROJECTS = [
    ("高端装备制造产业园", 120000),
    ("新能源汽车零部件生产基地", 85000),
    ("冷链物流中心", 32000),
    ("文旅综合体", 56000),
]
VOLUNTEERING = [
    ("参加“委员助学”捐资助学活动", {"donation": 5000}),
    ("参加“送医下乡”义诊志愿服务", {"hours": 6}),
    ("参加“关爱留守儿童”志愿服务", {"hours": 4}),
    ("向受灾村捐赠防汛物资", {"donation": 20000}),
]
RESEARCH = ["老旧小区改造", "乡村振兴", "营商环境", "养老服务", "河涌治理", "中小学课后服务"]
MEETINGS = ["全体会议", "常委会议", "专题协商会", "主席会议扩大会议"]
CLAIMS = [
    (K.TRAINING, "参加省政协委员学习研讨班", "2天，结业证书编号 GD-2026-0418"),
    (K.VOLUNTEER, "参加社区义诊志愿服务", "服务时长4小时，社区居委会出具证明"),
    (K.VISIT, "走访辖区民营企业3家", "走访记录及企业签字确认单"),
    (K.READING, "参加“书香政协”线上读书分享", "读书笔记1篇，平台截图"),
]

# Off-platform kinds an ordinary member gets, with weights.
STAFF_KINDS = [
    (K.TRAINING, 5),
    (K.READING, 4),
    (K.ATTENDANCE, 5),
    (K.STATION_DUTY, 3),
    (K.VISIT, 2),
    (K.VOLUNTEER, 2),
    (K.RESEARCH, 2),
    (K.SPEECH, 1),
    (K.INVESTMENT, 1),
    (K.LEAVE, 1),
    (K.ABSENCE, 1),
]
# The demo member login's page: every kind, the training and reading caps reached, one deduction.
LOGIN_KINDS = [
    *[K.TRAINING] * 6,
    *[K.READING] * 7,
    *[K.ATTENDANCE] * 3,
    *[K.STATION_DUTY] * 2,
    K.VISIT,
    K.VOLUNTEER,
    K.INVESTMENT,
    K.RESEARCH,
    K.SPEECH,
    K.LEAVE,
    K.ABSENCE,
]


class _Seeder:
    def __init__(self, committee: Committee, rng: random.Random, today: date) -> None:
        self.committee = committee
        self.rng = rng
        self.today = today
        self.region = committee.region_name or "全国"
        self.office = _office(committee)

    def day(self, year: int) -> date:
        start = date(year, 1, 1)
        end = min(date(year, 12, 31), self.today - timedelta(days=1))
        if end <= start:
            return start
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def duty(self, member: Member, kind: str, year: int) -> DutyRecord:
        rng, region = self.rng, self.region
        detail: dict[str, object] = {}
        if kind == K.TRAINING:
            title = rng.choice(TRAININGS)
        elif kind == K.READING:
            title = f"参加“书香政协”读书活动，共读{rng.choice(BOOKS)}"
        elif kind == K.ATTENDANCE:
            title = f"出席{region}政协{rng.choice(MEETINGS)}"
        elif kind == K.LEAVE:
            title = f"{rng.choice(MEETINGS)}请假"
            detail = {"note": rng.choice(["因公出差", "因病请假", "参加企业重要会议"])}
        elif kind == K.ABSENCE:
            title = f"未请假缺席{rng.choice(MEETINGS)}"
        elif kind == K.STATION_DUTY:
            station = member.station.name if member.station_id else f"{region}委员联络站"
            title = f"在{station}值班接待群众"
            detail = {"place": station, "note": f"接待群众{rng.randint(2, 9)}人次"}
        elif kind == K.VISIT:
            enterprise = rng.choice(ENTERPRISES)
            title = f"走访{region}{enterprise}"
            found = rng.sample(PROBLEMS, 2)
            detail = {"enterprise": enterprise, "problems": "、".join(found), "solved": found[0]}
        elif kind == K.VOLUNTEER:
            title, detail = rng.choice(VOLUNTEERING)
            detail = dict(detail)
        elif kind == K.RESEARCH:
            title = f"参加“{region}{rng.choice(RESEARCH)}”专题调研"
        elif kind == K.SPEECH:
            title = f"在全体会议上作大会发言：关于{region}{rng.choice(RESEARCH)}工作的建议"
        elif kind == K.INVESTMENT:
            project, value = rng.choice(PROJECTS)
            title = f"引进{project}项目落户{region}"
            detail = {"project": project, "contract_value": str(value)}
        else:
            title = DutyKind(kind).label
        on = self.day(year)
        return DutyRecord(
            committee=self.committee,
            member=member,
            year=on.year,
            kind=kind,
            title=title[:200],
            occurred_on=on,
            detail=detail,
            status=DutyRecord.Status.CONFIRMED,
            origin=DutyRecord.Origin.STAFF,
            created_by=self.office,
        )

    def staff_duties(self, members: list[Member], login: Member | None, year: int, share: float) -> int:
        kinds = [k for k, _ in STAFF_KINDS]
        weights = [w for _, w in STAFF_KINDS]
        rows: list[DutyRecord] = []
        for member in members:
            if member is login:
                rows += [self.duty(member, kind, year) for kind in LOGIN_KINDS]
            elif self.rng.random() < share:
                rows += [
                    self.duty(member, k, year)
                    for k in self.rng.choices(kinds, weights, k=self.rng.randint(1, 6))
                ]
        DutyRecord.objects.bulk_create(rows, batch_size=1000)
        audit_bulk(action="create", objects=rows, result=DEMO_RESULT)
        return len(rows)

    def scheme(self, year: int, version_note: str = "") -> ScoringScheme:
        return services.scheme_create(
            user=self.office,
            committee=self.committee,
            year=year,
            name=f"{self.committee.name}{year}年度委员履职考评办法",
            rules=RULES,  # type: ignore[arg-type]
            threshold=THRESHOLD,
            note=version_note,
        )

    def claims(self, login: Member | None, others: list[Member]) -> int:
        made = 0
        year = self.today.year
        if login is not None and login.user is not None:
            for index, (kind, title, evidence) in enumerate(CLAIMS):
                record = services.duty_claim(
                    user=login.user, kind=kind, title=title, occurred_on=self.day(year), evidence=evidence
                )
                made += 1
                if index == 1:
                    services.duty_review(record=record, user=self.office, approve=True, note="情况属实")
                elif index == 2:
                    services.duty_review(
                        record=record,
                        user=self.office,
                        approve=False,
                        note="缺少企业签字确认单，请补充后重新申报",
                    )
        for member in others:
            kind, title, evidence = self.rng.choice(CLAIMS)
            services.duty_claim(
                user=member.user,  # type: ignore[arg-type]
                kind=kind,
                title=title,
                occurred_on=self.day(year),
                evidence=evidence,
            )
            made += 1
        return made

    def contests(self, login: Member | None) -> int:
        if login is None or login.user is None:
            return 0
        year = self.today.year
        mine = DutyRecord.objects.filter(member=login, year=year, status=DutyRecord.Status.CONFIRMED)
        made = 0
        absence = mine.filter(kind=K.ABSENCE).order_by("id").first()
        if absence is not None:
            services.contest_open(
                record=absence, user=login.user, reason="当天已向秘书处电话请假，有通话记录，请核实"
            )
            made += 1
        attendance = mine.filter(kind=K.ATTENDANCE).order_by("id").first()
        if attendance is not None:
            contest = services.contest_open(
                record=attendance, user=login.user, reason="会议日期记录有误，实际为次日"
            )
            services.contest_resolve(
                contest=contest, user=self.office, uphold=False, resolution="经核对签到表，日期无误，记录保留"
            )
            made += 1
        return made


def _office(committee: Committee) -> User:
    grant = (
        RoleGrant.objects.filter(committee=committee, role=Role.OFFICE)
        .select_related("user")
        .order_by("id")
        .first()
    )
    if grant is not None:
        return grant.user
    user = User(
        username=f"c{committee.pk}_duty_office",
        display_name=f"{committee.region_name or '全国'}政协委员工作室工作人员",
        password="!demo-no-login",  # noqa: S106 - an unusable password marker, not a secret
    )
    user.save()
    RoleGrant.objects.create(user=user, committee=committee, role=Role.OFFICE)
    return user


def seed_duties(stdout: TextIO | None = None, *, only_codes: Collection[str] | None = None) -> int:
    """Create the demo duties and evaluations; returns how many duty records were written here.
    only_codes limits the committees (division codes), for tests that need one committee fast."""
    rng = random.Random(SEED)
    started = timezone.now()
    today = timezone.localdate()
    total = 0
    committees = Committee.objects.filter(members__isnull=False).distinct().order_by("path")
    if only_codes is not None:
        committees = committees.filter(division_code__in=list(only_codes))
    with transaction.atomic(), audit_context(label=DEMO_RESULT):
        for committee in committees:
            if ScoringScheme.objects.filter(committee=committee, year=today.year).exists():
                continue
            seeder = _Seeder(committee, rng, today)
            members = list(
                Member.objects.filter(committee=committee, status=Member.Status.ACTIVE)
                .select_related("user", "station")
                .order_by("pk")
            )
            login = next((m for m in members if m.user_id and m.user.username.endswith("_member")), None)  # type: ignore[union-attr]
            with_users = [m for m in members if m.user_id and m is not login]
            last = today.year - 1
            seeder.scheme(last)
            total += seeder.staff_duties(members, login, last, share=0.4)
            seeder.scheme(today.year)
            total += seeder.staff_duties(members, login, today.year, share=0.5)
            total += seeder.claims(login, rng.sample(with_users, min(3, len(with_users))))
            seeder.contests(login)
            scoring.recompute(committee.pk, last)
            scoring.recompute(committee.pk, today.year)
    if stdout is not None:
        seconds = (timezone.now() - started).total_seconds()
        stdout.write(
            f"已生成演示履职记录{total}条及{today.year - 1}、{today.year}年度考评；用时{seconds:.1f}秒\n"
        )
    return total
