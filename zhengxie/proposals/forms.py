"""Forms parse and convert input only; the services decide what is allowed."""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join

from zhengxie.org.models import HandlingUnit, Member
from zhengxie.proposals.models import Category, Feedback, Proposal, Reply

REQUIRED = "请填写{}"


def _text(label: str, limit: int, *, required: bool = True, textarea: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=limit,
        required=required,
        widget=forms.Textarea(attrs={"rows": 6}) if textarea else forms.TextInput(),
        error_messages={
            "required": REQUIRED.format(label),
            "max_length": f"{label}不能超过{limit}字",
        },
    )


class MemberSelectMultiple(forms.SelectMultiple):
    """The same <select multiple> as Django's, written in Python: the co-signer list has an option per
    member of the committee, and one option template rendered per member cost more than the rest of the
    drafting page together."""

    def render(self, name, value, attrs=None, renderer=None):  # type: ignore[no-untyped-def]
        chosen = {str(v) for v in (value or [])}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (str(pk), " selected" if str(pk) in chosen else "", label)
                for pk, label in self.choices
                if str(pk) != ""
            ),
        )
        return format_html(
            '<select name="{}"{} multiple>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            options,
        )


class ProposalForm(forms.Form):
    title = _text("案由", 200)
    background = _text("案据", 20000, textarea=True)
    suggestions = _text("建议", 20000, textarea=True)
    category = forms.ChoiceField(
        label="类别", choices=Category.choices, error_messages={"invalid_choice": "请选择类别"}
    )
    kind = forms.ChoiceField(
        label="提案类型",
        choices=Proposal.Kind.choices,
        initial=Proposal.Kind.INDIVIDUAL,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "提案类型无效"},
    )
    proposer = forms.ChoiceField(
        label="集体提案者",
        choices=[("", "——")],
        required=False,
        help_text="集体提案时选择：您所在的党派团体、界别或专门委员会（您为联系人）",
        error_messages={"invalid_choice": "只能以您所在的党派团体、界别或专门委员会名义提交"},
    )
    cosigners = forms.ModelMultipleChoiceField(
        label="邀请联名委员",
        queryset=Member.objects.none(),
        required=False,
        widget=MemberSelectMultiple,
        help_text="可多选；只能邀请本政协委员",
        error_messages={"invalid_choice": "只能邀请本政协委员", "invalid_pk_value": "只能邀请本政协委员"},
    )

    def __init__(self, *args, author: Member, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        # Every member of the committee is a choice (hundreds): load only what the list and the invitation
        # use, not the encrypted mobile and ID number, whose decryption made this the slowest page of a
        # plenary session (bench/LOAD.md).
        self.fields["cosigners"].queryset = (  # type: ignore[attr-defined]
            Member.objects.filter(committee_id=author.committee_id, status=Member.Status.ACTIVE)
            .exclude(pk=author.pk)
            .only("id", "name", "committee_id", "user_id")
            .order_by("name", "id")
        )
        self.fields["proposer"].choices = [("", "——"), *proposer_choices(author)]  # type: ignore[attr-defined]

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or Proposal.Kind.INDIVIDUAL

    def clean(self) -> dict:  # type: ignore[type-arg]
        data = super().clean() or {}
        if data.get("kind") == Proposal.Kind.COLLECTIVE and not data.get("proposer"):
            raise forms.ValidationError("集体提案须指定一个党派团体、界别或专门委员会")
        return data

    def group_ids(self) -> dict[str, int | None]:
        """party_id / sector_id / special_committee_id for the service (all None for 个人提案)."""
        ids: dict[str, int | None] = {"party_id": None, "sector_id": None, "special_committee_id": None}
        data = self.cleaned_data
        if data.get("kind") == Proposal.Kind.COLLECTIVE and data.get("proposer"):
            field, pk = data["proposer"].split(":")
            ids[f"{field}_id"] = int(pk)
        return ids


def proposer_choices(author: Member) -> list[tuple[str, str]]:
    """The groups a member may speak for: their party, their sector, their special committees."""
    rows = []
    if author.party_id:
        rows.append((f"party:{author.party_id}", f"党派团体：{author.party}"))
    rows.append((f"sector:{author.sector_id}", f"界别：{author.sector}"))
    for sc in author.special_committees.order_by("id"):
        rows.append((f"special_committee:{sc.pk}", f"专门委员会：{sc}"))
    return rows


def unit_choices(committee_id: int):  # type: ignore[no-untyped-def]
    return HandlingUnit.objects.filter(committee_id=committee_id, is_active=True).order_by("id")


def leader_choices(committee_id: int):  # type: ignore[no-untyped-def]
    return Member.objects.filter(
        committee_id=committee_id,
        position__in=[Member.Position.CHAIR, Member.Position.VICE_CHAIR],
        status=Member.Status.ACTIVE,
    ).order_by("position", "id")


class AssignForm(forms.Form):
    lead = forms.ModelChoiceField(
        label="主办单位",
        queryset=HandlingUnit.objects.none(),
        error_messages={"required": "请选择主办单位", "invalid_choice": "承办单位无效"},
    )
    split_units = forms.ModelMultipleChoiceField(
        label="分办单位",
        queryset=HandlingUnit.objects.none(),
        required=False,
        error_messages={"invalid_choice": "承办单位无效", "invalid_pk_value": "承办单位无效"},
    )
    co_units = forms.ModelMultipleChoiceField(
        label="会办单位",
        queryset=HandlingUnit.objects.none(),
        required=False,
        error_messages={"invalid_choice": "承办单位无效", "invalid_pk_value": "承办单位无效"},
    )
    deadline = forms.DateField(
        label="办理期限",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "办理期限格式应为 年-月-日"},
    )

    def __init__(self, *args, committee_id: int, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = unit_choices(committee_id)  # type: ignore[attr-defined]
        self.fields["co_units"].queryset = unit_choices(committee_id)  # type: ignore[attr-defined]
        self.fields["split_units"].queryset = unit_choices(committee_id)  # type: ignore[attr-defined]


class KeyForm(forms.Form):
    leaders = forms.ModelMultipleChoiceField(
        label="督办领导",
        queryset=Member.objects.none(),
        error_messages={
            "required": "重点提案须指定督办领导",
            "invalid_choice": "督办领导须为本政协主席或副主席",
            "invalid_pk_value": "督办领导须为本政协主席或副主席",
        },
    )

    def __init__(self, *args, committee_id: int, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["leaders"].queryset = leader_choices(committee_id)  # type: ignore[attr-defined]


def first_error(form: forms.Form) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return "输入有误"


CONVERSIONS = Proposal.Conversion.choices
RESULTS = Reply.Result.choices
RATINGS = Feedback.Rating.choices
