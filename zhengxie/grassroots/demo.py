"""演示数据: 群众诉求 at the stations of every demo committee that runs stations (Guang'an district's
“有事来协商” studios get the most), made through the same services users go through: the public form
(some held for review: a link, a bot, a repeated post), receptions recorded by members at their station,
members taking them up, and closing by each of the four outcomes. Then the dates are spread over the last
four months, so the lists and the look-up read like a year's work.

Actors: the station's members (a login-less user is made for those without one; the committee's demo
member login handles several at their own station), the committee's office login for the review queue.
Deterministic (random.Random(SEED)); committees that already have concerns are left alone. Needs nothing
from the consultation or opinion demo data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import TextIO

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from zhengxie.accounts.audit import audit_bulk, audit_context
from zhengxie.accounts.models import Role, RoleGrant, User
from zhengxie.duties.models import DutyRecord
from zhengxie.grassroots import services
from zhengxie.grassroots.models import Concern, ConcernEvent, ConcernState
from zhengxie.org.models import Committee, Member, Session, Station

SEED = 20260420
DEMO_RESULT = "演示数据"
C = Concern.Category
Outcome = Concern.Outcome


@dataclass(frozen=True)
class Topic:
    category: str
    title: str  # "{p}" is the place: the station's street, town or village
    content: str
    result: str  # what the member did, when resolved directly
    suggestion: str  # for an opinion report or a proposal


TOPICS = [
    Topic(C.URBAN, "{p}{road}路灯不亮", "{p}{road}东段有{n}盏路灯坏了一个多月，晚上出行很不安全，老人孩子摔倒过。",
          "委员联系街道城管办和供电所现场查看，{n}盏路灯已全部修复，并纳入每月巡查。", "建立路灯故障“随手拍”报修和限时修复机制。"),
    Topic(C.TRANSPORT, "{p}{school}门口上下学拥堵", "每天早上七点半和下午五点，{school}门口家长车辆乱停，孩子过马路很危险。",
          "委员协调交警中队在上下学时段安排护学岗，施划临时停车位，拥堵明显缓解。", "在学校周边建设“即停即走”接送区，错峰放学。"),
    Topic(C.URBAN, "{p}老旧小区停车难", "{p}{community}是老旧小区，车位只有住户的三分之一，晚上车停到消防通道上。",
          "委员推动社区与周边单位签订错时共享停车协议，夜间开放车位80个。", "挖掘公共停车资源，推行错时共享停车。"),
    Topic(C.ENVIRONMENT, "{p}夜宵大排档噪音扰民", "{p}{road}夜宵摊位营业到凌晨两三点，噪音和油烟很大，住户无法休息。",
          "委员会同街道综合执法队约谈经营户，规定营业时间并加装油烟净化设备。", "划定夜间经营区域，落实噪音和油烟管控。"),
    Topic(C.LABOUR, "{p}独居老人助餐需求", "{community}有不少独居老人，子女在外地，做饭不便，希望社区能办长者饭堂。",
          "委员对接社区和爱心企业，长者饭堂已在社区服务中心开餐，每餐8元。", "推进长者饭堂覆盖城乡社区，完善助餐补贴。"),
    Topic(C.URBAN, "{p}{community}加装电梯协调难", "{community}6号楼想加装电梯，一楼住户不同意，协商了半年没有进展。",
          "委员组织楼栋住户协商，明确一楼补偿方案，已签订加装协议并报建。", "出台加装电梯利益平衡指引，引入第三方调解。"),
    Topic(C.ENVIRONMENT, "{p}河涌黑臭", "{p}{road}旁边的河涌这段时间水发黑发臭，还有垃圾漂浮。",
          "委员联系河长办，已完成清淤和截污，安排保洁员每日打捞。", "加强河涌截污和日常保洁，公开河长巡河情况。"),
    Topic(C.TRANSPORT, "{p}公交站点设置不合理", "{community}附近最近的公交站要走一公里多，老人看病买菜很不方便。",
          "委员与公交公司沟通，已在{community}路口增设停靠站。", "优化社区公交线网，增设微循环线路。"),
    Topic(C.EDUCATION, "{p}缺少儿童游乐场地", "{community}孩子多，但没有一处像样的儿童游乐设施，孩子只能在路边玩。",
          "委员推动利用闲置空地建设口袋公园，儿童游乐设施已投入使用。", "在口袋公园建设中配建儿童友好设施。"),
    Topic(C.HEALTH, "{p}社区卫生站看病排队久", "{community}卫生站只有两名医生，老人配慢性病药要排一上午。",
          "委员协调卫健部门安排医生每周两天下沉坐诊，开通慢病长处方。", "推进家庭医生签约和慢病长处方，充实基层医生。"),
    Topic(C.URBAN, "{p}{road}路面坑洼积水", "{road}路面坑洼多，一下雨就积水，电动车经常摔倒。",
          "委员联系住建部门，路面已修补并疏通了排水口。", "建立道路病害巡查和快速修补机制。"),
    Topic(C.COMMERCE, "{p}农贸市场环境脏乱", "{p}农贸市场地面湿滑、垃圾清运不及时，夏天气味很大。",
          "委员推动市场开办方整改，完成地面防滑改造并增加清运频次。", "推进农贸市场标准化改造，落实开办方主体责任。"),
    Topic(C.LABOUR, "{p}灵活就业人员参保咨询", "不少外卖骑手和网约车司机不清楚怎样参加社保，希望有人讲解。",
          "委员联系人社部门在站点举办参保政策宣讲会，现场解答40余人次。", "简化灵活就业人员参保流程，推行线上办理。"),
    Topic(C.ENVIRONMENT, "{p}垃圾分类投放点设置", "{community}垃圾分类投放点离住户太远，定时投放时间不合理，上班族赶不上。",
          "委员组织居民议事，投放点调整为4处，早晚各延长1小时。", "投放点设置和投放时间征求居民意见，因地制宜。"),
    Topic(C.OTHER, "{p}电动自行车充电难", "{community}没有集中充电桩，有人从楼上拉电线充电，存在火灾隐患。",
          "委员推动社区引进企业建设集中充电棚，已安装充电桩60个。", "将电动自行车集中充电设施纳入老旧小区改造。"),
]  # fmt: skip
ROADS = ["朝翠路", "建设路", "人民路", "滨江路", "迎宾大道", "金瓯路", "东华路", "胜利街"]
SCHOOLS = ["实验小学", "第二中学", "中心小学", "外国语学校", "第一幼儿园"]
COMMUNITIES = ["幸福里小区", "和平社区", "东湖花园", "南苑小区", "新村", "滨江社区", "金色家园"]
REJECT_REASONS = ["涉及司法诉讼程序，请通过法律途径解决", "内容为商业广告，不予受理"]
SPAM = "低价代办各类证件，详情加微信 zxdemo888 或访问 www.banzheng-demo.top"
TAKE_ONLY = ["", "已电话联系反映人，正在协调相关部门"]


def _place(station: Station) -> str:
    name = station.name
    for suffix in ("“有事来协商”委员工作室", "委员工作室", "委员议事厅", "协商议事室", "委员之家"):
        name = name.removesuffix(suffix)
    return name


# Per committee: target states before the committee's size is applied (Guang'an district doubles).
PLAN = [
    ("open", 3),
    ("open_unrouted", 1),
    ("review_link", 1),
    ("review_trap", 1),
    ("review_repeat", 1),
    ("rejected", 1),
    ("taken", 3),
    ("released", 1),
    (Outcome.RESOLVED, 5),
    (Outcome.CONSULTATION, 1),
    (Outcome.OPINION, 1),
    (Outcome.PROPOSAL, 1),
]
# The demo member login's own share, so a demo visitor sees a concern in every stage at their station.
LOGIN_PLAN = ["open", "open", "taken", Outcome.RESOLVED, Outcome.CONSULTATION]


class _Cast:
    def __init__(self, committee: Committee, rng: random.Random) -> None:
        self.committee = committee
        self.rng = rng
        grant = (
            RoleGrant.objects.filter(committee=committee, role=Role.OFFICE)
            .select_related("user")
            .order_by("id")
            .first()
        )
        self.office = grant.user if grant is not None else None
        members = list(
            Member.objects.filter(committee=committee, status=Member.Status.ACTIVE, station__isnull=False)
            .select_related("user", "station")
            .order_by("pk")
        )
        self.login_member = next(
            (m for m in members if m.user_id and m.user.username.endswith("_member")),  # type: ignore[union-attr]
            None,
        )
        by_station: dict[int, list[Member]] = {}
        for m in members:
            by_station.setdefault(m.station_id, []).append(m)  # type: ignore[arg-type]
        self.stations = [
            s for s in Station.objects.filter(committee=committee).order_by("pk") if by_station.get(s.pk)
        ]
        # Two handling members per station; the demo login first at its own.
        self.handlers: dict[int, list[Member]] = {}
        for s in self.stations:
            pool = by_station[s.pk]
            chosen = [self.login_member] if self.login_member in pool else []
            chosen += rng.sample(
                [m for m in pool if m not in chosen], min(2 - len(chosen), len(pool) - len(chosen))
            )
            self.handlers[s.pk] = chosen  # type: ignore[assignment]
        self._ensure_users([m for ms in self.handlers.values() for m in ms])
        self.session = (
            Session.objects.filter(committee=committee, proposals_open=True)
            .order_by("-year", "-number")
            .first()
        )

    def _ensure_users(self, members: list[Member]) -> None:
        missing = [m for m in members if m.user_id is None]
        users = [
            User(username=f"m{m.pk}", display_name=m.name, password="!demo-no-login")  # noqa: S106 - unusable
            for m in missing
        ]
        User.objects.bulk_create(users)
        for m, u in zip(missing, users, strict=True):
            m.user = u
        Member.objects.bulk_update(missing, ["user"])
        grants = [RoleGrant(user=u, committee=self.committee, role=Role.MEMBER) for u in users]
        RoleGrant.objects.bulk_create(grants)
        audit_bulk(action="create", objects=[*users, *grants], result=DEMO_RESULT)


class _Writer:
    """Draws topics and fills in places so no two concerns of a committee read the same."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def draw(self, station: Station) -> tuple[Topic, str, str]:
        rng = self.rng
        for _ in range(40):
            topic = rng.choice(TOPICS)
            words = {
                "p": _place(station),
                "road": rng.choice(ROADS),
                "school": rng.choice(SCHOOLS),
                "community": rng.choice(COMMUNITIES),
                "n": rng.randint(3, 9),
            }
            title = topic.title.format(**words)[:100]
            if title not in self.used:
                break
        self.used.add(title)
        return topic, title, topic.content.format(**words)


def _handler(cast: _Cast, station: Station, login: bool) -> Member:
    if login and cast.login_member is not None:
        return cast.login_member
    return cast.rng.choice(cast.handlers[station.pk])


def _one(cast: _Cast, writer: _Writer, target: str, login: bool) -> Concern:
    rng = cast.rng
    station = cast.login_member.station if login and cast.login_member else rng.choice(cast.stations)  # type: ignore[union-attr]
    topic, title, content = writer.draw(station)  # type: ignore[arg-type]
    member = _handler(cast, station, login)  # type: ignore[arg-type]
    name = rng.choice(["", "", "赵女士", "钱先生", "孙阿姨", "李伯", "周女士", "吴先生", "郑大爷"])
    phone = f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}" if name else ""
    common = {
        "committee": cast.committee,
        "station": station,
        "title": title,
        "content": content,
        "category": topic.category,
        "name": name,
        "phone": phone,
    }
    if target == "open_unrouted":
        common["station"] = None
    if target.startswith("review"):
        if target == "review_link":
            common.update(
                title=f"{_place(station)}代办证件", content=SPAM, category=C.OTHER, name="", phone=""
            )  # type: ignore[arg-type]
        trap = "http://bot.example" if target == "review_trap" else ""
        if target == "review_repeat":
            first = services.concern_raise(**common)  # type: ignore[arg-type]
            _taken_and_closed(cast, first, member, Outcome.RESOLVED, topic)
        return services.concern_raise(**common, trap=trap)  # type: ignore[arg-type]
    if rng.random() < 0.4:
        # Received at the station in person, by phone or by letter and recorded by the member on duty.
        channel = rng.choice(
            [Concern.Channel.VISIT, Concern.Channel.VISIT, Concern.Channel.PHONE, Concern.Channel.LETTER]
        )
        concern = services.concern_raise(**common, channel=channel, user=member.user)  # type: ignore[arg-type]
    else:
        concern = services.concern_raise(**common)  # type: ignore[arg-type]
    if target in ("open", "open_unrouted"):
        return concern
    if target == "rejected":
        if cast.office is None:
            return concern
        return services.concern_reject(concern=concern, user=cast.office, reason=rng.choice(REJECT_REASONS))
    if target == "released":
        other = [m for m in cast.handlers[station.pk] if m.pk != member.pk] or [member]
        concern = services.concern_take(concern=concern, user=member.user)  # type: ignore[arg-type]
        concern = services.concern_release(
            concern=concern, user=member.user, reason="近期外出，请其他委员办理"
        )  # type: ignore[arg-type]
        return services.concern_take(concern=concern, user=other[0].user)  # type: ignore[arg-type]
    if target == "taken":
        return services.concern_take(concern=concern, user=member.user)  # type: ignore[arg-type]
    return _taken_and_closed(cast, concern, member, target, topic)


def _taken_and_closed(cast: _Cast, concern: Concern, member: Member, outcome: str, topic: Topic) -> Concern:
    user: User = member.user  # type: ignore[assignment]
    concern = services.concern_take(concern=concern, user=user)
    if outcome == Outcome.RESOLVED:
        result = topic.result.format(community=cast.rng.choice(COMMUNITIES), n=cast.rng.randint(3, 9))
        return services.concern_resolve(concern=concern, user=user, result=result)
    if outcome == Outcome.CONSULTATION:
        held_on = timezone.localdate() + timedelta(days=cast.rng.randint(-30, 14))
        return services.concern_to_consultation(
            concern=concern, user=user, held_on=held_on, title=f"{concern.title}协商议事会"[:200]
        )
    if outcome == Outcome.OPINION:
        return services.concern_to_opinion(
            concern=concern,
            user=user,
            title=f"关于{concern.title}问题的反映"[:100],
            suggestion=topic.suggestion,
        )
    if cast.session is None:
        return services.concern_resolve(concern=concern, user=user, result="已向有关部门反映，正在推动解决。")
    return services.concern_to_proposal(
        concern=concern, user=user, session=cast.session, suggestions=topic.suggestion
    )


def _spread_dates(cast: _Cast, made: list[Concern]) -> None:
    """Raised over the last four months, taken within days, closed within weeks: the same order as the
    events were written, only further apart."""
    now = timezone.now()
    concern_type = ContentType.objects.get_for_model(Concern)
    for concern in made:
        start = now - timedelta(days=cast.rng.randint(1, 120), hours=cast.rng.randint(0, 10))
        events = list(ConcernEvent.objects.filter(concern=concern).order_by("at", "id"))
        at = start
        stamps = {}
        for i, event in enumerate(events):
            if i:
                at = min(at + timedelta(days=cast.rng.randint(1, 6), hours=cast.rng.randint(1, 8)), now)
            stamps[event.pk] = at
            ConcernEvent.objects.filter(pk=event.pk).update(at=at)
        fields: dict[str, object] = {"created_at": start}
        taken = [e for e in events if e.action == "take"]
        if taken:
            fields["taken_at"] = stamps[taken[-1].pk]
        if concern.state == ConcernState.CLOSED:
            closed = stamps[events[-1].pk]
            fields["closed_at"] = closed
            day = timezone.localtime(closed).date()
            DutyRecord.objects.filter(source_type=concern_type, source_id=concern.pk).update(
                occurred_on=day, year=day.year
            )
        Concern.objects.filter(pk=concern.pk).update(**fields)


def _seed_committee(committee: Committee, rng: random.Random) -> int:
    cast = _Cast(committee, rng)
    if not cast.stations:
        return 0
    writer = _Writer(rng)
    scale = 2 if committee.division_code == "511602" else 1  # Guang'an district: “有事来协商”
    plan = [(target, False) for target, n in PLAN for _ in range(n * scale)]
    if cast.login_member is not None and cast.login_member.user_id:
        plan += [(target, True) for target in LOGIN_PLAN]
    rng.shuffle(plan)
    for target, login in plan:
        _one(cast, writer, target, login)
    made = list(Concern.objects.filter(committee=committee).order_by("pk"))
    _spread_dates(cast, made)
    return len(made)


def seed_concerns(stdout: TextIO | None = None) -> int:
    """Create the demo concerns; returns how many were made."""
    rng = random.Random(SEED)
    started = timezone.now()
    total = 0
    with transaction.atomic(), audit_context(label=DEMO_RESULT):
        committees = Committee.objects.filter(stations__isnull=False, is_active=True).distinct()
        for committee in committees.order_by("path"):
            if Concern.objects.filter(committee=committee).exists():
                continue
            total += _seed_committee(committee, rng)
    if stdout is not None:
        seconds = (timezone.now() - started).total_seconds()
        stdout.write(f"已生成演示群众诉求{total}件；用时{seconds:.1f}秒\n")
    return total
