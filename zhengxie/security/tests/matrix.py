"""The access matrix: who may use every route of the platform, declared here and nowhere else.

One Case per route (and per action of the routes that take one, and per kind of record for the routes that
open one). Each case says:
- allow: who may use it: a GET answers them 2xx; a POST/PUT may change data for them (and is replayed as
  them, inside a savepoint, to prove the request really would change data: otherwise a refusal would prove
  nothing);
- see: who may see the record the route opens; everybody else logged in must get 404, never 403, so an id
  from another committee reveals nothing (None: the route opens no record);
- stats: a statistics route, where the office, leaders and administrators of a committee also see the
  committees below it (counts and the records behind them, by design: reports/params.py).
Everybody not allowed must get no 2xx and change nothing; anonymous users get the login page (pages) or
401 (API). test_route_coverage fails for any route, API operation or action missing here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from django.utils import timezone

from zhengxie.reports import records as drills
from zhengxie.security.tests.scenario import CITY, LOGGED_IN, MINE, USERS, YEAR, Scenario
from zhengxie.testing.factories import DEFAULT_PASSWORD

Data = Callable[[Scenario, str], Mapping[str, Any]] | Mapping[str, Any] | None


@dataclass(frozen=True)
class Case:
    route: str  # "ns:name" for a page, "METHOD /path" for an API operation
    method: str = "GET"
    allow: frozenset[str] = frozenset()
    see: frozenset[str] | None = None
    label: str = ""  # tells variants apart in test ids
    target: str = ""  # the scenario record the route opens
    kwargs: Callable[[Scenario], dict[str, Any]] | None = None
    extra: Mapping[str, str] = field(default_factory=dict)  # fixed URL arguments (action, fmt, key)
    query: Callable[[Scenario], dict[str, Any]] | None = None
    data: Data = None
    files: Callable[[], dict[str, Any]] | None = None
    verify: frozenset[str] | None = None  # who to replay an allowed write as (default: all of allow)
    users: tuple[str, ...] = USERS
    stats: bool = False
    public: bool = False
    shows: Mapping[str, frozenset[str]] = field(default_factory=dict)  # more tags a person may meet here
    ids: str = ""  # an API list: its rows must be exactly those VISIBLE[ids] grants the person

    @property
    def api(self) -> bool:
        return " " in self.route

    @property
    def id(self) -> str:
        parts = [self.route if self.api else f"{self.method} {self.route}"]
        parts += [v for v in self.extra.values()]
        parts += [p for p in (self.target, self.label) if p]
        return " ".join(parts)

    def verifiers(self) -> frozenset[str]:
        return (self.allow if self.verify is None else self.verify) & set(self.users)

    def body(self, s: Scenario, user: str) -> dict[str, Any]:
        if self.data is None:
            return {}
        return dict(self.data(s, user) if callable(self.data) else self.data)


def fs(*names: str) -> frozenset[str]:
    return frozenset(names)


def today(days: int = 0) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def city(s: Scenario) -> dict[str, Any]:
    return {"committee": s.committees["city"].pk}


OFFICES = fs("office", "sibling_office", "province_office")  # each in its own committee
READ_ALL = fs("office", "leader")
ROSTER = fs("office", "leader", "admin")
STATISTICS = fs("office", "leader", "admin")

# Routes answering a file with data in it (the matrix flags any other route that answers an attachment, so
# a new download joins this list and the replay tests of test_access_matrix).
DOWNLOADS = frozenset(
    {
        "proposals:export_docx",
        "proposals:reply_docx",
        "proposals:ledger_xlsx",
        "proposals:attachment_download",
        "duties:export",
        "consultations:cases_docx",
        "reports:download",
        "reports:dashboard_export",
    }
)
BLANK_DOWNLOADS = frozenset({"org:roster_template"})  # the roster's empty template

# ------------------------------------------------------------------------------ who sees which record

PROPOSALS = {
    "p_draft": fs("member"),
    "p_invite": fs("other", "member"),  # invited to co-sign: sees the draft
    "p_submitted": fs("member") | READ_ALL,
    "p_cos": fs("other", "member") | READ_ALL,
    "p_other": fs("other") | READ_ALL,
    "p_filed": fs("member") | READ_ALL,
    "p_notfiled": fs("member") | READ_ALL,
    "p_assigned": fs("member", "unit") | READ_ALL,  # not unit_former: it returned it
    "p_returned": fs("member") | READ_ALL,  # not unit: it returned it
    "p_replied": fs("member", "unit") | READ_ALL,
    "p_closed": fs("member", "unit") | READ_ALL,
    "p_sib": fs("sibling_office"),
    "p_prov": fs("province_office"),
    "p_cnty": fs(),
}
OPINIONS = {
    "o_draft": fs("member"),
    "o_submitted": fs("member") | READ_ALL,
    "o_other": fs("other") | READ_ALL,
    "o_archived": fs("member") | READ_ALL,
    "o_forwarded": fs("member") | READ_ALL,
    "o_sib": fs("sibling_office"),
    "o_prov": fs("province_office"),
    "o_cnty": fs(),
}
CONCERNS = {
    "c_review": fs("office"),  # held for review: the office only
    "c_open": fs("office", "leader", "member"),  # at the member's station
    "c_taken": fs("office", "leader", "member"),
    "c_open_s2": fs("office", "leader"),  # another station
    "c_sib": fs("sibling_office"),
}
_COMMITTEE_MEMBERS = fs("member", "other") | READ_ALL
CONSULTATIONS = {
    "k_planned": _COMMITTEE_MEMBERS,
    "k_held": _COMMITTEE_MEMBERS | fs("unit"),  # the unit holds items of it; unit_former handed its back
    "k_trip": _COMMITTEE_MEMBERS,
    "k_case": _COMMITTEE_MEMBERS,
    "k_closable": _COMMITTEE_MEMBERS,
    "k_sup": _COMMITTEE_MEMBERS,
    "k_micro": _COMMITTEE_MEMBERS,
    "k_cancelled": READ_ALL,
    "k_sib": fs("sibling_office"),
}
PLANS = {
    "plan_draft": READ_ALL,
    "plan_approved": READ_ALL,
    "plan_published": READ_ALL | fs("member", "other"),
    "plan_sib": fs("sibling_office"),
}
MEMBERS = {  # masked roster rows
    "member": fs("member") | ROSTER,
    "other_member": fs("other") | ROSTER,
    "chair": ROSTER,
    "third": ROSTER,
    "cnty_member": fs(),
    "sib_member": fs("sibling_office"),
    "prov_member": fs("province_office"),
}
MEMBER_FILES = {  # 履职档案: own, or the committee's office and leaders
    "member": fs("member") | READ_ALL,
    "other_member": fs("other") | READ_ALL,
    "sib_member": fs("sibling_office"),
}
OUTCOMES = {  # agreed items of k_held: whoever sees it whole, and the unit holding the item
    "oc_draft": _COMMITTEE_MEMBERS,
    "oc_transferred": _COMMITTEE_MEMBERS | fs("unit"),
    "oc_accepted": _COMMITTEE_MEMBERS | fs("unit"),
    "oc_done": _COMMITTEE_MEMBERS | fs("unit"),
    "oc_handed_back": _COMMITTEE_MEMBERS,
}
VISIBLE: dict[str, dict[str, frozenset[str]]] = {
    "proposal": PROPOSALS,
    "opinion": OPINIONS,
    "concern": CONCERNS,
    "consultation": CONSULTATIONS,
    "plan": PLANS,
    "member": MEMBERS,
}


# The records each detail route is opened on: the member's own, a co-signed one, someone else's, a draft,
# one the unit handles, one it no longer handles, and another committee's. (The API lists are checked row by
# row against the whole tables, which covers every other state.)
MAIN = {
    "proposal": (
        "p_submitted",
        "p_cos",
        "p_other",
        "p_draft",
        "p_invite",
        "p_assigned",
        "p_returned",
        "p_sib",
    ),
    "opinion": ("o_draft", "o_submitted", "o_other", "o_sib"),
    "consultation": ("k_planned", "k_held", "k_micro", "k_cancelled", "k_sib"),
    "member": ("member", "other_member", "chair", "sib_member"),
}


def main(kind: str) -> list[tuple[str, frozenset[str]]]:
    return [(name, VISIBLE[kind][name]) for name in MAIN[kind]]


def pk(name: str, arg: str) -> Callable[[Scenario], dict[str, Any]]:
    return lambda s: {arg: s.pk(name)}


# ------------------------------------------------------------------------------ pages

CASES: list[Case] = []
add = CASES.append

# accounts
add(Case("home", allow=LOGGED_IN))
add(Case("accounts:login", public=True, allow=fs("anon")))  # the logged-in are sent home
# A wrong password: the form again, for anybody (the logged-in are sent home); nothing but the failure's
# audit row and lockout count is written.
add(
    Case(
        "accounts:login",
        "POST",
        public=True,
        allow=fs("anon"),
        verify=fs(),
        data={"username": "member1", "password": "not-the-password"},
    )
)
# The second login step needs a password step just passed in the same session: everybody else is sent back
# to the login page. Nobody here has enrolled a second factor, so the recovery codes page is nobody's (the
# second-factor tests cover enrolled users).
for route in ("accounts:otp_verify", "accounts:otp_setup"):
    add(Case(route, public=True))
    add(Case(route, "POST", public=True, data={"code": "123456"}))
add(Case("accounts:otp_codes", see=fs()))
add(Case("accounts:otp_codes", "POST", see=fs()))
# Logging out ends the session the other cases use: only tried anonymously (it answers a redirect).
add(Case("accounts:logout", "POST", public=True, users=("anon",)))
add(Case("accounts:audit", allow=fs("auditor"), see=fs("auditor")))
add(Case("accounts:password_change", allow=LOGGED_IN))
add(
    Case(
        "accounts:password_change",
        "POST",
        allow=LOGGED_IN,
        verify=fs("member"),
        data={
            "old_password": DEFAULT_PASSWORD,
            "new_password1": "Xq-7fresh-Pass!",
            "new_password2": "Xq-7fresh-Pass!",
        },
    )
)

# org
add(Case("org:member_list", allow=ROSTER | fs("sibling_office", "province_office"), label="own committee"))
add(Case("org:member_list", allow=ROSTER, see=ROSTER, query=city, label="city"))
for name, viewers in main("member"):
    add(Case("org:member_detail", allow=viewers, see=viewers, target=name, kwargs=pk(name, "member_id")))
add(Case("org:roster_import", allow=fs("office", "admin"), see=fs("office", "admin"), query=city))
add(Case("org:roster_import", allow=fs("office", "admin", "sibling_office", "province_office"), label="own"))
# A POST without a file is answered with the form and its error; nobody else gets past the committee check.
add(
    Case(
        "org:roster_import",
        "POST",
        allow=fs("office", "admin"),
        see=fs("office", "admin"),
        data=lambda s, u: city(s),
        verify=fs(),
    )
)
add(Case("org:roster_template", allow=LOGGED_IN))  # a blank template: no data in it

# proposals
add(Case("proposals:list", allow=LOGGED_IN))
add(Case("proposals:create", allow=fs("member", "other")))
add(
    Case(
        "proposals:create",
        "POST",
        allow=fs("member", "other"),
        data={
            "title": "关于新建停车场的建议",
            "background": "停车难。",
            "suggestions": "新建停车场。",
            "category": "society",
        },
    )
)
for name, viewers in main("proposal"):
    add(Case("proposals:detail", allow=viewers, see=viewers, target=name, kwargs=pk(name, "proposal_id")))
for name in ("p_submitted", "p_cos", "p_other", "p_draft", "p_sib"):
    viewers = PROPOSALS[name]
    add(
        Case("proposals:export_docx", allow=viewers, see=viewers, target=name, kwargs=pk(name, "proposal_id"))
    )
add(
    Case(
        "proposals:reply_docx",
        allow=PROPOSALS["p_replied"],
        see=PROPOSALS["p_replied"],
        target="p_replied",
        kwargs=lambda s: {"proposal_id": s.pk("p_replied"), "reply_id": s.pk("reply")},
    )
)
add(Case("proposals:ledger_xlsx", allow=READ_ALL, see=READ_ALL, query=city, label="city"))
add(Case("proposals:ledger_xlsx", allow=READ_ALL | fs("sibling_office", "province_office"), label="own"))


def _attachment(name: str, proposal: str) -> Callable[[Scenario], dict[str, Any]]:
    return lambda s: {"proposal_id": s.pk(proposal), "attachment_id": s.pk(name)}


for name, proposal in (("a_submitted", "p_submitted"), ("a_draft", "p_draft"), ("a_sib", "p_sib")):
    viewers = PROPOSALS[proposal]
    add(
        Case(
            "proposals:attachment_download",
            allow=viewers,
            see=viewers,
            target=name,
            kwargs=_attachment(name, proposal),
        )
    )
add(
    Case(
        "proposals:attachment_upload",
        "POST",
        allow=fs("member"),
        see=PROPOSALS["p_draft"],
        target="p_draft",
        kwargs=pk("p_draft", "proposal_id"),
        files=lambda: {"file": ("补充材料.pdf", b"%PDF-1.4\n%%EOF\n")},
    )
)
add(
    Case(
        "proposals:attachment_delete",
        "POST",
        allow=fs("member"),
        see=PROPOSALS["p_draft"],
        target="a_spare",
        kwargs=_attachment("a_spare", "p_draft"),
    )
)


def _proposal_act(action: str, target: str, allow: frozenset[str], data: Data = None) -> Case:
    return Case(
        "proposals:act",
        "POST",
        allow=allow,
        see=PROPOSALS[target],
        target=target,
        kwargs=pk(target, "proposal_id"),
        extra={"action": action},
        data=data,
    )


def _assign_form(unit: str) -> Data:
    return lambda s, u: {"lead": s.pk(unit), "deadline": today(60)}


PROPOSAL_ACTIONS = [
    # Nobody here sits in a committee above the proposal's, so nobody may take it up there.
    _proposal_act("escalate", "p_submitted", fs(), lambda s, u: {"member": s.pk("prov_member")}),
    _proposal_act("submit", "p_draft", fs("member")),
    _proposal_act("withdraw", "p_submitted", fs("member"), {"reason": "重复"}),
    _proposal_act("file", "p_submitted", fs("office")),
    _proposal_act("not_file", "p_submitted", fs("office"), {"reason": "不属于提案范围"}),
    _proposal_act("merge", "p_submitted", fs("office"), lambda s, u: {"into": str(s.r["p_cos"].number)}),
    _proposal_act("assign", "p_filed", fs("office"), _assign_form("unit")),
    _proposal_act("request_return", "p_assigned", fs("unit"), {"reason": "不属于本单位职责"}),
    _proposal_act("reassign", "p_returned", fs("office"), _assign_form("unit_none")),
    _proposal_act("contact", "p_assigned", fs("unit"), {"method": "电话", "note": "已与提案人沟通"}),
    _proposal_act("reply", "p_assigned", fs("unit"), {"letter": "已办理。", "result": "A"}),
    _proposal_act("rate", "p_replied", fs("member"), {"rating": "satisfied"}),
    _proposal_act("cosign_confirm", "p_invite", fs("member")),
    _proposal_act("cosign_decline", "p_invite", fs("member")),
    _proposal_act("key", "p_filed", fs("office"), lambda s, u: {"leaders": s.pk("chair")}),
    _proposal_act("first", "p_filed", fs("office")),
    _proposal_act("excellent", "p_closed", fs("office")),
]
CASES += PROPOSAL_ACTIONS
add(
    Case(
        "proposals:to_opinion",
        "POST",
        allow=fs("office"),
        see=PROPOSALS["p_notfiled"],
        target="p_notfiled",
        kwargs=pk("p_notfiled", "proposal_id"),
    )
)

# opinions
add(Case("opinions:list", allow=LOGGED_IN))
add(Case("opinions:create", allow=fs("member", "other") | OFFICES))
add(
    Case(
        "opinions:create",
        "POST",
        allow=fs("member", "other") | OFFICES,
        verify=fs("member", "office"),
        data=lambda s, u: {
            "title": "关于夜市管理的信息",
            "situation": "夜市噪音大。",
            "suggestion": "规范经营时间。",
            "kind": "opinion",
            "source": "member",
            **({"authors": s.pk("member")} if u.endswith("office") else {}),
        },
    )
)
add(Case("opinions:import", allow=fs("office"), see=fs("office"), query=city))
add(Case("opinions:import", allow=OFFICES, label="own"))
add(
    Case(
        "opinions:import",
        "POST",
        allow=fs("office"),
        see=fs("office"),
        data=lambda s, u: city(s),
        verify=fs(),
    )
)
for name, viewers in main("opinion"):
    add(Case("opinions:detail", allow=viewers, see=viewers, target=name, kwargs=pk(name, "pk")))
_TEXT = {
    "kind": "opinion",
    "title": "修改后的标题",
    "situation": "修改后的情况。",
    "suggestion": "修改后的建议。",
}
for name, editor in (("o_draft", "member"), ("o_submitted", "office")):
    add(Case("opinions:edit", allow=fs(editor), see=OPINIONS[name], target=name, kwargs=pk(name, "pk")))
    add(
        Case(
            "opinions:edit",
            "POST",
            allow=fs(editor),
            see=OPINIONS[name],
            target=name,
            kwargs=pk(name, "pk"),
            data=_TEXT,
        )
    )


def _opinion_act(action: str, target: str, allow: frozenset[str], data: Data = None) -> Case:
    return Case(
        "opinions:act",
        "POST",
        allow=allow,
        see=OPINIONS[target],
        target=target,
        kwargs=pk(target, "pk"),
        extra={"action": action},
        data=data,
    )


CASES += [
    _opinion_act("submit", "o_draft", fs("member")),
    _opinion_act("withdraw", "o_submitted", fs("member"), {"reason": "重复"}),
    _opinion_act("archive", "o_submitted", fs("office"), {"reason": "已有反映"}),
    _opinion_act("reopen", "o_archived", fs("office")),
    _opinion_act("merge", "o_submitted", fs("office"), lambda s, u: {"into": s.pk("o_other")}),
    _opinion_act(
        "forward",
        "o_submitted",
        fs("office"),
        {"target": "party_committee", "receiver": "市委办", "forwarded_on": today()},
    ),
    _opinion_act(
        "adopt",
        "o_forwarded",
        fs("office"),
        lambda s, u: {"forwarding": s.pk("forwarding"), "adopted_on": today()},
    ),
    _opinion_act(
        "instruct",
        "o_forwarded",
        fs("office"),
        {"level": "city", "leader_name": "王市长", "instructed_on": today()},
    ),
]

# consultations
add(Case("consultations:list", allow=LOGGED_IN))
_CREATORS = OFFICES | fs("member")  # the office anywhere; the member only a micro one at their station
add(Case("consultations:create", allow=_CREATORS))
add(
    Case(
        "consultations:create",
        "POST",
        allow=_CREATORS,
        verify=fs("office", "member"),
        data=lambda s, u: {
            "title": "关于停车难的协商",
            "held_on": today(7),
            "kind": "consultation",
            **({"form": "micro", "station": s.pk("s1")} if u == "member" else {"form": "standing"}),
        },
    )
)
for name, viewers in main("consultation"):
    add(Case("consultations:detail", allow=viewers, see=viewers, target=name, kwargs=pk(name, "pk")))
_EDIT = {
    "title": "改后的主题",
    "held_on": today(-3),
    "place": "市政协",
    "series": "",
    "summary": "",
    "minutes": "",
}
for name, managers in (("k_planned", fs("office")), ("k_micro", fs("office", "member"))):
    # Those who may not manage it are not shown the edit page at all (404).
    add(Case("consultations:edit", allow=managers, see=managers, target=name, kwargs=pk(name, "pk")))
    add(
        Case(
            "consultations:edit",
            "POST",
            allow=managers,
            see=managers,
            target=name,
            kwargs=pk(name, "pk"),
            data=_EDIT,
        )
    )


def _consultation_act(action: str, target: str, allow: frozenset[str], data: Data = None) -> Case:
    return Case(
        "consultations:act",
        "POST",
        allow=allow,
        see=CONSULTATIONS[target],
        target=target,
        kwargs=pk(target, "pk"),
        extra={"action": action},
        data=data,
    )


def _now(hours: int) -> str:
    return (timezone.localtime() + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


CASES += [
    _consultation_act(
        "participant", "k_planned", fs("office"), {"kind": "public", "name": "陈伯", "organisation": "社区"}
    ),
    _consultation_act(
        "attendance",
        "k_planned",
        fs("office"),
        lambda s, u: {"participant": s.pk("k_planned_participant"), "attendance": "attended"},
    ),
    _consultation_act(
        "attendance_all",
        "k_planned",
        fs("office"),
        lambda s, u: {f"attendance-{s.pk('k_planned_participant')}": "attended"},
    ),
    _consultation_act("hold", "k_planned", fs("office"), {"summary": "已召开。"}),
    _consultation_act("cancel", "k_planned", fs("office")),
    _consultation_act("close", "k_closable", fs("office")),
    _consultation_act("outcome", "k_held", fs("office"), {"text": "新增一项成果"}),
    _consultation_act(
        "speech",
        "k_held",
        fs("office"),
        lambda s, u: {"participant": s.pk("k_held_participant"), "title": "发言"},
    ),
    _consultation_act(
        "visit", "k_trip", fs("office"), {"visited_on": today(-3), "place": "荷塘镇", "note": ""}
    ),
    _consultation_act(
        "report", "k_held", fs("office"), {"title": "调研报告", "situation": "情况。", "suggestion": "建议。"}
    ),
    _consultation_act("case_mark", "k_held", fs("office"), {"summary": "典型案例。"}),
    _consultation_act("case_unmark", "k_case", fs("office")),
    _consultation_act(
        "round",
        "k_held",
        fs("office"),
        lambda s, u: {"question": "议题", "opens_at": _now(0), "closes_at": _now(48)},
    ),
    # Any active member of the committee takes part in an open online round.
    _consultation_act(
        "contribute",
        "k_held",
        fs("member", "other"),
        lambda s, u: {"round": s.pk("round"), "text": "建议增加实训基地"},
    ),
    _consultation_act(
        "review",
        "k_sup",
        fs("office"),
        lambda s, u: {"unit": s.pk("unit_none"), "questions": "服务态度 1 10"},
    ),
    _consultation_act(
        "review_score",
        "k_sup",
        fs("member"),  # a participant of the supervisory consultation
        lambda s, u: {
            "review": s.pk("review"),
            **{f"score-{q.pk}": "8" for q in s.r["review"].questions.all()},
        },
    ),
    _consultation_act("review_close", "k_sup", fs("office"), lambda s, u: {"review": s.pk("review")}),
]


def _outcome_act(action: str, target: str, allow: frozenset[str], data: Data = None) -> Case:
    return Case(
        "consultations:outcome_act",
        "POST",
        allow=allow,
        see=OUTCOMES[target],
        target=target,
        kwargs=lambda s: {"pk": s.pk("k_held"), "outcome_id": s.pk(target)},
        extra={"action": action},
        data=data,
    )


CASES += [
    _outcome_act(
        "transfer", "oc_draft", fs("office"), lambda s, u: {"unit": s.pk("unit"), "deadline": today(30)}
    ),
    _outcome_act(
        "transfer",
        "oc_handed_back",
        fs("office"),
        lambda s, u: {"unit": s.pk("unit_none"), "deadline": today(30)},
    ),
    _outcome_act("hand_back", "oc_transferred", fs("unit"), {"reason": "不属于本单位"}),
    _outcome_act("accept", "oc_transferred", fs("unit"), {"response": "同意"}),
    _outcome_act("decline", "oc_transferred", fs("unit"), {"response": "暂无资金"}),
    _outcome_act("progress", "oc_accepted", fs("unit"), {"percent": "40", "note": "已采购"}),
    _outcome_act("complete", "oc_accepted", fs("unit"), {"note": "已完成"}),
    _outcome_act("report_back", "oc_done", fs("office"), {"feedback": "已反馈参加人员"}),
]
add(Case("consultations:unit_outcomes", allow=fs("unit", "unit_none", "unit_former")))
add(Case("consultations:plan_list", allow=LOGGED_IN))
add(
    Case(
        "consultations:plan_list",
        "POST",
        allow=OFFICES,
        verify=fs("office"),
        data={"year": str(YEAR - 2), "title": f"{YEAR - 2}年度协商计划"},
    )
)
for name, viewers in PLANS.items():
    add(Case("consultations:plan_detail", allow=viewers, see=viewers, target=name, kwargs=pk(name, "pk")))


def _plan_act(action: str, target: str, data: Data = None) -> Case:
    return Case(
        "consultations:plan_act",
        "POST",
        allow=fs("office"),
        see=PLANS[target],
        target=target,
        kwargs=pk(target, "pk"),
        extra={"action": action},
        data=data,
    )


def _topic(s: Scenario, u: str) -> dict[str, Any]:
    t = s.pk("topic")
    return {"topic": t, f"t{t}-title": "改后的议题", f"t{t}-form": "standing", f"t{t}-month": "6"}


CASES += [
    _plan_act("topic_add", "plan_draft", {"title": "新议题", "form": "standing", "month": "5"}),
    _plan_act("topic_update", "plan_draft", _topic),
    _plan_act("topic_remove", "plan_draft", lambda s, u: {"topic": s.pk("topic")}),
    _plan_act("approve", "plan_draft", {"approved_on": today()}),
    _plan_act("publish", "plan_approved"),
]
add(Case("consultations:cases", allow=OFFICES))  # each office its own committee's cases
add(Case("consultations:cases_docx", allow=OFFICES))

# duties
add(Case("duties:mine", allow=fs("member", "other")))  # office and leaders are sent to the rankings
add(
    Case(
        "duties:claim",
        "POST",
        allow=fs("member", "other"),
        data={"kind": "training", "title": "参加线上培训", "occurred_on": today(-1), "evidence": "结业证书"},
    )
)
add(
    Case(
        "duties:contest",
        "POST",
        allow=fs("member"),
        see=fs("member"),
        target="d_member",
        kwargs=pk("d_member", "record_id"),
        data={"reason": "记录有误"},
    )
)
for name, viewers in MEMBER_FILES.items():
    add(Case("duties:member", allow=viewers, see=viewers, target=name, kwargs=pk(name, "member_id")))
for route, readers in (
    ("duties:office", READ_ALL),
    ("duties:review", fs("office")),
    ("duties:add", fs("office")),
    ("duties:rules", fs("office")),
    ("duties:export", READ_ALL),
):
    add(Case(route, allow=readers, see=readers, query=city, label="city"))
    add(Case(route, allow=readers | fs("sibling_office", "province_office"), label="own"))
add(
    Case(
        "duties:review_claim",
        "POST",
        allow=fs("office"),
        see=fs("office"),
        target="d_claim",
        kwargs=pk("d_claim", "record_id"),
        data={"decision": "approve"},
    )
)
add(
    Case(
        "duties:resolve_contest",
        "POST",
        allow=fs("office"),
        see=fs("office"),
        target="contest",
        kwargs=pk("contest", "contest_id"),
        data={"decision": "reject", "resolution": "核实无误"},
    )
)
add(
    Case(
        "duties:add",
        "POST",
        allow=fs("office"),
        see=fs("office"),
        data=lambda s, u: {
            **city(s),
            "member": s.pk("member"),
            "kind": "training",
            "title": "培训",
            "occurred_on": today(-1),
        },
    )
)
add(
    Case(
        "duties:rules",
        "POST",
        allow=fs("office"),
        see=fs("office"),
        data=lambda s, u: {
            **city(s),
            "year": str(YEAR),
            "name": "考评办法（修订）",
            "threshold": "10",
            "points_training": "3",
        },
    )
)
add(
    Case(
        "duties:recompute",
        "POST",
        allow=fs("office"),
        see=fs("office"),
        data=lambda s, u: {**city(s), "year": str(YEAR)},
    )
)

# concerns (grassroots): the public pages need no login
_PUBLIC = fs(*USERS)
add(Case("grassroots:public", public=True, allow=_PUBLIC))
add(
    Case(
        "grassroots:public_raise",
        public=True,
        allow=_PUBLIC,
        kwargs=lambda s: {"committee_id": s.committees["city"].pk},
    )
)
add(
    Case(
        "grassroots:public_raise",
        "POST",
        public=True,
        allow=_PUBLIC,
        verify=fs("anon"),
        kwargs=lambda s: {"committee_id": s.committees["city"].pk},
        data=lambda s, u: {
            "station": s.pk("s1"),
            "title": "公交站牌损坏",
            "content": "站牌损坏一个月。",
            "category": "urban",
            "name": "",
            "phone": "",
        },
    )
)
# Without a concern just raised in this session it sends the visitor back to the form.
add(Case("grassroots:public_done", public=True, allow=fs()))
add(Case("grassroots:lookup", public=True, allow=_PUBLIC))
# A look-up changes nothing; whoever holds a concern's number reads its title and public status (never the
# person's name or phone).
add(
    Case(
        "grassroots:lookup",
        "POST",
        public=True,
        allow=_PUBLIC,
        shows={u: fs(CITY) for u in USERS},
        verify=fs(),
        data=lambda s, u: {"number": s.r["c_open"].number},
    )
)
add(Case("grassroots:list", allow=LOGGED_IN))
_RECEIVERS = fs(
    "office", "member", "sibling_office"
)  # staff of a committee with stations, a station's member
add(Case("grassroots:reception", allow=_RECEIVERS))
add(
    Case(
        "grassroots:reception",
        "POST",
        allow=_RECEIVERS,
        verify=fs("office", "member"),
        data=lambda s, u: {
            "station": s.pk("s1"),
            "title": "井盖缺失",
            "content": "路口井盖缺失。",
            "category": "urban",
            "channel": "visit",
            "name": "",
            "phone": "",
        },
    )
)
for name, viewers in CONCERNS.items():
    add(Case("grassroots:detail", allow=viewers, see=viewers, target=name, kwargs=pk(name, "pk")))


def _concern_act(action: str, target: str, allow: frozenset[str], data: Data = None) -> Case:
    return Case(
        "grassroots:act",
        "POST",
        allow=allow,
        see=CONCERNS[target],
        target=target,
        kwargs=pk(target, "pk"),
        extra={"action": action},
        data=data,
    )


CASES += [
    _concern_act("take", "c_open", fs("member")),
    _concern_act("release", "c_taken", fs("member"), {"reason": "暂时无法办理"}),
    _concern_act("resolve", "c_taken", fs("member"), {"result": "已联系街道修复。"}),
    _concern_act(
        "to_opinion", "c_taken", fs("member"), {"title": "关于人行道破损的信息", "suggestion": "尽快修复。"}
    ),
    _concern_act(
        "to_proposal",
        "c_taken",
        fs("member"),
        lambda s, u: {"session": s.pk("session"), "suggestions": "建议修复。"},
    ),
    _concern_act(
        "to_consultation",
        "c_taken",
        fs("member"),
        {"held_on": today(7), "title": "人行道修复协商", "series": "有事来协商"},
    ),
    _concern_act("approve", "c_review", fs("office")),
    _concern_act("reject", "c_open", fs("office"), {"reason": "不属于受理范围"}),
    _concern_act("route", "c_open_s2", fs("office"), lambda s, u: {"station": s.pk("s1")}),
]

# notices: everyone's own inbox; marking read touches only the user's own rows (none unread here)
# 住建局 keeps the notice of the assignment it had before returning the proposal (sent while it was theirs).
add(Case("notices:inbox", allow=LOGGED_IN, shows={"unit_former": fs(MINE)}))
add(Case("notices:inbox", "POST", allow=LOGGED_IN, verify=fs()))

# reports: statistics of a committee and everything below it
_STATS_CITY = STATISTICS | fs("province_office")  # province_office: the committee above
for route in ("reports:dashboard", "reports:dashboard_export"):
    add(
        Case(
            route,
            allow=_STATS_CITY,
            see=_STATS_CITY,
            query=lambda s: {**city(s), "scope": "all"},
            stats=True,
            label="city",
        )
    )
    add(Case(route, allow=_STATS_CITY | fs("sibling_office"), stats=True, label="own"))
# Members and auditors of the committee read the published report, without the record lists.
_READERS = _STATS_CITY | fs("member", "other", "auditor")


def _report_query(scope: str) -> Callable[[Scenario], dict[str, Any]]:
    return lambda s: {**city(s), "year": YEAR, "scope": scope}


add(
    Case(
        "reports:report",
        allow=_READERS,
        see=_READERS,
        query=_report_query("own"),
        stats=True,
        label="published",
    )
)
add(
    Case(
        "reports:report",
        allow=_STATS_CITY,
        see=_STATS_CITY,
        query=_report_query("all"),
        stats=True,
        label="draft",
    )
)
for fmt in ("docx", "json", "html"):
    add(
        Case(
            "reports:download",
            allow=_READERS,
            see=_READERS,
            query=_report_query("own"),
            stats=True,
            extra={"fmt": fmt},
            label="published",
        )
    )
    add(
        Case(
            "reports:download",
            allow=_STATS_CITY,
            see=_STATS_CITY,
            query=_report_query("all"),
            stats=True,
            extra={"fmt": fmt},
            label="draft",
        )
    )
add(Case("reports:edit", allow=fs("office"), see=fs("office"), query=_report_query("all"), stats=True))
add(
    Case(
        "reports:edit",
        "POST",
        allow=fs("office"),
        see=fs("office"),
        query=_report_query("all"),
        data=lambda s, u: {
            **_report_query("all")(s),
            "title": "年度工作报告",
            "section_proposals": "本年度提案工作。",
        },
    )
)
add(
    Case(
        "reports:publish",
        "POST",
        allow=fs("office"),
        see=fs("office"),
        data=lambda s, u: _report_query("all")(s),
    )
)
add(
    Case(
        "reports:unpublish",
        "POST",
        allow=fs("office"),
        see=fs("office"),
        data=lambda s, u: _report_query("own")(s),
    )
)
# Every figure's record list: the key does not change who may read (everybody tries one figure); the city's
# office reads every other one, which must hold no row of another committee.
for key in drills.DRILLS:
    add(
        Case(
            "reports:records",
            allow=_STATS_CITY,
            see=_STATS_CITY,
            query=_report_query("all"),
            stats=True,
            extra={"key": key},
            users=USERS if key == "proposals.received" else ("office",),
        )
    )

# the API's own pages: its description is public, the operations are not
# (The same document whoever asks: read anonymously and by one logged-in person.)
add(Case("api:openapi-json", public=True, allow=_PUBLIC, users=("anon", "member")))
add(Case("api:openapi-view", public=True, allow=_PUBLIC, users=("anon", "member")))
add(Case("api:api-root", public=True, allow=fs()))  # answers 404 to everyone

# ------------------------------------------------------------------------------ API operations
# Lists must hold exactly the rows the tables above grant (ids: which table).


def op(route: str, allow: frozenset[str], **kw: Any) -> Case:
    method = route.split(" ", 1)[0]
    return Case(route, method, allow=allow, **kw)


def _on(name: str, arg: str, table: dict[str, frozenset[str]]) -> dict[str, Any]:
    return {"target": name, "kwargs": pk(name, arg), "see": table[name]}


add(op("GET /accounts/me", LOGGED_IN))
add(op("GET /org/members", LOGGED_IN, ids="member"))
for name, viewers in main("member"):
    add(op("GET /org/members/{member_id}", viewers, **_on(name, "member_id", MEMBERS)))
add(
    op(
        "GET /org/committees/{committee_id}/stats",
        _STATS_CITY,
        see=_STATS_CITY,
        kwargs=lambda s: {"committee_id": s.committees["city"].pk},
        stats=True,
    )
)

add(op("GET /proposals", LOGGED_IN, ids="proposal"))
add(
    op(
        "POST /proposals",
        fs("member", "other"),
        see=fs("member", "other"),  # only members of the session's committee may draft there
        data=lambda s, u: {
            "session_id": s.pk("session"),
            "title": "关于新建停车场的建议",
            "background": "停车难。",
            "suggestions": "新建。",
        },
    )
)
for name, viewers in main("proposal"):
    add(op("GET /proposals/{proposal_id}", viewers, **_on(name, "proposal_id", PROPOSALS)))


def _proposal_op(action: str, target: str, allow: frozenset[str], data: Data = None) -> Case:
    return op(
        f"POST /proposals/{{proposal_id}}/{action}",
        allow,
        data=data or {},
        **_on(target, "proposal_id", PROPOSALS),
    )


CASES += [
    _proposal_op("cosigners", "p_draft", fs("member"), lambda s, u: {"member_ids": [s.pk("third")]}),
    _proposal_op("cosign", "p_invite", fs("member"), {"confirm": True}),
    _proposal_op("submit", "p_draft", fs("member")),
    _proposal_op("withdraw", "p_submitted", fs("member"), {"reason": "重复"}),
    _proposal_op("file", "p_submitted", fs("office")),
    _proposal_op("not_file", "p_submitted", fs("office"), {"reason": "不属于提案范围"}),
    _proposal_op("merge", "p_submitted", fs("office"), lambda s, u: {"into_id": s.pk("p_cos")}),
    _proposal_op(
        "assign", "p_filed", fs("office"), lambda s, u: {"lead_unit_id": s.pk("unit"), "deadline": today(60)}
    ),
    _proposal_op("request_return", "p_assigned", fs("unit"), {"reason": "不属于本单位职责"}),
    _proposal_op("reassign", "p_returned", fs("office"), lambda s, u: {"lead_unit_id": s.pk("unit_none")}),
    _proposal_op("contact", "p_assigned", fs("unit"), {"method": "电话", "note": "已沟通"}),
    _proposal_op("reply", "p_assigned", fs("unit"), {"letter": "已办理。", "result": "A"}),
    _proposal_op("rate", "p_replied", fs("member"), {"rating": "satisfied"}),
]

add(op("GET /opinions", LOGGED_IN, ids="opinion"))
add(
    op(
        "POST /opinions",
        fs("member", "other") | OFFICES,  # members in their committee, each office in its own
        verify=fs("member", "office"),
        data=lambda s, u: {
            "title": "关于夜市管理的信息",
            "situation": "夜市噪音大。",
            **({"author_ids": [s.pk("member")]} if u.endswith("office") else {}),
        },
    )
)
for name, viewers in main("opinion"):
    add(op("GET /opinions/{report_id}", viewers, **_on(name, "report_id", OPINIONS)))
add(
    op(
        "PUT /opinions/{report_id}",
        fs("member"),
        data={"title": "改后的标题", "situation": "改后的情况。"},
        **_on("o_draft", "report_id", OPINIONS),
    )
)
add(
    op(
        "PUT /opinions/{report_id}",
        fs("office"),
        data={"title": "改后的标题", "situation": "改后的情况。"},
        **_on("o_submitted", "report_id", OPINIONS),
    )
)


def _opinion_op(action: str, target: str, allow: frozenset[str], data: Data = None) -> Case:
    return op(
        f"POST /opinions/{{report_id}}/{action}", allow, data=data or {}, **_on(target, "report_id", OPINIONS)
    )


CASES += [
    _opinion_op("submit", "o_draft", fs("member")),
    _opinion_op("withdraw", "o_submitted", fs("member"), {"reason": "重复"}),
    _opinion_op("archive", "o_submitted", fs("office"), {"reason": "已有反映"}),
    _opinion_op("reopen", "o_archived", fs("office")),
    _opinion_op("merge", "o_submitted", fs("office"), lambda s, u: {"into_id": s.pk("o_other")}),
    _opinion_op("forward", "o_submitted", fs("office"), {"target": "party_committee", "receiver": "市委办"}),
    _opinion_op("adopt", "o_forwarded", fs("office"), lambda s, u: {"forwarding_id": s.pk("forwarding")}),
    _opinion_op("instruct", "o_forwarded", fs("office"), {"level": "city", "leader_name": "王市长"}),
]

add(
    op(
        "POST /concerns/public",
        _PUBLIC,
        public=True,
        verify=fs("anon"),
        data=lambda s, u: {
            "committee_id": s.committees["city"].pk,
            "station_id": s.pk("s1"),
            "title": "公交站牌损坏",
            "content": "站牌损坏一个月。",
            "category": "urban",
        },
    )
)
add(
    op(
        "GET /concerns/public/lookup",
        _PUBLIC,
        public=True,
        query=lambda s: {"number": s.r["c_open"].number},
        shows={u: fs(CITY) for u in USERS},  # the title and public status, to whoever holds the number
    )
)
add(op("GET /concerns", LOGGED_IN, ids="concern"))
add(
    op(
        "POST /concerns/reception",
        _RECEIVERS,
        verify=fs("office", "member"),
        data=lambda s, u: {
            "station_id": s.pk("s1"),
            "title": "井盖缺失",
            "content": "路口井盖缺失。",
            "category": "urban",
            "channel": "visit",
        },
    )
)
for name, viewers in CONCERNS.items():
    add(op("GET /concerns/{concern_id}", viewers, **_on(name, "concern_id", CONCERNS)))


def _concern_op(action: str, target: str, allow: frozenset[str], data: Data = None) -> Case:
    return op(
        f"POST /concerns/{{concern_id}}/{action}",
        allow,
        data=data or {},
        **_on(target, "concern_id", CONCERNS),
    )


CASES += [
    _concern_op("take", "c_open", fs("member")),
    _concern_op("release", "c_taken", fs("member"), {"reason": "暂时无法办理"}),
    _concern_op("resolve", "c_taken", fs("member"), {"result": "已联系街道修复。"}),
    _concern_op(
        "to_opinion", "c_taken", fs("member"), {"title": "关于人行道破损的信息", "suggestion": "尽快修复。"}
    ),
    _concern_op(
        "to_proposal",
        "c_taken",
        fs("member"),
        lambda s, u: {"session_id": s.pk("session"), "suggestions": "建议修复。"},
    ),
    _concern_op("to_consultation", "c_taken", fs("member"), {"held_on": today(7), "title": "人行道修复协商"}),
    _concern_op("approve", "c_review", fs("office")),
    _concern_op("reject", "c_open", fs("office"), {"reason": "不属于受理范围"}),
    _concern_op("route", "c_open_s2", fs("office"), lambda s, u: {"station_id": s.pk("s1")}),
]

add(op("GET /consultations", LOGGED_IN, ids="consultation"))
add(op("GET /consultations/outcomes", fs("unit", "unit_none", "unit_former")))
add(op("GET /consultations/plans", LOGGED_IN, ids="plan"))
for name, viewers in PLANS.items():
    add(op("GET /consultations/plans/{plan_id}", viewers, **_on(name, "plan_id", PLANS)))
for name, viewers in main("consultation"):
    add(op("GET /consultations/{consultation_id}", viewers, **_on(name, "consultation_id", CONSULTATIONS)))


def _outcome_op(action: str, target: str, allow: frozenset[str], data: Data) -> Case:
    return op(
        f"POST /consultations/{{consultation_id}}/outcomes/{{outcome_id}}/{action}",
        allow,
        data=data,
        target=target,
        see=OUTCOMES[target],
        kwargs=lambda s: {"consultation_id": s.pk("k_held"), "outcome_id": s.pk(target)},
    )


CASES += [
    _outcome_op(
        "transfer", "oc_draft", fs("office"), lambda s, u: {"unit_id": s.pk("unit"), "deadline": today(30)}
    ),
    _outcome_op("respond", "oc_transferred", fs("unit"), {"accept": True, "response": "同意"}),
    _outcome_op("hand_back", "oc_transferred", fs("unit"), {"reason": "不属于本单位"}),
    _outcome_op("progress", "oc_accepted", fs("unit"), {"percent": 40, "note": "已采购"}),
    _outcome_op("complete", "oc_accepted", fs("unit"), {"note": "已完成"}),
    _outcome_op("report_back", "oc_done", fs("office"), {"feedback": "已反馈参加人员"}),
]

add(op("GET /duties/me", fs("member", "other")))
add(op("GET /duties/rankings", READ_ALL, see=READ_ALL, query=city, label="city"))
add(op("GET /duties/rankings", READ_ALL | fs("sibling_office", "province_office"), label="own"))
add(
    op(
        "POST /duties/claims",
        fs("member", "other"),
        data={"kind": "training", "title": "参加线上培训", "occurred_on": today(-1), "evidence": "结业证书"},
    )
)
add(
    op(
        "POST /duties/records/{record_id}/contest",
        fs("member"),
        data={"reason": "记录有误"},
        target="d_member",
        see=fs("member"),
        kwargs=pk("d_member", "record_id"),
    )
)

add(
    op(
        "GET /reports/annual",
        _READERS,
        see=_READERS,
        query=_report_query("own"),
        stats=True,
        label="published",
    )
)
add(
    op(
        "GET /reports/annual",
        _STATS_CITY,
        see=_STATS_CITY,
        query=_report_query("all"),
        stats=True,
        label="draft",
    )
)

# textindex, similar proposals and hot topics (views_similar): the drafting panel is a member's (no data
# change needed: it only logs what it showed); co-signing from it confirms the member's own invitation;
# duplicates, merging and issue groups are the office's; hot topics are statistics.
add(
    Case(
        "textindex:similar_draft",
        "POST",
        allow=fs("member", "other"),
        verify=fs(),
        data={
            "title": "关于老旧小区加装电梯的建议",
            "background": "老年人上下楼困难。",
            "suggestions": "简化审批。",
        },
    )
)
add(
    Case(
        "textindex:similar_cosign",
        "POST",
        allow=fs("member"),
        see=PROPOSALS["p_invite"],
        target="p_invite",
        kwargs=pk("p_invite", "proposal_id"),
    )
)
for name in ("p_submitted", "p_sib"):
    add(
        Case(
            "textindex:similar_duplicates",
            allow=PROPOSALS[name] & OFFICES,
            see=PROPOSALS[name],
            target=name,
            kwargs=pk(name, "proposal_id"),
        )
    )
for method in ("GET", "POST"):
    add(
        Case(
            "textindex:similar_merge",
            method,
            allow=fs("office"),
            see=PROPOSALS["p_submitted"],
            target="p_submitted",
            kwargs=lambda s: {"proposal_id": s.pk("p_submitted"), "into_id": s.pk("p_cos")},
        )
    )
add(
    Case(
        "textindex:similar_dismiss",
        "POST",
        allow=fs("office"),
        verify=fs(),  # nothing to dismiss until the panel has been shown
        see=PROPOSALS["p_submitted"],
        target="p_submitted",
        kwargs=pk("p_submitted", "proposal_id"),
    )
)
add(Case("textindex:similar_groups", allow=fs("office"), see=fs("office"), query=city, label="city"))
add(Case("textindex:similar_groups", allow=OFFICES, label="own"))
add(Case("textindex:topics", allow=_STATS_CITY, see=_STATS_CITY, query=city, stats=True, label="city"))
add(
    Case(
        "textindex:topics_refresh",
        "POST",
        allow=fs("office"),
        verify=fs(),  # the task writes a file, not a table
        see=_STATS_CITY,
        query=city,
        stats=True,
        label="city",
    )
)
# The routing suggestion (交办建议): the office of the proposal's committee only.
for name in ("p_filed", "p_sib"):
    add(
        Case(
            "textindex:routing_panel",
            allow=PROPOSALS[name] & OFFICES,
            see=PROPOSALS[name],
            target=name,
            kwargs=pk(name, "proposal_id"),
        )
    )


# ------------------------------------------------------------------------------ who tries what
# A route that opens a record looks it up for everybody the same way (one access function), so every
# outsider (someone who cannot see the record) takes one path whatever the record or the action. Each case of
# such a route is tried by anonymous, the member, 贺州's office, and everybody who can see its
# record (where permission bugs live); the other outsiders are spread over the route's cases, each of them
# trying every route at least once. (Every refusal is audited, which is most of what a request costs here.)
ALWAYS = frozenset({"anon", "member", "sibling_office"})


def _spread_outsiders(cases: list[Case]) -> list[Case]:
    groups: dict[str, list[int]] = {}
    for index, case in enumerate(cases):
        if case.see is not None and case.target and case.users == USERS:
            key = case.route.rsplit("/", 1)[0] if case.api else case.route
            groups.setdefault(f"{case.method} {key}", []).append(index)
    out = list(cases)
    for indexes in groups.values():
        insiders = {i: ALWAYS | cases[i].see | cases[i].allow for i in indexes}  # type: ignore[operator]
        share: dict[int, set[str]] = {i: set() for i in indexes}
        turn = 0
        for user in USERS:
            where = [i for i in indexes if user not in insiders[i]]
            if where:
                share[where[turn % len(where)]].add(user)
                turn += 1
        for i in indexes:
            out[i] = replace(cases[i], users=tuple(u for u in USERS if u in insiders[i] | share[i]))
    return out


CASES[:] = _spread_outsiders(CASES)

# A page asked for without naming a committee opens the asker's own committee: this variant differs from the
# one naming the city only for the offices of other committees, so it is tried by them, the city's office, a
# member and anonymous (everybody tries the variant naming the city).
OWN_VARIANT_USERS = ("anon", "member", "office", "sibling_office", "province_office")
CASES[:] = [
    replace(c, users=OWN_VARIANT_USERS) if c.label.startswith("own") and c.users == USERS else c
    for c in CASES
]


# ------------------------------------------------------------------------------ searches and filters
# Lists searched for every tagged title ("@" is in all of them) or filtered on another committee's station
# or committee: whatever the parameters, no row outside the reader's reach.
SEARCHERS = ("member", "other", "office", "leader", "unit", "sibling_office", "province_office")


def _on_sibling(param: str, record: str = "") -> Callable[[Scenario], dict[str, Any]]:
    return lambda s: {param: s.pk(record) if record else s.committees["sibling"].pk}


CASES += [
    Case("proposals:list", allow=LOGGED_IN, users=SEARCHERS, query=lambda s: {"q": "@"}, label="search"),
    Case("opinions:list", allow=LOGGED_IN, users=SEARCHERS, query=lambda s: {"q": "@"}, label="search"),
    Case("grassroots:list", allow=LOGGED_IN, users=SEARCHERS, query=lambda s: {"q": "@"}, label="search"),
    Case(
        "grassroots:list",
        allow=LOGGED_IN,
        users=SEARCHERS,
        query=_on_sibling("station", "sib_station"),
        label="station",
    ),
    Case(
        "consultations:list",
        allow=LOGGED_IN,
        users=SEARCHERS,
        query=_on_sibling("station", "sib_station"),
        label="station",
    ),
    Case(
        "org:member_list",
        allow=ROSTER,
        see=ROSTER,
        users=SEARCHERS,
        query=lambda s: {**city(s), "q": "王"},
        label="search",
    ),
    Case(
        "proposals:ledger_xlsx",
        allow=READ_ALL,
        see=READ_ALL,
        users=SEARCHERS,
        query=lambda s: {**city(s), "q": "@"},
        label="search",
    ),
    op("GET /proposals", LOGGED_IN, users=SEARCHERS, query=lambda s: {"q": "@"}, label="search"),
    op("GET /opinions", LOGGED_IN, users=SEARCHERS, query=lambda s: {"q": "@"}, label="search"),
    op(
        "GET /concerns",
        LOGGED_IN,
        users=SEARCHERS,
        query=_on_sibling("station", "sib_station"),
        label="station",
    ),
    op(
        "GET /consultations",
        LOGGED_IN,
        users=SEARCHERS,
        query=_on_sibling("station", "sib_station"),
        label="station",
    ),
    op(
        "GET /org/members",
        LOGGED_IN,
        users=SEARCHERS,
        query=lambda s: {**_on_sibling("committee")(s), "q": "王"},
        label="search",
    ),
    op(
        "GET /duties/rankings",
        fs("sibling_office"),
        see=fs("sibling_office"),
        users=SEARCHERS,
        query=_on_sibling("committee"),
        label="sibling",
    ),
]

# textindex search (views_search): everyone logged in may search; whatever the words or filters, no row
# outside the reader's reach (each query matches one tag, so a foreign row would show its tag).
add(Case("textindex:search", allow=LOGGED_IN))
CASES += [
    Case(
        "textindex:search",
        allow=LOGGED_IN,
        users=SEARCHERS,
        query=lambda s, q=q: {"q": q},
        label=f"search {q}",
    )
    for q in ("CITY", "SIB", "PROV", "CNTY", "DRAFT", "OTHER", "MINE")
]
CASES.append(
    Case(
        "textindex:search",
        allow=LOGGED_IN,
        users=SEARCHERS,
        query=lambda s: {"q": "SIB", "committee": s.committees["sibling"].pk},
        label="search sibling",
    )
)
