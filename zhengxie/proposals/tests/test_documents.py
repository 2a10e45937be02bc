"""Word and Excel documents: layout and content, the download views' access, headers, audit and query count,
and that LibreOffice opens what we write."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from docx import Document
from docx.enum.text import WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Pt
from openpyxl import load_workbook

from zhengxie.accounts.models import AuditLog, Role
from zhengxie.proposals import documents, services
from zhengxie.proposals.models import Reply, State
from zhengxie.testing.factories import MemberFactory, UserFactory, grant

DOC_NUMBER = "江教函〔2026〕12号"


def _open_docx(data: bytes):  # type: ignore[no-untyped-def]
    return Document(io.BytesIO(data))


def _text(doc) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(p.text for p in doc.paragraphs)


def _east_asia(run) -> str:  # type: ignore[no-untyped-def]
    return run._element.rPr.rFonts.get(qn("w:eastAsia"))


def _ledger_rows(data: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def _cosigned(pw, *, confirm_other: bool = True):  # type: ignore[no-untyped-def]
    """A submitted proposal with one confirmed and one declined co-signer."""
    w = pw.world
    w.other_member.user = UserFactory(username="lisi")
    w.other_member.save()
    declining = MemberFactory(committee=w.city, name="赵六", user=UserFactory(username="zhaoliu"))
    p = pw.draft()
    services.cosigner_invite(proposal=p, user=w.member_user, members=[w.other_member, declining])
    services.cosigner_respond(proposal=p, user=w.other_member.user, confirm=confirm_other)
    services.cosigner_respond(proposal=p, user=declining.user, confirm=False)
    return services.proposal_submit(proposal=p, user=w.member_user)


def _replied(pw, doc_number: str = DOC_NUMBER):  # type: ignore[no-untyped-def]
    w = pw.world
    p = pw.bring_to(State.ASSIGNED)
    reply = services.reply_record(
        proposal=p,
        user=w.unit_user,
        letter="一、已列入年度计划。\n二、加快审批。",
        result="B",
        doc_number=doc_number,
    )
    return p, reply


# ------------------------------------------------------------------------------------------ builders


def test_proposal_docx_has_number_title_people_and_gbt9704_layout(pw):  # type: ignore[no-untyped-def]
    p = _cosigned(pw)
    doc = _open_docx(documents.proposal_docx(p))
    text = _text(doc)
    assert "十四届二次会议第0001号" in text
    assert "江门市政协" in text
    assert "提案人：张三" in text
    assert "联名人：李四" in text
    assert "赵六" not in text  # declined
    assert "类别：社会建设" in text
    assert "一、案据" in text and "全市老旧小区多" in text
    assert "二、建议" in text and "一是简化审批" in text

    section = doc.sections[0]
    sizes = [section.page_width, section.page_height, section.top_margin, section.bottom_margin]
    sizes += [section.left_margin, section.right_margin]
    assert [round(x.mm) for x in sizes] == [210, 297, 37, 35, 28, 26]  # stored in twips
    title = next(p_ for p_ in doc.paragraphs if p_.text == "关于加快江门市老旧小区加装电梯的建议")
    assert title.alignment == 1  # centre
    assert _east_asia(title.runs[0]) == "方正小标宋简体"
    assert title.runs[0].font.size == Pt(22)
    body = next(p_ for p_ in doc.paragraphs if p_.text.startswith("全市老旧小区多"))
    assert _east_asia(body.runs[0]) == "仿宋_GB2312"
    assert body.runs[0].font.size == Pt(16)
    normal = doc.styles["Normal"]
    assert normal.paragraph_format.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert normal.paragraph_format.line_spacing == Pt(28.95)
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:linePitch")) == "579"


def test_collective_proposal_docx_names_the_party(pw):  # type: ignore[no-untyped-def]
    from zhengxie.testing.factories import PartyFactory

    party = PartyFactory(
        committee=pw.world.city, name="中国民主建国会江门市委员会", short_name="民建江门市委"
    )
    pw.world.member.party = party  # the contact person belongs to the party
    pw.world.member.save(update_fields=["party"])
    p = pw.draft(kind="collective", proposer_kind="party", party_id=party.pk)
    text = _text(_open_docx(documents.proposal_docx(p)))
    assert "提案人：民建江门市委（联系人：张三）" in text
    assert "（未编号）" in text


def test_reply_docx_has_doc_number_title_salutation_result_and_signature(pw):  # type: ignore[no-untyped-def]
    _p, reply = _replied(pw)
    doc = _open_docx(documents.reply_docx(reply))
    text = _text(doc)
    assert DOC_NUMBER in text
    assert "关于江门市政协十四届二次会议第0001号提案的答复" in text
    assert "张三委员：" in text
    assert "《关于加快江门市老旧小区加装电梯的建议》" in text
    assert "一、已列入年度计划。" in text
    assert "办理结果：B 正在解决或列入计划拟解决" in text
    assert documents.chinese_date(reply.replied_at) in text
    paragraphs = [x for x in doc.paragraphs if x.text]
    assert paragraphs[0].text == "江门市教育局"  # 发文机关标志
    assert _east_asia(paragraphs[0].runs[0]) == "方正小标宋简体"
    assert paragraphs[-2].text == "江门市教育局"  # signature, then the date
    assert paragraphs[-1].text == documents.chinese_date(reply.replied_at)


def test_user_text_with_control_characters_still_builds(pw):  # type: ignore[no-untyped-def]
    p = pw.draft(title="关于\x07某事\x00的建议", suggestions="=1+1\x1b")
    assert "关于某事的建议" in _text(_open_docx(documents.proposal_docx(p)))


def test_ledger_formula_looking_text_stays_text(pw):  # type: ignore[no-untyped-def]
    p = pw.draft(title='=HYPERLINK("http://evil.example","点我")')
    sheet = load_workbook(io.BytesIO(documents.ledger_xlsx([p]))).worksheets[0]
    assert sheet["B2"].data_type == "s"
    assert sheet["B2"].value.startswith("=HYPERLINK")


# -------------------------------------------------------------------------------------------- views


def test_proposal_docx_download_by_proposer(pw, client):  # type: ignore[no-untyped-def]
    p = _cosigned(pw)
    client.force_login(pw.world.member_user)
    response = client.get(reverse("proposals:export_docx", args=[p.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == documents.DOCX_CONTENT_TYPE
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert "%E6%8F%90%E6%A1%88" in response["Content-Disposition"]  # 提案, percent-encoded UTF-8
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "十四届二次会议第0001号" in _text(_open_docx(response.content))
    row = AuditLog.objects.get(action="export", object_type="proposals.Proposal")
    assert row.object_id == str(p.pk)
    assert row.actor_id == pw.world.member_user.pk
    assert row.committee_id == pw.world.city.pk


def test_reply_docx_download_by_office_and_unit(pw, client):  # type: ignore[no-untyped-def]
    p, reply = _replied(pw)
    url = reverse("proposals:reply_docx", args=[p.pk, reply.pk])
    for user in (pw.world.office, pw.world.unit_user, pw.world.member_user):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, user
        assert DOC_NUMBER in _text(_open_docx(response.content))
    assert AuditLog.objects.filter(action="export", object_type="proposals.Reply").count() == 3


def test_reply_of_another_proposal_is_404(pw, client):  # type: ignore[no-untyped-def]
    _p, reply = _replied(pw)
    other = pw.bring_to(State.SUBMITTED)
    client.force_login(pw.world.office)
    assert client.get(reverse("proposals:reply_docx", args=[other.pk, reply.pk])).status_code == 404


def test_other_committee_member_and_office_get_404(pw, client):  # type: ignore[no-untyped-def]
    w = pw.world
    p, reply = _replied(pw)
    outsider = UserFactory(username="hezhou_member")
    w.sibling_member.user = outsider
    w.sibling_member.save()
    grant(outsider, w.sibling, Role.MEMBER)
    urls = [
        reverse("proposals:export_docx", args=[p.pk]),
        reverse("proposals:reply_docx", args=[p.pk, reply.pk]),
        reverse("proposals:ledger_xlsx") + f"?committee={w.city.pk}",
    ]
    for user in (outsider, w.sibling_office):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
    assert not AuditLog.objects.filter(action="export").exists()


def test_same_committee_member_cannot_download_others_proposal(pw, client):  # type: ignore[no-untyped-def]
    p = pw.bring_to(State.FILED)
    stranger = UserFactory(username="wangwu")
    MemberFactory(committee=pw.world.city, user=stranger)
    grant(stranger, pw.world.city, Role.MEMBER)
    client.force_login(stranger)
    assert client.get(reverse("proposals:export_docx", args=[p.pk])).status_code == 404


def test_unit_and_member_get_404_on_ledger(pw, client):  # type: ignore[no-untyped-def]
    pw.bring_to(State.ASSIGNED)
    for user in (pw.world.unit_user, pw.world.member_user):
        client.force_login(user)
        assert client.get(reverse("proposals:ledger_xlsx")).status_code == 404


def test_download_without_session_redirects_to_login(pw, client):  # type: ignore[no-untyped-def]
    p, reply = _replied(pw)
    urls = [
        reverse("proposals:export_docx", args=[p.pk]),
        reverse("proposals:reply_docx", args=[p.pk, reply.pk]),
        reverse("proposals:ledger_xlsx"),
    ]
    client.force_login(pw.world.office)
    assert client.get(urls[0]).status_code == 200
    client.logout()  # a replayed link after the session ended
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_ledger_rows_equal_the_filtered_set(pw, client):  # type: ignore[no-untyped-def]
    w = pw.world
    closed = pw.bring_to(State.CLOSED)
    assigned = pw.bring_to(State.ASSIGNED)
    services.key_mark(proposal=assigned, user=w.office, leaders=[w.other_member])
    pw.bring_to(State.NOT_FILED)
    pw.bring_to(State.DRAFT)  # never in the ledger
    economy = pw.draft(title="关于发展数字经济的建议", category="economy")
    economy = services.proposal_submit(proposal=economy, user=w.member_user)
    client.force_login(w.leader)
    url = reverse("proposals:ledger_xlsx")

    def numbers(query: str = "") -> set[str]:
        response = client.get(url + query)
        assert response.status_code == 200
        rows = _ledger_rows(response.content)
        assert rows[0] == [name for name, _ in documents.LEDGER_COLUMNS]
        return {r[0] for r in rows[1:]}

    assert numbers() == {
        closed.number_display,
        assigned.number_display,
        economy.number_display,
    } | {p.number_display for p in w.city.proposals.filter(state__in=["not_filed", "submitted"])}
    assert numbers("?state=assigned") == {assigned.number_display}
    assert numbers("?key=1") == {assigned.number_display}
    assert numbers("?category=economy") == {economy.number_display}
    assert numbers("?q=数字经济") == {economy.number_display}
    assert numbers("?year=2026&state=closed") == {closed.number_display}
    assert numbers("?year=2019") == set()

    rows = _ledger_rows(client.get(url + "?state=closed").content)
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["主办单位"] == "江门市教育局"
    assert row["会办单位"] == "江门市住房和城乡建设局"
    assert row["办理结果"] == "B"
    assert row["满意度"] == "满意"
    assert row["状态"] == "已办结"
    assert row["重点提案"] == "否"
    assert row["答复日期"] is not None
    assert row["办理期限"] is not None
    sheet = load_workbook(io.BytesIO(client.get(url).content)).worksheets[0]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == 48
    audit = AuditLog.objects.filter(action="export", committee=w.city, after__filters__year="2019").get()
    assert audit.after["count"] == 0
    assert audit.actor_id == w.leader.pk


def test_ledger_query_count_does_not_grow_with_proposals(pw, client):  # type: ignore[no-untyped-def]
    w = pw.world
    pw.bring_to(State.CLOSED)
    client.force_login(w.office)
    url = reverse("proposals:ledger_xlsx")
    client.get(url)  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(9):
        pw.bring_to(State.CLOSED)
    with CaptureQueriesContext(connection) as ten:
        response = client.get(url)
    assert len(_ledger_rows(response.content)) == 11
    assert len(ten.captured_queries) == len(one.captured_queries)


# -------------------------------------------------------------------------------------- LibreOffice


def _libreoffice() -> str | None:
    return shutil.which("libreoffice") or shutil.which("soffice")


def test_libreoffice_opens_the_docx_and_xlsx(pw, tmp_path: Path):  # type: ignore[no-untyped-def]
    binary = _libreoffice()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail(
                "LibreOffice is required in CI (apt-get install libreoffice-writer-nogui libreoffice-calc-nogui)"
            )
        pytest.skip("LibreOffice is not installed")
    p, reply = _replied(pw)
    p.refresh_from_db()
    files = {
        "proposal.docx": documents.proposal_docx(p),
        "reply.docx": documents.reply_docx(Reply.objects.get(pk=reply.pk)),
        "ledger.xlsx": documents.ledger_xlsx([p]),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    out = tmp_path / "pdf"
    profile = tmp_path / "profile"
    completed = subprocess.run(
        [
            binary,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            *(str(tmp_path / name) for name in files),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    for name in files:
        pdf = out / (Path(name).stem + ".pdf")
        assert pdf.is_file(), (name, completed.stdout, completed.stderr)
        assert pdf.read_bytes().startswith(b"%PDF")
