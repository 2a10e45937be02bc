"""Forms parse and convert input only; the services decide what is allowed and check the text (length,
control characters, phone format) with their Chinese messages. Also the request facts the public pages
need: the client address the rate limit counts by, and the body-size cap checked before parsing."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from zhengxie.accounts import access
from zhengxie.accounts.models import Role, User
from zhengxie.grassroots import services
from zhengxie.grassroots.models import Concern
from zhengxie.org.models import Committee, Member, Session, Station

RECEPTION_CHANNELS = [
    (Concern.Channel.VISIT, Concern.Channel.VISIT.label),
    (Concern.Channel.PHONE, Concern.Channel.PHONE.label),
    (Concern.Channel.LETTER, Concern.Channel.LETTER.label),
]


def client_source(request: HttpRequest) -> str:
    """The address the rate limit counts by. X-Forwarded-For is anyone's to write, so it is believed only
    when CONCERN_TRUST_X_FORWARDED_FOR says a proxy of ours sets it; then its last entry is the address
    our proxy saw."""
    if getattr(settings, "CONCERN_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last[:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def body_too_large(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > services.MAX_BODY


def normalise_newlines(value: str) -> str:
    # Browsers send CRLF; the 2000-character limit counts a line break once, as the page says.
    return (value or "").replace("\r\n", "\n").replace("\r", "\n")


def public_committees() -> QuerySet[Committee]:
    """Committees the public can raise concerns with: active ones that run stations."""
    return Committee.objects.filter(is_active=True, stations__isnull=False).distinct().order_by("path")


def _text_field(
    label: str, limit: int, *, required: bool = True, rows: int = 0, **attrs: str
) -> forms.CharField:
    widget: forms.Widget
    attrs = {"maxlength": str(limit), **attrs}
    widget = forms.Textarea(attrs={"rows": str(rows), **attrs}) if rows else forms.TextInput(attrs=attrs)
    # No max_length here: the service counts after cleaning and says the limit in Chinese.
    return forms.CharField(
        label=label,
        required=required,
        strip=False,
        widget=widget,
        error_messages={"required": f"{label}不能为空"},
    )


class ConcernFields(forms.Form):
    title = _text_field("标题", services.MAX_TITLE, placeholder="一句话说明问题，如：某路段路灯不亮")
    category = forms.ChoiceField(
        label="类别",
        choices=Concern.Category.choices,
        initial=Concern.Category.OTHER,
        error_messages={"invalid_choice": "诉求类别无效", "required": "请选择类别"},
    )
    content = _text_field("诉求内容", services.MAX_CONTENT, rows=7)
    name = _text_field("姓名（可不填）", 30, required=False, autocomplete="name")
    phone = _text_field("联系电话（可不填）", 20, required=False, inputmode="tel", autocomplete="tel")

    def clean_content(self) -> str:
        return normalise_newlines(self.cleaned_data.get("content", ""))


class PublicConcernForm(ConcernFields):
    station = forms.ModelChoiceField(
        label="站点",
        queryset=Station.objects.none(),
        required=False,
        empty_label="不确定，请政协办公室分派",
        error_messages={"invalid_choice": "请选择本政协的站点"},
    )
    # The honeypot: hidden from people by CSS, filled by bots that fill every field.
    website = forms.CharField(
        label="网址（请勿填写）",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    field_order = ["station", "title", "category", "content", "name", "phone", "website"]

    def __init__(self, *args, committee: Committee, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = Station.objects.filter(committee=committee).order_by(  # type: ignore[attr-defined]
            "level", "name", "id"
        )


def reception_stations(user: User) -> QuerySet[Station]:
    """Where a user may record a reception: their own stations as a member; every station of a committee
    they work in the office of."""
    own = Member.objects.filter(user_id=user.pk, status=Member.Status.ACTIVE, station__isnull=False).values(
        "station_id"
    )
    office = access.committee_ids_with(user, {Role.OFFICE})
    return (
        Station.objects.filter(Q(pk__in=own) | Q(committee_id__in=office))
        .select_related("committee")
        .order_by("committee__path", "name")
    )


class ReceptionForm(ConcernFields):
    station = forms.ModelChoiceField(
        label="接待站点",
        queryset=Station.objects.none(),
        error_messages={"required": "请选择接待站点", "invalid_choice": "请选择您所在的站点"},
    )
    channel = forms.ChoiceField(
        label="反映方式",
        choices=RECEPTION_CHANNELS,
        initial=Concern.Channel.VISIT,
        error_messages={"invalid_choice": "反映方式无效", "required": "请选择反映方式"},
    )

    field_order = ["station", "channel", "title", "category", "content", "name", "phone"]

    def __init__(self, *args, user: User, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = reception_stations(user)  # type: ignore[attr-defined]
        self.fields["station"].label_from_instance = lambda s: f"{s.committee.name} · {s.name}"  # type: ignore[attr-defined]


def open_sessions(committee_id: int) -> QuerySet[Session]:
    return (
        Session.objects.filter(committee_id=committee_id, proposals_open=True)
        .select_related("term")
        .order_by("-year", "-number")
    )


def first_error(form: forms.Form) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return "输入有误"
