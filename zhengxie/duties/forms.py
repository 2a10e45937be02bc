"""Forms parse and convert input only; the services decide what is allowed."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from zhengxie.duties import services
from zhengxie.duties.models import DutyKind, ScoringScheme
from zhengxie.org.models import Member

CLAIMABLE = [k for k in DutyKind if k in services.CLAIMABLE]
CLAIMABLE_CHOICES = [(k.value, k.label) for k in CLAIMABLE]
# What staff enter for a member: everything but the steps the platform records itself.
STAFF_CHOICES = [
    (k.value, k.label)
    for k in DutyKind
    if k
    not in {
        DutyKind.PROPOSAL,
        DutyKind.PROPOSAL_COSIGN,
        DutyKind.PROPOSAL_FILED,
        DutyKind.PROPOSAL_KEY,
        DutyKind.PROPOSAL_EXCELLENT,
        DutyKind.OPINION,
        DutyKind.OPINION_FORWARDED,
        DutyKind.OPINION_ADOPTED,
    }
]
# Labels of the keys staff entries and the demo put in DutyRecord.detail.
DETAIL_LABELS = {
    "note": "说明",
    "enterprise": "企业",
    "project": "项目",
    "contract_value": "合同金额（万元）",
    "problems": "发现问题",
    "solved": "解决问题",
    "hours": "时长（小时）",
    "donation": "捐赠金额（元）",
    "place": "地点",
}


def plain(value: Decimal) -> str:
    """10.00 -> "10", 2.50 -> "2.5" (normalize() alone writes 1E+1)."""
    return format(value.normalize(), "f")


def _text(label: str, limit: int, *, required: bool = True, textarea: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=limit,
        required=required,
        widget=forms.Textarea(attrs={"rows": 4}) if textarea else forms.TextInput(),
        error_messages={"required": f"请填写{label}", "max_length": f"{label}不能超过{limit}字"},
    )


def _date(label: str = "日期") -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": f"请填写{label}", "invalid": f"{label}格式应为 年-月-日"},
    )


def _kind(choices: list[tuple[str, str]]) -> forms.ChoiceField:
    return forms.ChoiceField(
        label="履职类型",
        choices=[("", "请选择"), *choices],
        error_messages={"required": "请选择履职类型", "invalid_choice": "履职类型无效"},
    )


def _decimal(label: str, *, required: bool = False, low: int = -9999, high: int = 9999) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=9,
        decimal_places=2,
        min_value=Decimal(low),
        max_value=Decimal(high),
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
        error_messages={
            "required": f"请填写{label}",
            "invalid": f"{label}须为数字",
            "max_digits": f"{label}超出范围",
            "max_decimal_places": f"{label}最多两位小数",
            "max_whole_digits": f"{label}超出范围",
            "min_value": f"{label}不能小于{low}",
            "max_value": f"{label}不能大于{high}",
        },
    )


class ClaimForm(forms.Form):
    kind = _kind(CLAIMABLE_CHOICES)
    title = _text("事项", 200)
    occurred_on = _date()
    evidence = _text("佐证材料", 5000, textarea=True)


class ContestForm(forms.Form):
    reason = _text("异议理由", 2000, textarea=True)


class StaffDutyForm(forms.Form):
    member = forms.ModelChoiceField(
        label="委员",
        queryset=Member.objects.none(),
        error_messages={"required": "请选择委员", "invalid_choice": "只能为本政协委员录入"},
    )
    kind = _kind(STAFF_CHOICES)
    title = _text("事项", 200)
    occurred_on = _date()
    contract_value = _decimal("合同金额（万元）", low=0, high=9999999)
    note = _text("说明", 500, required=False, textarea=True)

    def __init__(self, *args, committee_id: int, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = Member.objects.filter(  # type: ignore[attr-defined]
            committee_id=committee_id, status=Member.Status.ACTIVE
        ).order_by("name", "id")

    def detail(self) -> dict[str, object]:
        data = self.cleaned_data
        detail: dict[str, object] = {}
        if data.get("note"):
            detail["note"] = data["note"]
        if data.get("contract_value") is not None:
            detail["contract_value"] = plain(data["contract_value"])
        return detail


class SchemeForm(forms.Form):
    """A new version of the year's rules: one points field and one cap field per kind of duty; a kind
    left empty has no rule (its records count, for nothing)."""

    name = _text("名称", 100)
    threshold = _decimal("约谈分数线", required=True, low=-99999, high=99999)
    note = _text("修订说明", 500, required=False)

    def __init__(self, *args, initial_scheme: ScoringScheme | None = None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        current = {r.kind: r for r in initial_scheme.rules.all()} if initial_scheme else {}
        for kind in DutyKind:
            rule = current.get(kind.value)
            self.fields[f"points_{kind.value}"] = _decimal(f"“{kind.label}”的分值")
            self.fields[f"cap_{kind.value}"] = _decimal(f"“{kind.label}”的年度上限", low=0, high=99999)
            if rule is not None and not self.is_bound:
                self.initial[f"points_{kind.value}"] = plain(rule.points)
                self.initial[f"cap_{kind.value}"] = plain(rule.cap) if rule.cap is not None else None
        if initial_scheme is not None and not self.is_bound:
            self.initial.setdefault("name", initial_scheme.name)
            self.initial.setdefault("threshold", plain(initial_scheme.threshold))

    def rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(k.label, self[f"points_{k.value}"], self[f"cap_{k.value}"]) for k in DutyKind]

    def clean(self) -> dict:  # type: ignore[type-arg]
        data = super().clean() or {}
        for kind in DutyKind:
            if data.get(f"points_{kind.value}") is None and data.get(f"cap_{kind.value}") is not None:
                raise forms.ValidationError(f"“{kind.label}”设置了年度上限，请同时填写分值")
        return data

    def rules(self) -> dict[str, tuple[Decimal, Decimal | None]]:
        data = self.cleaned_data
        return {
            k.value: (data[f"points_{k.value}"], data.get(f"cap_{k.value}"))
            for k in DutyKind
            if data.get(f"points_{k.value}") is not None
        }


def first_error(form: forms.Form) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return "输入有误"
