"""Forms parse and convert input only; the services decide what is allowed."""

from __future__ import annotations

from django import forms

from zhengxie.consultations.models import Consultation, Form, Participant, Topic
from zhengxie.org.models import HandlingUnit, Member, SpecialCommittee, Station

SERIES_SUGGESTIONS = ("有事来协商", "有事好商量", "委员议事厅", "邑事好商量")


def _text(label: str, limit: int, *, required: bool = True, textarea: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=limit,
        required=required,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}) if textarea else forms.TextInput(),
        error_messages={"required": f"请填写{label}", "max_length": f"{label}不能超过{limit}字"},
    )


def _date(label: str, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        # <input type="date"> takes only ISO dates; the zh-hans locale would render 2026/03/01 (shown blank).
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": f"请填写{label}", "invalid": f"{label}格式应为 年-月-日"},
    )


def _choice(label: str, queryset, *, required: bool = False) -> forms.ModelChoiceField:  # type: ignore[no-untyped-def]
    return forms.ModelChoiceField(
        label=label,
        queryset=queryset,
        required=required,
        empty_label="——",
        error_messages={"required": f"请选择{label}", "invalid_choice": f"{label}无效"},
    )


def first_error(form: forms.Form) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return "输入有误"


class ConsultationForm(forms.Form):
    kind = forms.ChoiceField(
        label="活动类型",
        choices=Consultation.Kind.choices,
        initial=Consultation.Kind.CONSULTATION,
        error_messages={"required": "请选择活动类型", "invalid_choice": "活动类型无效"},
    )
    form = forms.ChoiceField(
        label="协商形式",
        choices=[("", "——（调研、视察可不选）"), *Form.choices],
        required=False,
        error_messages={"invalid_choice": "协商形式无效"},
    )
    series = _text("协商品牌", 40, required=False)
    title = _text("主题", 200)
    held_on = _date("日期")
    station = _choice("站点", Station.objects.none())
    place = _text("地点", 200, required=False)
    topic = _choice("计划议题", Topic.objects.none())
    lead = _choice("牵头专委会", SpecialCommittee.objects.none())
    summary = _text("协商情况", 20000, required=False, textarea=True)

    def __init__(self, *args, committee_id: int, stations, station_only: bool, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations  # type: ignore[attr-defined]
        self.fields["topic"].queryset = Topic.objects.filter(committee_id=committee_id).order_by(  # type: ignore[attr-defined]
            "-plan__year", "order", "id"
        )
        self.fields["lead"].queryset = SpecialCommittee.objects.filter(committee_id=committee_id)  # type: ignore[attr-defined]
        self.fields["series"].help_text = "如：" + "、".join(SERIES_SUGGESTIONS)
        if station_only:
            # A station member calls only micro consultations at their own station.
            self.fields["kind"].choices = [
                (Consultation.Kind.CONSULTATION, Consultation.Kind.CONSULTATION.label)
            ]  # type: ignore[attr-defined]
            self.fields["form"].choices = [(Form.MICRO, Form.MICRO.label)]  # type: ignore[attr-defined]
            self.fields["form"].initial = Form.MICRO
            self.fields["station"].required = True
            self.fields["station"].empty_label = None  # type: ignore[attr-defined]
            del self.fields["topic"]
            del self.fields["lead"]


class PlanTopicField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Topic) -> str:  # type: ignore[override]
        return f"{obj.plan.title}：{obj.title}"


class ConsultationEditForm(forms.Form):
    """What can still be corrected after creation; kind, form and station stay as created."""

    title = _text("主题", 200)
    held_on = _date("日期")
    place = _text("地点", 200, required=False)
    series = _text("协商品牌", 40, required=False)
    topic = PlanTopicField(
        label="计划议题",
        queryset=Topic.objects.none(),
        required=False,
        empty_label="——（不属于年度计划）",
        error_messages={"invalid_choice": "请选择本政协年度计划中的议题"},
    )
    summary = _text("协商情况", 20000, required=False, textarea=True)
    minutes = _text("会议纪要", 50000, required=False, textarea=True)

    def __init__(self, *args, consultation: Consultation, with_topic: bool, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["series"].help_text = "如：" + "、".join(SERIES_SUGGESTIONS)
        if not with_topic:
            # Station members run micro consultations, which are not annual-plan topics (as on creation).
            del self.fields["topic"]
            return
        from django.db.models import Q

        # The plan of the consultation's year, and the topic it is linked to now even if from another year.
        self.fields["topic"].queryset = (  # type: ignore[attr-defined]
            Topic.objects.filter(committee_id=consultation.committee_id)
            .filter(Q(plan__year=consultation.held_on.year) | Q(pk=consultation.topic_id))
            .select_related("plan")
            .order_by("-plan__year", "order", "month", "id")
        )


class ParticipantForm(forms.Form):
    member = _choice("委员", Member.objects.none())
    kind = forms.ChoiceField(
        label="身份",
        choices=Participant.Kind.choices,
        initial=Participant.Kind.MEMBER,
        error_messages={"required": "请选择身份", "invalid_choice": "参加人员身份无效"},
    )
    name = _text("姓名", 30, required=False)
    organisation = _text("单位/身份", 100, required=False)

    def __init__(self, *args, committee_id: int, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = member_choices(committee_id)  # type: ignore[attr-defined]


def member_choices(committee_id: int):  # type: ignore[no-untyped-def]
    """Active members of the committee and the 住区委员 of higher committees living there."""
    from django.db.models import Q

    return Member.objects.filter(
        Q(committee_id=committee_id) | Q(resident_committee_id=committee_id), status=Member.Status.ACTIVE
    ).order_by("name", "id")


def unit_choices(committee_id: int):  # type: ignore[no-untyped-def]
    return HandlingUnit.objects.filter(committee_id=committee_id, is_active=True).order_by("name", "id")


class TransferForm(forms.Form):
    unit = _choice("承办单位", HandlingUnit.objects.none(), required=True)
    deadline = _date("办理期限")

    def __init__(self, *args, committee_id: int, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = unit_choices(committee_id)  # type: ignore[attr-defined]


class ProgressForm(forms.Form):
    percent = forms.IntegerField(
        label="落实进度",
        min_value=0,
        max_value=99,
        error_messages={
            "required": "请填写落实进度",
            "invalid": "进度须为0到99之间的整数",
            "min_value": "进度须在0到99之间；完成请点“落实完成”",
            "max_value": "进度须在0到99之间；完成请点“落实完成”",
        },
    )
    note = _text("进展情况", 5000, textarea=True)


class VisitForm(forms.Form):
    visited_on = _date("日期")
    place = _text("地点", 200)
    note = _text("情况", 5000, required=False, textarea=True)


class ReportForm(forms.Form):
    title = _text("报告标题", 200)
    situation = _text("情况", 20000, textarea=True)
    suggestion = _text("建议", 20000, required=False, textarea=True)


class PlanForm(forms.Form):
    year = forms.IntegerField(
        label="年度",
        min_value=2000,
        max_value=2100,
        error_messages={
            "required": "请填写年度",
            "invalid": "年度须为四位数字",
            "min_value": "年度须在2000到2100之间",
            "max_value": "年度须在2000到2100之间",
        },
    )
    title = _text("名称", 100)


class TopicForm(forms.Form):
    title = _text("议题", 200)
    form = forms.ChoiceField(
        label="协商形式",
        choices=Form.choices,
        error_messages={"required": "请选择协商形式", "invalid_choice": "协商形式无效"},
    )
    month = forms.TypedChoiceField(
        label="计划月份",
        choices=[(m, f"{m}月") for m in range(1, 13)],
        coerce=int,
        error_messages={"required": "请选择计划月份", "invalid_choice": "计划月份须在1到12之间"},
    )
    lead = _choice("牵头专委会", SpecialCommittee.objects.none())
    description = _text("说明", 5000, required=False, textarea=True)

    def __init__(self, *args, committee_id: int, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = SpecialCommittee.objects.filter(committee_id=committee_id)  # type: ignore[attr-defined]


class ApproveForm(forms.Form):
    approved_on = _date("党委批准日期")
    approval_document = _text("批准文件", 100, required=False)
