"""The population the access matrix runs against: the `world` committees and roles, three handling units
(assigned, never assigned, no longer assigned), and records of every kind in the states the routes act on,
all made through the services as the right people.

Every record title and every name outside 江门 carries an ASCII tag, so a response can be searched for rows
its reader must not see, whatever its format (HTML, JSON with escaped Chinese, zipped Word or Excel):
    @CITY@ @SIB@ @PROV@ @CNTY@   the committee the row belongs to
    @DRAFTM@                      a draft of the member (nobody else may see it)
    @DRAFTO@                      a draft of the other member to which the member is invited
    @OTHER@                       a record of the other member the member has no part in
    @MINE@                        a record of the member the other member has no part in
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.utils import timezone

from zhengxie.accounts.models import Role, User
from zhengxie.consultations import plans as plan_services
from zhengxie.consultations import reviews, rounds
from zhengxie.consultations import services as consultations
from zhengxie.consultations.models import Form, Participant
from zhengxie.duties import scoring
from zhengxie.duties import services as duties
from zhengxie.duties.models import DutyKind
from zhengxie.grassroots import services as concerns
from zhengxie.opinions import services as opinions
from zhengxie.org.models import Committee, Member, Session, Term
from zhengxie.proposals import attachments
from zhengxie.proposals import services as proposals
from zhengxie.reports import services as reports
from zhengxie.reports.models import Scope
from zhengxie.testing.factories import (
    CommitteeFactory,
    HandlingUnitFactory,
    MemberFactory,
    StationFactory,
    UserFactory,
    grant,
)

CITY, SIB, PROV, CNTY = "@CITY@", "@SIB@", "@PROV@", "@CNTY@"
DRAFTM, DRAFTO, OTHER, MINE = "@DRAFTM@", "@DRAFTO@", "@OTHER@", "@MINE@"
ALL_TAGS = (CITY, SIB, PROV, CNTY, DRAFTM, DRAFTO, OTHER, MINE)

# The people the matrix tries every route with.
USERS = (
    "anon",
    "member",  # 张三, 江门 member at station S1: author of most records, co-signer of one
    "other",  # 李四, 江门 member: author of the co-signed record and of someone else's record
    "office",  # 江门 office
    "sibling_office",  # 贺州 office (same level, another subtree)
    "province_office",  # 广东 office (the parent committee)
    "unit",  # 江门市教育局: the unit assigned
    "unit_none",  # 江门市卫生健康局: never assigned anything
    "unit_former",  # 江门市住房和城乡建设局: assigned, then the proposal was returned and reassigned
    "leader",  # 江门 leader
    "admin",  # 江门 system administrator (a role grant, not a Django superuser)
    "auditor",  # 江门 auditor
)
LOGGED_IN = frozenset(USERS) - {"anon"}

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
YEAR = timezone.localdate().year


@dataclass
class Scenario:
    users: dict[str, User | None]
    committees: dict[str, Committee]
    r: dict[str, Any] = field(default_factory=dict)

    def pk(self, name: str) -> int:
        return int(self.r[name].pk)

    def refresh(self, name: str) -> Any:
        obj = self.r[name]
        if isinstance(obj, models.Model):
            obj.refresh_from_db()
        return obj


def _term_session(committee: Committee) -> Session:
    term = Term.objects.create(committee=committee, number=14, start_year=YEAR - 2, end_year=YEAR + 2)
    return Session.objects.create(committee=committee, term=term, number=2, year=YEAR)


def _forget_grants(user: User) -> None:
    # access.grants_of caches a user's grants on the user object: a cache read before the grant was made
    # must not hide it.
    user.__dict__.pop("_grants_cache", None)


def _member_user(username: str, committee: Committee, name: str, **member: Any) -> tuple[User, Member]:
    user = UserFactory(username=username, display_name=name)
    m = MemberFactory(committee=committee, user=user, name=name, **member)
    grant(user, committee, Role.MEMBER)
    _forget_grants(user)
    return user, m


def build() -> Scenario:
    # ------------------------------------------------------------ the world (as zhengxie.testing.fixtures)
    province = CommitteeFactory(name="广东省政协", level=Committee.Level.PROVINCIAL, division_code="440000")
    city = CommitteeFactory(name="江门市政协", parent=province, division_code="440700", region_name="江门市")
    sibling = CommitteeFactory(
        name="贺州市政协", parent=province, division_code="451100", region_name="贺州市"
    )
    county = CommitteeFactory(
        name="江海区政协",
        parent=city,
        level=Committee.Level.COUNTY,
        division_code="440704",
        region_name="江海区",
    )
    s1 = StationFactory(committee=city, name="江海区委员工作室", address="江门市江海区")
    s2 = StationFactory(committee=city, name="新会区委员工作室")
    sib_station = StationFactory(committee=sibling, name=f"贺州委员工作室{SIB}")

    member_user, member = _member_user("member1", city, "张三", station=s1)
    other_user, other = _member_user("other1", city, "李四")
    chair = MemberFactory(committee=city, name="江门主席", position=Member.Position.CHAIR)
    third = MemberFactory(committee=city, name="王六")
    sib_user, sib_member = _member_user("sibmember", sibling, f"王五{SIB}", station=sib_station)
    prov_user, prov_member = _member_user("provmember", province, f"赵七{PROV}")
    cnty_user, cnty_member = _member_user("cntymember", county, f"钱八{CNTY}")

    def staff(username: str, committee: Committee, role: str, unit: Any = None) -> User:
        user = UserFactory(username=username)
        grant(user, committee, role, unit)
        _forget_grants(user)
        return user

    office = staff("office1", city, Role.OFFICE)
    leader = staff("leader1", city, Role.LEADER)
    admin = staff("admin1", city, Role.ADMIN)
    auditor = staff("auditor1", city, Role.AUDITOR)
    province_office = staff("provoffice", province, Role.OFFICE)
    sibling_office = staff("hezhouoffice", sibling, Role.OFFICE)
    unit = HandlingUnitFactory(committee=city, name="江门市教育局")
    unit_none = HandlingUnitFactory(committee=city, name="江门市卫生健康局")
    unit_former = HandlingUnitFactory(committee=city, name="江门市住房和城乡建设局")
    sib_unit = HandlingUnitFactory(committee=sibling, name=f"贺州市教育局{SIB}")
    unit_user = staff("unit1", city, Role.UNIT, unit)
    unit_none_user = staff("unitnone", city, Role.UNIT, unit_none)
    unit_former_user = staff("unitformer", city, Role.UNIT, unit_former)

    s = Scenario(
        users={
            "anon": None,
            "member": member_user,
            "other": other_user,
            "office": office,
            "sibling_office": sibling_office,
            "province_office": province_office,
            "unit": unit_user,
            "unit_none": unit_none_user,
            "unit_former": unit_former_user,
            "leader": leader,
            "admin": admin,
            "auditor": auditor,
        },
        committees={"city": city, "sibling": sibling, "province": province, "county": county},
    )
    r = s.r
    r.update(
        member=member,
        other_member=other,
        chair=chair,
        third=third,
        sib_member=sib_member,
        prov_member=prov_member,
        cnty_member=cnty_member,
        s1=s1,
        s2=s2,
        sib_station=sib_station,
        unit=unit,
        unit_none=unit_none,
        unit_former=unit_former,
        sib_unit=sib_unit,
    )
    sessions = {c: _term_session(c) for c in (city, sibling, province, county)}
    r["session"] = sessions[city]
    sib_sessions_user = {sibling: (sib_user, sib_member), province: (prov_user, prov_member)}
    sib_sessions_user[county] = (cnty_user, cnty_member)

    _proposals(s, sessions, sib_sessions_user)
    _opinions(s, sib_sessions_user)
    _concerns(s)
    _consultations(s)
    _duties(s, sib_member)
    _reports(s)
    return s


# ---------------------------------------------------------------- proposals


def _proposals(s: Scenario, sessions: dict[Committee, Session], outsiders: dict) -> None:  # type: ignore[type-arg]
    u, r = s.users, s.r
    city = s.committees["city"]
    member_user, other_user, office = u["member"], u["other"], u["office"]
    unit_user = u["unit"]

    def draft(title: str, *, by: str = "member", tags: str = f"{CITY} {MINE}") -> Any:
        author = r["member"] if by == "member" else r["other_member"]
        return proposals.proposal_draft_create(
            user=u[by],
            author=author,
            session=sessions[city],
            title=f"{title} {tags}",
            background="全市老旧小区多，老年人上下楼困难。",
            suggestions="一是简化审批；二是加大补贴。",
            category="society",
        )

    def submit(p: Any, by: str = "member") -> Any:
        return proposals.proposal_submit(proposal=p, user=u[by])

    r["p_draft"] = draft("关于老旧小区加装电梯的建议（草稿）", tags=f"{CITY} {DRAFTM}")
    r["a_draft"] = attachments.attachment_add(
        proposal=r["p_draft"], user=member_user, upload=SimpleUploadedFile("调研报告.pdf", PDF)
    )
    # Deleted by the matrix's delete case (the file goes when that "commits"): nobody downloads it.
    r["a_spare"] = attachments.attachment_add(
        proposal=r["p_draft"], user=member_user, upload=SimpleUploadedFile("草稿附件.pdf", PDF)
    )
    invite = draft("关于社区食堂的建议（邀请联名）", by="other", tags=f"{CITY} {DRAFTO}")
    proposals.cosigner_invite(proposal=invite, user=other_user, members=[r["member"]])
    r["p_invite"] = invite

    p = draft("关于校园周边交通的建议")
    r["a_submitted"] = attachments.attachment_add(
        proposal=p, user=member_user, upload=SimpleUploadedFile("附件.pdf", PDF)
    )
    r["p_submitted"] = submit(p)

    cos = draft("关于公交线路优化的建议（联名）", by="other", tags=CITY)
    proposals.cosigner_invite(proposal=cos, user=other_user, members=[r["member"]])
    proposals.cosigner_respond(proposal=cos, user=member_user, confirm=True)
    r["p_cos"] = submit(cos, "other")
    r["p_other"] = submit(draft("关于城市绿道建设的建议", by="other", tags=f"{CITY} {OTHER}"), "other")

    r["p_filed"] = proposals.review_file(proposal=submit(draft("关于垃圾分类的建议")), user=office)
    r["p_notfiled"] = proposals.review_not_file(
        proposal=submit(draft("关于个人诉求的建议")), user=office, reason="不属于提案范围"
    )

    # Assigned to 住建局, which asked to return it; reassigned to 教育局: 住建局 is "no longer assigned".
    p = proposals.review_file(proposal=submit(draft("关于中小学课后服务的建议")), user=office)
    p = proposals.assignment_create(proposal=p, user=office, lead=r["unit_former"], co_units=[])
    p = proposals.assignment_request_return(proposal=p, user=u["unit_former"], reason="不属于本单位职责")
    r["p_assigned"] = proposals.assignment_reassign(proposal=p, user=office, lead=r["unit"], co_units=[])

    p = proposals.review_file(proposal=submit(draft("关于学前教育的建议")), user=office)
    p = proposals.assignment_create(proposal=p, user=office, lead=r["unit"], co_units=[])
    r["p_returned"] = proposals.assignment_request_return(proposal=p, user=unit_user, reason="职责不符")

    def replied(title: str) -> Any:
        p = proposals.review_file(proposal=submit(draft(title)), user=office)
        p = proposals.assignment_create(proposal=p, user=office, lead=r["unit"], co_units=[])
        reply = proposals.reply_record(proposal=p, user=unit_user, letter="已列入计划。", result="B")
        p.refresh_from_db()
        return p, reply

    r["p_replied"], r["reply"] = replied("关于职业教育的建议")
    closed, _ = replied("关于教师队伍建设的建议")
    proposals.feedback_record(proposal=closed, user=member_user, rating="satisfied")
    closed.refresh_from_db()
    r["p_closed"] = closed

    for committee, key, tag in (
        (s.committees["sibling"], "p_sib", SIB),
        (s.committees["province"], "p_prov", PROV),
    ):
        user, author = outsiders[committee]
        p = proposals.proposal_draft_create(
            user=user,
            author=author,
            session=sessions[committee],
            title=f"关于外地事务的建议 {tag}",
            background="情况。",
            suggestions="建议。",
        )
        if key == "p_sib":
            r["a_sib"] = attachments.attachment_add(
                proposal=p, user=user, upload=SimpleUploadedFile("外地.pdf", PDF)
            )
        r[key] = proposals.proposal_submit(proposal=p, user=user)
    county = s.committees["county"]
    user, author = outsiders[county]
    p = proposals.proposal_draft_create(
        user=user,
        author=author,
        session=sessions[county],
        title=f"区里的建议 {CNTY}",
        background="情况。",
        suggestions="建议。",
    )
    r["p_cnty"] = proposals.proposal_submit(proposal=p, user=user)


# ---------------------------------------------------------------- opinion reports


def _opinions(s: Scenario, outsiders: dict) -> None:  # type: ignore[type-arg]
    u, r = s.users, s.r
    city, office = s.committees["city"], u["office"]

    def create(title: str, by: str = "member", submit: bool = True, tags: str = f"{CITY} {MINE}") -> Any:
        return opinions.report_create(
            user=u[by],
            committee=city,
            title=f"{title} {tags}",
            situation="上下学高峰期学校周边道路拥堵严重。",
            suggestion="增设临时停车位，错峰放学。",
            submit=submit,
        )

    r["o_draft"] = create("关于学校周边交通的信息（草稿）", submit=False, tags=f"{CITY} {DRAFTM}")
    r["o_submitted"] = create("关于菜市场改造的信息")
    r["o_other"] = create("关于河道治理的信息", by="other", tags=f"{CITY} {OTHER}")
    r["o_archived"] = opinions.report_archive(report=create("关于路灯的信息"), user=office, reason="已有反映")
    forwarded = create("关于养老服务的信息")
    r["forwarding"] = opinions.report_forward(
        report=forwarded, user=office, target="party_committee", receiver="江门市委办公室"
    )
    forwarded.refresh_from_db()
    r["o_forwarded"] = forwarded
    for committee, key, tag in (
        (s.committees["sibling"], "o_sib", SIB),
        (s.committees["province"], "o_prov", PROV),
    ):
        user, _ = outsiders[committee]
        r[key] = opinions.report_create(
            user=user, committee=committee, title=f"外地信息 {tag}", situation="情况。", submit=True
        )
    user, _ = outsiders[s.committees["county"]]
    r["o_cnty"] = opinions.report_create(
        user=user, committee=s.committees["county"], title=f"区里信息 {CNTY}", situation="情况。", submit=True
    )


# ---------------------------------------------------------------- concerns


def _concerns(s: Scenario) -> None:
    u, r = s.users, s.r
    city = s.committees["city"]

    def raise_(title: str, station: Any, committee: Committee = city, **extra: Any) -> Any:
        return concerns.concern_raise(
            committee=committee,
            station=station,
            title=title,
            content=f"{title}：具体情况已有两个月。",
            category="urban",
            name="赵大妈",
            phone="13800138000",
            **extra,
        )

    # A trap field filled in: held for the office to review.
    r["c_review"] = raise_(f"小区噪音扰民 {CITY}", r["s1"], trap="http://spam")
    r["c_open"] = raise_(f"小区门口路灯不亮 {CITY}", r["s1"])
    r["c_taken"] = concerns.concern_take(concern=raise_(f"人行道破损 {CITY}", r["s1"]), user=u["member"])
    r["c_open_s2"] = raise_(f"垃圾清运不及时 {CITY}", r["s2"])
    r["c_sib"] = raise_(f"外地诉求 {SIB}", r["sib_station"], committee=s.committees["sibling"])


# ---------------------------------------------------------------- consultations and plans


def _consultations(s: Scenario) -> None:
    u, r = s.users, s.r
    city, office = s.committees["city"], u["office"]
    past = timezone.localdate() - timedelta(days=3)

    def create(title: str, committee: Committee = city, by: User | None = None, **kw: Any) -> Any:
        kw.setdefault("form", Form.STANDING)
        return consultations.consultation_create(
            user=by or office, committee=committee, title=title, held_on=past, **kw
        )

    def attend(c: Any, *members: Member, by: User | None = None) -> list[Participant]:
        out = []
        for m in members:
            p = consultations.participant_add(consultation=c, user=by or office, member=m)
            consultations.attendance_set(
                consultation=c, user=by or office, participant=p, attendance=Participant.Attendance.ATTENDED
            )
            out.append(p)
        return out

    planned = create(f"关于老旧小区改造的协商 {CITY}")
    r["k_planned_participant"] = consultations.participant_add(
        consultation=planned, user=office, member=r["member"]
    )
    r["k_planned"] = planned

    held = create(f"关于职业教育的专题调研协商 {CITY}", form=Form.RESEARCH)
    r["k_held_participant"] = attend(held, r["member"], r["other_member"])[0]
    held = consultations.consultation_hold(consultation=held, user=office, summary="充分协商。")
    r["k_held"] = held
    now = timezone.now()
    r["round"] = rounds.round_open(
        consultation=held,
        user=office,
        question="如何办好职业教育",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=7),
    )
    deadline = timezone.localdate() + timedelta(days=30)
    r["oc_draft"] = consultations.outcome_add(consultation=held, user=office, text="增设实训基地")
    oc = consultations.outcome_add(consultation=held, user=office, text="扩大招生")
    r["oc_transferred"] = consultations.outcome_transfer(
        outcome=oc, user=office, unit=r["unit"], deadline=deadline
    )
    oc = consultations.outcome_add(consultation=held, user=office, text="校企合作")
    oc = consultations.outcome_transfer(outcome=oc, user=office, unit=r["unit"], deadline=deadline)
    r["oc_accepted"] = consultations.outcome_respond(outcome=oc, user=u["unit"], accept=True, response="同意")
    oc = consultations.outcome_add(consultation=held, user=office, text="师资培训")
    oc = consultations.outcome_transfer(outcome=oc, user=office, unit=r["unit"], deadline=deadline)
    oc = consultations.outcome_respond(outcome=oc, user=u["unit"], accept=True, response="同意")
    r["oc_done"] = consultations.outcome_complete(outcome=oc, user=u["unit"], note="已完成")
    # Transferred to 住建局, which handed it back: 住建局 no longer holds it.
    oc = consultations.outcome_add(consultation=held, user=office, text="改造校舍")
    oc = consultations.outcome_transfer(outcome=oc, user=office, unit=r["unit_former"], deadline=deadline)
    r["oc_handed_back"] = consultations.outcome_hand_back(
        outcome=oc, user=u["unit_former"], reason="不属于本单位"
    )

    trip = create(f"关于乡村振兴的调研 {CITY}", kind="research", form="")
    r["k_trip"] = trip
    case = create(f"关于社区治理的协商 {CITY}")
    attend(case, r["member"])
    case = consultations.consultation_hold(consultation=case, user=office)
    r["k_case"] = consultations.case_mark(consultation=case, user=office, summary="一个月解决。")
    closable = create(f"关于河长制的协商 {CITY}")
    r["k_closable"] = consultations.consultation_hold(consultation=closable, user=office)
    sup = create(f"关于营商环境的监督式协商 {CITY}", form=Form.SUPERVISORY)
    attend(sup, r["member"])
    r["review"] = reviews.review_create(
        consultation=sup, user=office, unit=r["unit"], questions=[("依法行政", 2, 10)]
    )
    r["k_sup"] = sup
    r["k_micro"] = create(
        f"关于楼道清理的小微协商 {CITY}", by=u["member"], form=Form.MICRO, station_id=r["s1"].pk
    )
    r["k_cancelled"] = consultations.consultation_cancel(
        consultation=create(f"已取消的协商 {CITY}"), user=office
    )
    r["k_sib"] = create(f"外地协商 {SIB}", committee=s.committees["sibling"], by=u["sibling_office"])

    # Plans: next year's in draft (with a topic), this year's approved, last year's published.
    draft = plan_services.plan_create(
        user=office, committee=city, year=YEAR + 1, title=f"{YEAR + 1}年度协商计划 {CITY}"
    )
    r["topic"] = plan_services.topic_add(
        plan=draft, user=office, title="老旧小区改造", form=Form.STANDING, month=5
    )
    r["plan_draft"] = draft
    approved = plan_services.plan_create(
        user=office, committee=city, year=YEAR, title=f"{YEAR}年度协商计划 {CITY}"
    )
    plan_services.topic_add(plan=approved, user=office, title="职业教育", form=Form.RESEARCH, month=6)
    r["plan_approved"] = plan_services.plan_approve(
        plan=approved, user=office, approved_on=timezone.localdate()
    )
    published = plan_services.plan_create(
        user=office, committee=city, year=YEAR - 1, title=f"{YEAR - 1}年度协商计划 {CITY}"
    )
    plan_services.topic_add(plan=published, user=office, title="河长制", form=Form.STANDING, month=3)
    published = plan_services.plan_approve(plan=published, user=office, approved_on=timezone.localdate())
    r["plan_published"] = plan_services.plan_publish(plan=published, user=office)
    sib = plan_services.plan_create(
        user=u["sibling_office"], committee=s.committees["sibling"], year=YEAR, title=f"外地协商计划 {SIB}"
    )
    r["plan_sib"] = sib


# ---------------------------------------------------------------- duties


def _duties(s: Scenario, sib_member: Member) -> None:
    u, r = s.users, s.r
    city, office = s.committees["city"], u["office"]
    rules = {DutyKind.TRAINING: (2, 10), DutyKind.INVESTMENT: (5, None)}
    duties.scheme_create(user=office, committee=city, year=YEAR, name="考评办法", rules=rules, threshold=10)
    duties.scheme_create(
        user=u["sibling_office"], committee=s.committees["sibling"], year=YEAR, name="考评办法", rules=rules
    )
    day = date(YEAR, 1, 2)

    def add(member: Member, title: str, by: User = office) -> Any:
        return duties.duty_add_by_staff(
            user=by, member=member, kind=DutyKind.TRAINING, title=title, occurred_on=day, detail={}
        )

    r["d_member"] = add(r["member"], f"参加履职培训 {CITY} {MINE}")
    r["d_contested"] = add(r["member"], f"参加读书活动 {CITY} {MINE}")
    r["contest"] = duties.contest_open(record=r["d_contested"], user=u["member"], reason="当天出差")
    r["d_other"] = add(r["other_member"], f"参加专题培训 {CITY} {OTHER}")
    r["d_claim"] = duties.duty_claim(
        user=u["member"],
        kind=DutyKind.TRAINING,
        title=f"参加线上培训 {CITY} {MINE}",
        occurred_on=day,
        evidence="结业证书",
    )
    r["d_sib"] = add(sib_member, f"外地培训 {SIB}", by=u["sibling_office"])
    scoring.recompute(city.pk, YEAR)
    scoring.recompute(s.committees["sibling"].pk, YEAR)


# ---------------------------------------------------------------- annual reports


def _reports(s: Scenario) -> None:
    city, office = s.committees["city"], s.users["office"]
    # This year's report of the city alone is published (members and auditors may read it); the one with
    # the county included is a draft.
    reports.publish(office, city, YEAR, Scope.OWN, version=None)
    reports.save_draft(
        office, city, YEAR, Scope.ALL, title=f"{YEAR}年度工作报告（含下级）", narrative={}, version=None
    )
