"""Forms parse and convert input only; the services decide what is allowed (who may speak for which body,
which state a report may be edited in)."""

from __future__ import annotations

from django import forms

from zhengxie.opinions.models import Forwarding, InstructionLevel, OpinionReport
from zhengxie.org.models import Committee, Member, Party, Sector, SpecialCommittee, Station

REQUIRED = "请填写{}"
SOURCE_MEMBER = "member"


def _text(label: str, limit: int, *, required: bool = True, rows: int = 0) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=limit,
        required=required,
        strip=True,
        widget=forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput(),
        error_messages={"required": REQUIRED.format(label), "max_length": f"{label}不能超过{limit}字"},
    )


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": f"{label}格式应为 年-月-日"},
    )


class ReportTextForm(forms.Form):
    kind = forms.ChoiceField(
        label="类别",
        choices=OpinionReport.Kind.choices,
        initial=OpinionReport.Kind.OPINION,
        error_messages={"required": "请选择类别", "invalid_choice": "信息类别无效"},
    )
    title = _text("标题", 200)
    situation = _text("基本情况", 20000, rows=8)
    suggestion = _text("意见建议", 20000, required=False, rows=6)


def _body_value(kind: str, pk: int) -> str:
    return f"{kind}:{pk}"


def member_sources(member: Member) -> list[tuple[str, str]]:
    """Whom a member may report for: themself, their party, sector, special committees and station."""
    rows = [(SOURCE_MEMBER, f"本人（{member.name}）")]
    if member.party_id:
        rows.append((_body_value("party", member.party_id), f"党派团体：{member.party}"))
    if member.sector_id:
        rows.append((_body_value("sector", member.sector_id), f"界别：{member.sector}"))
    for sc in member.special_committees.order_by("id"):
        rows.append((_body_value("special_committee", sc.pk), f"专门委员会：{sc}"))
    if member.station_id:
        rows.append((_body_value("station", member.station_id), f"委员工作室：{member.station}"))
    return rows


def committee_sources(committee: Committee) -> list[tuple[str, str]]:
    """Every body of the committee, for staff entering a report received on paper."""
    rows = [(SOURCE_MEMBER, "委员（在下方选择反映人）")]
    for kind, model, label in (
        ("party", Party, "党派团体"),
        ("sector", Sector, "界别"),
        ("special_committee", SpecialCommittee, "专门委员会"),
        ("station", Station, "委员工作室"),
    ):
        for body in model.objects.filter(committee=committee).order_by("id"):
            rows.append((_body_value(kind, body.pk), f"{label}：{body}"))
    return rows


class ReportCreateForm(ReportTextForm):
    source = forms.ChoiceField(
        label="反映人",
        choices=[],
        error_messages={"required": "请选择反映人", "invalid_choice": "请选择可以代表的反映人"},
    )
    authors = forms.ModelMultipleChoiceField(
        label="反映委员",
        queryset=Member.objects.none(),
        required=False,
        help_text="以委员名义录入时必选，可多选",
        error_messages={"invalid_choice": "反映人须为本政协委员", "invalid_pk_value": "反映人须为本政协委员"},
    )

    def __init__(self, *args, committee: Committee, member: Member | None, office: bool, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.office = office
        if office:
            self.fields["source"].choices = committee_sources(committee)  # type: ignore[attr-defined]
            self.fields["authors"].queryset = Member.objects.filter(  # type: ignore[attr-defined]
                committee=committee, status=Member.Status.ACTIVE
            ).order_by("name", "id")
        else:
            assert member is not None
            self.fields["source"].choices = member_sources(member)  # type: ignore[attr-defined]
            del self.fields["authors"]

    def clean(self) -> dict:  # type: ignore[type-arg]
        data = super().clean() or {}
        if self.office and data.get("source") == SOURCE_MEMBER and not data.get("authors"):
            raise forms.ValidationError("请选择反映委员")
        return data

    def service_kwargs(self) -> dict[str, object]:
        """source_kind and the body id for report_create."""
        source = self.cleaned_data["source"]
        if source == SOURCE_MEMBER:
            return {"source_kind": OpinionReport.SourceKind.MEMBER}
        kind, pk = source.split(":")
        return {"source_kind": kind, f"{kind}_id": int(pk)}


class ArchiveForm(forms.Form):
    reason = _text("不报送理由", 500)


class ForwardForm(forms.Form):
    target = forms.ChoiceField(
        label="报送对象",
        choices=Forwarding.Target.choices,
        error_messages={"required": "请选择报送对象", "invalid_choice": "报送对象无效"},
    )
    receiver = _text("接收单位", 100, required=False)
    issue = _text("刊发期号", 60, required=False)
    forwarded_on = _date("报送日期")


class AdoptForm(forms.Form):
    forwarding = forms.IntegerField(
        label="报送记录", error_messages={"required": "请选择报送记录", "invalid": "报送记录无效"}
    )
    adopted_on = _date("采用日期")
    adopted_by = _text("采用单位", 100, required=False)
    note = _text("采用情况", 500, required=False)


class InstructionForm(forms.Form):
    level = forms.ChoiceField(
        label="批示级别",
        choices=InstructionLevel.choices,
        error_messages={"required": "请选择批示级别", "invalid_choice": "请选择批示级别"},
    )
    leader_name = _text("批示领导", 50)
    leader_title = _text("领导职务", 100, required=False)
    instructed_on = _date("批示日期")
    text = _text("批示内容", 5000, required=False, rows=4)


def first_error(form: forms.Form) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return "输入有误"
