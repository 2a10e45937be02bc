"""What the annual report says: its sections, the figures each shows, and the narrative staff edit.

The narrative is plain text with {section.figure} tokens ("全年共收到提案{proposals.received}件"). A token is
replaced by the figure when the report is shown: on the web page by a link to the records it counts, in Word
and JSON by its value. So the text can be rewritten freely without a number in it ever going stale, and once
the report is published the tokens read the frozen figures.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from zhengxie.consultations.models import Form

TOKEN = re.compile(r"\{([a-z_]+(?:\.[a-z_]+){1,2})\}")
MAX_SECTION_CHARS = 5000


@dataclass(frozen=True)
class Figure:
    key: str  # "proposals.filing_rate", "consultations.by_form.micro"
    label: str
    unit: str = ""  # 件, 人次...; empty for rates and yes/no


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    figures: tuple[Figure, ...]
    default: str


def _p(key: str, label: str, unit: str = "件") -> Figure:
    return Figure(f"proposals.{key}", label, unit)


SECTIONS: tuple[Section, ...] = (
    Section(
        "summary",
        "总体情况",
        (),
        "一年来，在党委领导下，本会坚持团结和民主两大主题，围绕中心、服务大局，"
        "在提案、社情民意、协商议政、委员履职和联系群众等方面扎实开展工作。",
    ),
    Section(
        "proposals",
        "提案工作",
        (
            _p("received", "收到提案"),
            _p("individual", "个人提案"),
            _p("collective", "集体提案"),
            _p("collective_by_party", "党派团体集体提案"),
            _p("collective_by_party_share", "党派团体占集体提案", ""),
            _p("member_participations", "委员参与提案", "人次"),
            _p("filed", "立案"),
            _p("filing_rate", "立案率", ""),
            _p("not_filed", "不立案"),
            _p("merged", "并案"),
            _p("replied", "已答复"),
            _p("reply_rate", "答复率", ""),
            _p("result_a", "A类答复"),
            _p("result_b", "B类答复"),
            _p("result_c", "C类答复"),
            _p("satisfied", "满意"),
            _p("basically_satisfied", "基本满意"),
            _p("dissatisfied", "不满意"),
            _p("satisfaction_rate", "满意率", ""),
            _p("key", "重点提案"),
            _p("key_by_party_share", "党派团体占重点提案", ""),
            _p("excellent", "优秀提案"),
            _p("handling_units", "承办单位", "个"),
            _p("handling_units_all_replied", "承办单位全部答复", ""),
        ),
        "全年共收到提案{proposals.received}件，其中个人提案{proposals.individual}件、集体提案"
        "{proposals.collective}件，党派团体提出{proposals.collective_by_party}件，占集体提案的"
        "{proposals.collective_by_party_share}；委员参与提案{proposals.member_participations}人次。经审查立案"
        "{proposals.filed}件，立案率{proposals.filing_rate}。交{proposals.handling_units}个承办单位办理，已答复"
        "{proposals.replied}件，答复率{proposals.reply_rate}，其中所提问题已经解决或采纳的{proposals.result_a}件、"
        "正在解决或列入计划的{proposals.result_b}件、留作参考的{proposals.result_c}件。提案者对办理工作满意"
        "{proposals.satisfied}件、基本满意{proposals.basically_satisfied}件，满意率{proposals.satisfaction_rate}。"
        "确定重点提案{proposals.key}件，评选优秀提案{proposals.excellent}件。",
    ),
    Section(
        "opinions",
        "社情民意信息",
        (
            Figure("opinions.received", "收到信息", "篇"),
            Figure("opinions.forwarded", "报送", "篇"),
            Figure("opinions.adopted", "采用", "篇"),
            Figure("opinions.instructions", "领导批示", "次"),
            Figure("opinions.instructions_previous_year", "上年领导批示", "次"),
            Figure("opinions.instructions_yoy", "批示同比", ""),
            Figure("opinions.by_party_share", "党派团体报送占比", ""),
        ),
        "全年收到社情民意信息{opinions.received}篇，编报{opinions.forwarded}篇，被采用{opinions.adopted}篇，"
        "获各级领导批示{opinions.instructions}次，同比{opinions.instructions_yoy}；党派团体报送的信息占"
        "{opinions.by_party_share}。",
    ),
    Section(
        "consultations",
        "协商议政",
        (
            Figure("consultations.held", "开展协商", "次"),
            *(Figure(f"consultations.by_form.{form.value}", form.label, "次") for form in Form),
            Figure("consultations.participant_person_times", "参加协商", "人次"),
            Figure("consultations.outcome_items", "协商成果事项", "项"),
            Figure("consultations.outcome_items_closed", "已反馈办结", "项"),
        ),
        "全年开展各类协商{consultations.held}次，其中基层小微协商{consultations.by_form.micro}次，委员参加协商"
        "{consultations.participant_person_times}人次；形成协商成果{consultations.outcome_items}项，已反馈办结"
        "{consultations.outcome_items_closed}项。",
    ),
    Section(
        "duties",
        "委员履职",
        (
            Figure("duties.members", "在册委员", "人"),
            Figure("duties.records", "履职记录", "条"),
            Figure("duties.average_points", "人均履职得分", "分"),
        ),
        "本会现有委员{duties.members}人，全年登记履职记录{duties.records}条，委员人均履职得分{duties.average_points}分。",
    ),
    Section(
        "concerns",
        "联系服务群众",
        (
            Figure("concerns.raised", "群众反映诉求", "件"),
            Figure("concerns.resolved", "已办结", "件"),
        ),
        "依托委员工作室和履职站点，全年收到群众反映诉求{concerns.raised}件，已办结{concerns.resolved}件。",
    ),
)

SECTION_KEYS = tuple(s.key for s in SECTIONS)
FIGURES: dict[str, Figure] = {fig.key: fig for s in SECTIONS for fig in s.figures}
RATE_KEYS = frozenset(k for k in FIGURES if k.endswith(("_rate", "_share")))
CHANGE_KEYS = frozenset(k for k in FIGURES if k.endswith("_yoy"))


def default_narrative() -> dict[str, str]:
    return {s.key: s.default for s in SECTIONS}


def value_of(figures: dict[str, Any], key: str) -> Any:
    node: Any = figures
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def format_value(key: str, value: Any) -> str:
    """A figure as it reads in the text: 315, 83.17%, 增长515.38%, 是/否, — when there is nothing to divide."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if key in CHANGE_KEYS:
        pct = f"{abs(value) * 100:.2f}".rstrip("0").rstrip(".")
        return "持平" if value == 0 else f"{'增长' if value > 0 else '下降'}{pct}%"
    if key in RATE_KEYS:
        return f"{value * 100:.2f}%"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def unknown_tokens(text: str) -> list[str]:
    return [m.group(1) for m in TOKEN.finditer(text) if m.group(1) not in FIGURES]


def render_text(text: str, figures: dict[str, Any]) -> str:
    return TOKEN.sub(lambda m: format_value(m.group(1), value_of(figures, m.group(1))), text)


def render_html(text: str, figures: dict[str, Any], link: Callable[[str], str | None]) -> SafeString:
    """Escaped text with each figure linked to its records (when `link` gives a URL) and paragraphs kept."""
    out: list[str] = []
    last = 0
    for m in TOKEN.finditer(text):
        out.append(format_html("{}", text[last : m.start()]))
        key = m.group(1)
        shown = format_value(key, value_of(figures, key))
        url = link(key) if key in FIGURES else None
        if url:
            out.append(format_html('<a class="fig" href="{}" data-figure="{}">{}</a>', url, key, shown))
        else:
            out.append(format_html('<span class="fig" data-figure="{}">{}</span>', key, shown))
        last = m.end()
    out.append(format_html("{}", text[last:]))
    html = "".join(out)
    paragraphs = [p for p in html.split("\n") if p.strip()]
    return mark_safe("".join(f"<p>{p}</p>" for p in paragraphs))  # noqa: S308 - every piece escaped above
