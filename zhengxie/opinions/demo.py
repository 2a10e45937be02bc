"""演示数据: 社情民意信息与批示 for the demo committees, made through the same services users go through.

Per committee with members, 20-30 reports in every state (draft, submitted, withdrawn, archived, merged,
forwarded, adopted), some research, advice and inspection reports, some entered by the office on paper or for
a party or a station, forwardings to the Party committee, the government and the higher CPPCC, adoptions and
leader instructions at the levels that fit the committee (some reports instructed twice), and one not-filed
proposal converted into a report where the demo proposals left one. The demo member logins (jm_member, ...)
own reports in several states. Deterministic (random.Random(SEED)); committees that already have reports
are left alone.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from zhengxie.accounts.audit import audit_bulk, audit_context
from zhengxie.accounts.models import Role, RoleGrant, User
from zhengxie.opinions import services
from zhengxie.opinions.models import Forwarding, InstructionLevel, OpinionReport, ReportState
from zhengxie.org.models import Committee, Member, Party

SEED = 20260401
DEMO_RESULT = "演示数据"
S = ReportState
K = OpinionReport.Kind

# Problems as members report them; "{r}" is the region ("江门市").
TOPICS = [
    ("{r}部分老旧小区电动自行车充电难、飞线充电隐患突出", "住房和城乡建设局"),
    ("{r}城郊接合部学校上下学时段交通拥堵", "公安局"),
    ("农村留守老人助餐服务覆盖不足", "民政局"),
    ("{r}部分河涌雨后返黑返臭", "生态环境局"),
    ("中小微企业反映涉企收费仍然偏多", "市场监督管理局"),
    ("基层卫生院全科医生流失严重", "卫生健康委员会"),
    ("新就业形态劳动者职业伤害保障缺位", "人力资源和社会保障局"),
    ("{r}公共停车泊位供需矛盾突出", "交通运输局"),
    ("侨房、侨村保护利用进展缓慢", "侨务办公室"),
    ("乡村振兴项目建成后运营维护资金不足", "农业农村局"),
    ("部分社区嵌入式托育机构收费偏高", "卫生健康委员会"),
    ("中小学生近视率居高不下", "教育局"),
    ("{r}城市内涝点整治进度滞后", "水务局"),
    ("村级集体经济增收渠道单一", "农业农村局"),
    ("预制菜产业标准缺失制约品牌发展", "工业和信息化局"),
    ("外卖骑手电动车交通违法多发", "公安局"),
    ("{r}传统村落古建筑损毁加剧", "文化广电旅游体育局"),
    ("独居老人应急呼叫设施覆盖率低", "民政局"),
    ("高校毕业生留本地就业意愿不强", "人力资源和社会保障局"),
    ("小区物业服务纠纷调处机制不健全", "住房和城乡建设局"),
    ("农村生活垃圾转运设施老化", "城市管理和综合执法局"),
    ("基层网格员待遇偏低、队伍不稳定", "政法委员会"),
    ("新能源汽车公共充电桩布局不均衡", "发展和改革局"),
    ("青少年网络沉迷问题值得关注", "教育局"),
    ("{r}跨境电商企业出口退税周期偏长", "商务局"),
    ("社区心理健康服务供给不足", "卫生健康委员会"),
    ("农产品冷链物流“最先一公里”短板明显", "农业农村局"),
    ("城市“口袋公园”建成后管护缺位", "城市管理和综合执法局"),
]
STUDY_TOPICS = [
    "{r}推进老旧小区改造与完整社区建设",
    "{r}发展银发经济",
    "{r}县域商业体系建设",
    "{r}营商环境优化提升",
    "{r}基层医疗卫生服务体系建设",
    "{r}河湖长制落实",
    "{r}乡村振兴示范带建设",
    "{r}职业教育产教融合",
]
KIND_TITLES = {
    K.RESEARCH: "关于{t}的调研报告",
    K.ADVICE: "关于{t}的建言资政报告",
    K.INSPECTION: "关于{t}情况的视察报告",
}
SITUATION = (
    "近期，{who}在走访调研中了解到，{topic}。群众对此反映较多，主要表现在：一是问题涉及面广，"
    "部分群众日常生活受到影响；二是相关部门职责交叉，协调推进不够顺畅；三是资金、人员等保障不足，"
    "长效机制尚未建立。"
)
STUDY_SITUATION = (
    "为深入了解{topic}情况，{who}组织开展专题调研，先后赴多个镇街、部门和企业实地察看，召开座谈会听取意见。"
    "调研发现，相关工作取得积极进展，但仍存在统筹推进不够、要素保障不足、群众参与不充分等问题。"
)
SUGGESTION = (
    "一是建议由{unit}牵头，会同相关部门开展专项排查，摸清底数；二是完善政策措施，加大资金和人员投入；"
    "三是建立常态化督查机制，定期通报进展，回应群众关切。"
)
INSTRUCTION_TEXT = [
    "请{unit}认真研究，提出切实可行的落实意见。",
    "所反映问题很有针对性，请{unit}牵头研究解决，并将办理情况报告。",
    "建议很好。请{unit}会同有关部门抓紧推进。",
    "请{unit}阅研，结合实际吸收采纳。",
]
ARCHIVE_REASONS = ["内容与已报送信息重复", "属个案诉求，已转有关部门处理", "情况已发生变化，不再报送"]
WITHDRAW_REASONS = ["需要补充调研数据", "拟与其他委员联名后重新报送"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "建国志强海波晓明丽华文军伟红永刚俊杰建平秀英玉兰春生振华国庆宏伟立新卫东学军德明"
TITLES = {
    InstructionLevel.NATIONAL: ["全国政协副主席", "国务院有关部委负责同志"],
    InstructionLevel.PROVINCIAL: ["省委书记", "省长", "副省长", "省委常委"],
    InstructionLevel.CITY: ["市委书记", "市长", "副市长", "市委常委"],
    InstructionLevel.COUNTY: ["区委书记", "区长", "副区长"],
}
# Instruction levels a committee's reports plausibly reach, by committee level (weights in order).
LEVELS_BY_COMMITTEE = {
    Committee.Level.NATIONAL: [InstructionLevel.NATIONAL],
    Committee.Level.PROVINCIAL: [InstructionLevel.PROVINCIAL, InstructionLevel.NATIONAL],
    Committee.Level.PREFECTURE: [
        InstructionLevel.CITY,
        InstructionLevel.PROVINCIAL,
        InstructionLevel.NATIONAL,
    ],
    Committee.Level.COUNTY: [InstructionLevel.COUNTY, InstructionLevel.CITY, InstructionLevel.PROVINCIAL],
}
LEVEL_WEIGHTS = [6, 3, 1]
# Targets for a committee with demo logins (jm_office, jm_member, ...), before jitter; the login member's own
# reports come on top. Committees nobody logs in to get the small plan: every state once, so the pages and
# counts have something to show, while seeding stays fast (each report costs dozens of queries: audit,
# duty records, notifications).
PLAN = {
    S.DRAFT: 1,
    S.SUBMITTED: 2,
    S.WITHDRAWN: 1,
    S.ARCHIVED: 1,
    S.MERGED: 1,
    S.FORWARDED: 3,
    S.ADOPTED: 5,
}
SMALL_PLAN = {
    S.DRAFT: 1,
    S.SUBMITTED: 1,
    S.WITHDRAWN: 1,
    S.ARCHIVED: 1,
    S.MERGED: 1,
    S.FORWARDED: 1,
    S.ADOPTED: 1,
}
LOGIN_MEMBER_STATES = [S.DRAFT, S.SUBMITTED, S.FORWARDED, S.ADOPTED]


class _Cast:
    """The people who act on one committee's reports."""

    def __init__(self, committee: Committee, rng: random.Random, password: str) -> None:
        self.committee = committee
        self.rng = rng
        self.password = password
        self.office = self._office()
        members = list(
            Member.objects.filter(committee=committee, status=Member.Status.ACTIVE)
            .select_related("party", "sector", "station", "user")
            .order_by("pk")
        )
        self.login_member = next(
            (m for m in members if m.user_id and m.user.username.endswith("_member")), None
        )
        pool = [m for m in members if m.position in (Member.Position.MEMBER, Member.Position.STANDING)]
        # Members who already act in the demo (proposal authors) first, so fewer helper users are made.
        with_user = [m for m in pool if m.user_id]
        self.authors = rng.sample(with_user, min(12, len(with_user)))
        if len(self.authors) < 12:
            rest = [m for m in pool if not m.user_id]
            self.authors += rng.sample(rest, min(12 - len(self.authors), len(rest)))
        self._ensure_member_users(self.authors)

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
            username=f"c{self.committee.pk}_xin_office",
            display_name=f"{self.committee.region_name or '全国'}政协信息科工作人员",
            password=self.password,
        )
        RoleGrant.objects.create(user=user, committee=self.committee, role=Role.OFFICE)
        return user

    def _ensure_member_users(self, members: list[Member]) -> None:
        missing = [m for m in members if m.user_id is None]
        users = [User(username=f"m{m.pk}", display_name=m.name, password=self.password) for m in missing]
        User.objects.bulk_create(users)
        for m, u in zip(missing, users, strict=True):
            m.user = u
        Member.objects.bulk_update(missing, ["user"])
        grants = [RoleGrant(user=u, committee=self.committee, role=Role.MEMBER) for u in users]
        RoleGrant.objects.bulk_create(grants)
        audit_bulk(action="create", objects=[*users, *grants], result=DEMO_RESULT)


def _leader(rng: random.Random, level: str) -> tuple[str, str]:
    name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2])))
    return name, rng.choice(TITLES[level])


def _past(rng: random.Random, today: date, low: int, high: int) -> date:
    """A day this year, `low`-`high` days back (today early in January)."""
    back = min(rng.randint(low, high), today.timetuple().tm_yday - 1)
    return today - timedelta(days=back)


class _Writer:
    def __init__(self, cast: _Cast, today: date) -> None:
        self.cast = cast
        self.rng = cast.rng
        self.today = today
        self.region = cast.committee.region_name or "全国"
        self.used: set[str] = set()
        self.units: dict[int, str] = {}  # report -> the department its matter belongs to
        self.levels = LEVELS_BY_COMMITTEE[cast.committee.level]
        parent = cast.committee.parent
        self.receivers = [
            (Forwarding.Target.PARTY_COMMITTEE, f"{self.region}委办公室"),
            (Forwarding.Target.GOVERNMENT, f"{self.region}人民政府办公室"),
        ]
        if parent is not None:
            self.receivers.append((Forwarding.Target.HIGHER_CPPCC, str(parent)))

    def text(self, kind: str, who: str) -> tuple[str, str, str]:
        rng = self.rng
        for _ in range(20):
            if kind == K.OPINION:
                topic, unit = rng.choice(TOPICS)
                topic = topic.format(r=self.region)
                title = f"关于{topic}的问题及建议" if rng.random() < 0.5 else f"{topic}亟待解决"
                situation = SITUATION.format(who=who, topic=topic)
            else:
                topic = rng.choice(STUDY_TOPICS).format(r=self.region)
                unit = rng.choice(TOPICS)[1]
                title = KIND_TITLES[kind].format(t=topic)  # type: ignore[index]
                situation = STUDY_SITUATION.format(who=who, topic=topic)
            if title not in self.used:
                break
        self.used.add(title)
        return title, situation, f"{self.region}{unit}"

    def create(self, target: str, author: Member | None) -> OpinionReport:
        """A report by `author` (or a random one), by the member or entered by the office, as a member,
        for the member's party or station, then driven to `target`."""
        rng, cast = self.rng, self.cast
        author = author or rng.choice(cast.authors)
        kind = rng.choices([K.OPINION, K.RESEARCH, K.ADVICE, K.INSPECTION], [14, 2, 2, 1])[0]
        body: dict[str, object] = {}
        who = f"{author.name}委员"
        roll = rng.random()
        if author is not cast.login_member and roll < 0.12 and author.party_id:
            if author.party.kind == Party.Kind.DEMOCRATIC:  # type: ignore[union-attr]
                body = {"source_kind": OpinionReport.SourceKind.PARTY, "party_id": author.party_id}
                who = str(author.party)
        elif author is not cast.login_member and roll < 0.2 and author.station_id:
            body = {"source_kind": OpinionReport.SourceKind.STATION, "station_id": author.station_id}
            who = str(author.station)
        title, situation, unit = self.text(kind, who)
        on_paper = target != S.DRAFT and author is not cast.login_member and not body and rng.random() < 0.15
        report = services.report_create(
            user=cast.office if on_paper else author.user,  # type: ignore[arg-type]
            committee=cast.committee,
            title=title,
            situation=situation,
            suggestion=SUGGESTION.format(unit=unit),
            kind=kind,
            authors=[author] if on_paper else None,
            **body,  # type: ignore[arg-type]
        )
        self.units[report.pk] = unit
        return self.drive(report, target, author.user)  # type: ignore[arg-type]

    def drive(self, report: OpinionReport, target: str, author_user: User) -> OpinionReport:
        rng, office = self.rng, self.cast.office
        if target == S.DRAFT:
            return report
        if report.state == S.DRAFT:
            report = services.report_submit(report=report, user=author_user)
        if target == S.SUBMITTED:
            return report
        if target == S.WITHDRAWN:
            return services.report_withdraw(
                report=report, user=author_user, reason=rng.choice(WITHDRAW_REASONS)
            )
        if target == S.ARCHIVED:
            return services.report_archive(report=report, user=office, reason=rng.choice(ARCHIVE_REASONS))
        if target == S.MERGED:
            return report  # merged at the end, into a report that is forwarded by then
        if rng.random() < 0.15:
            report = services.report_update(
                report=report, user=office, title=report.title, situation=report.situation + "（经编辑）"
            )
        forwarded_on = _past(rng, self.today, 20, 160)
        first_target, receiver = rng.choice(self.receivers)
        forwarding = services.report_forward(
            report=report,
            user=office,
            target=first_target,
            receiver=receiver,
            issue=f"《社情民意》{report.year}年第{rng.randint(1, 60)}期",
            forwarded_on=forwarded_on,
        )
        OpinionReport.objects.filter(pk=report.pk).update(
            submitted_on=forwarded_on - timedelta(rng.randint(2, 15))
        )
        report.refresh_from_db()
        if rng.random() < 0.2:
            others = [r for r in self.receivers if r[0] != first_target]
            second_target, second_receiver = rng.choice(others)
            services.report_forward(
                report=report,
                user=office,
                target=second_target,
                receiver=second_receiver,
                forwarded_on=forwarded_on,
            )
        if target == S.FORWARDED:
            return report
        adopted_on = min(forwarded_on + timedelta(days=rng.randint(3, 25)), self.today)
        services.report_adopt(
            report=report,
            user=office,
            forwarding=forwarding,
            adopted_on=adopted_on,
            note="全文采用，编发内刊",
        )
        report.refresh_from_db()
        return report

    def instruct(self, report: OpinionReport, times: int) -> None:
        rng = self.rng
        first = report.forwardings.order_by("forwarded_on", "id").first()
        assert first is not None
        for _ in range(times):
            level = rng.choices(self.levels, LEVEL_WEIGHTS[: len(self.levels)])[0]
            name, title = _leader(rng, level)
            services.instruction_add(
                report=report,
                user=self.cast.office,
                level=level,
                leader_name=name,
                leader_title=title,
                instructed_on=min(first.forwarded_on + timedelta(days=rng.randint(5, 40)), self.today),
                text=rng.choice(INSTRUCTION_TEXT).format(unit=self.units[report.pk]),
                forwarding=first,
            )


def _seed_committee(committee: Committee, rng: random.Random, password: str, today: date) -> int:
    cast = _Cast(committee, rng, password)
    if not cast.authors:
        return 0
    writer = _Writer(cast, today)
    plan: list[tuple[str, Member | None]] = []
    if cast.login_member is not None:
        for state, n in PLAN.items():
            plan += [(state, None)] * (n + rng.randint(0, 1))
        plan += [(s, cast.login_member) for s in LOGIN_MEMBER_STATES]
    else:
        for state, n in SMALL_PLAN.items():
            plan += [(state, None)] * n
    rng.shuffle(plan)
    made: list[OpinionReport] = []
    for target, author in plan:
        made.append(writer.create(target, author))

    adopted = [r for r in made if r.state == S.ADOPTED]
    # Some adopted reports instructed once, some twice; the login member's adopted one always.
    instructed = rng.sample(adopted, min(len(adopted), max(2, len(adopted) * 2 // 3)))
    mine = [r for r in adopted if cast.login_member and workflow_author(r, cast.login_member)]
    for report in dict.fromkeys([*mine, *instructed]):
        writer.instruct(report, 2 if rng.random() < 0.35 else 1)
    # Merge: a submitted report goes into a forwarded or adopted one on a similar matter.
    targets = [r for r in made if r.state in (S.FORWARDED, S.ADOPTED)]
    for report in [r for r in made if r.state == S.SUBMITTED and r.pk in _pending_merge(plan, made)]:
        if targets:
            services.report_merge(report=report, user=cast.office, into=rng.choice(targets))
    # 转为社情民意: a not-filed proposal the demo proposals marked for it.
    from zhengxie.proposals.models import Proposal, State

    proposal = (
        Proposal.objects.filter(
            committee=committee,
            state=State.NOT_FILED,
            conversion=Proposal.Conversion.OPINION,
            opinion_report__isnull=True,
        )
        .order_by("pk")
        .first()
    )
    count = len(made)
    if proposal is not None:
        services.report_from_proposal(proposal=proposal, user=cast.office)
        count += 1
    return count


def workflow_author(report: OpinionReport, member: Member) -> bool:
    return report.authors.filter(pk=member.pk).exists()


def _pending_merge(plan: list[tuple[str, Member | None]], made: list[OpinionReport]) -> set[int]:
    """The reports planned as merged (left submitted by drive until their target exists)."""
    return {r.pk for (target, _), r in zip(plan, made, strict=True) if target == S.MERGED}


def seed_opinions(stdout: TextIO | None = None) -> int:
    """Create the demo reports; returns how many were made."""
    rng = random.Random(SEED)
    started = timezone.now()
    today = timezone.localdate()
    password = "!demo-no-login"  # noqa: S105 - an unusable password marker, not a secret
    total = 0
    with transaction.atomic(), audit_context(label=DEMO_RESULT):
        committees = Committee.objects.filter(members__isnull=False).distinct().select_related("parent")
        for committee in committees.order_by("path"):
            # Reports the demo consultations and concerns made are theirs; any other means seeded already.
            own = OpinionReport.objects.filter(
                committee=committee, consultations__isnull=True, concerns__isnull=True
            )
            if own.exists():
                continue
            total += _seed_committee(committee, rng, password, today)
    if stdout is not None:
        seconds = (timezone.now() - started).total_seconds()
        stdout.write(f"已生成演示社情民意信息{total}条；用时{seconds:.1f}秒\n")
    return total
