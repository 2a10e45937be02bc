"""Who sees which concern, and whose eyes see the person's name and phone.

- office staff of the committee: every concern, the review queue included, with personal data (each view
  of it is audited);
- leaders of the committee: every published concern, personal data masked;
- a member: the published concerns of their own station, and any they took up; the person's name and phone
  only on the concerns they took up;
- everyone else (other members of the public included): nothing but the look-up by number, which never
  shows personal data.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from zhengxie.accounts import access, crypto
from zhengxie.accounts.audit import audit_log
from zhengxie.accounts.models import Role, User
from zhengxie.grassroots.models import Concern, ConcernState
from zhengxie.org.models import Member

PUBLISHED = (ConcernState.OPEN, ConcernState.TAKEN, ConcernState.CLOSED)
LIST_RELATED = ("committee", "station", "taken_by")


def concerns_visible_to(user: User) -> QuerySet[Concern]:
    if not user.is_authenticated or not user.is_active:
        return Concern.objects.none()
    condition = Q(taken_by__user_id=user.pk)
    office = access.committee_ids_with(user, {Role.OFFICE})
    if office:
        condition |= Q(committee_id__in=office)
    leaders = access.committee_ids_with(user, {Role.LEADER})
    if leaders:
        condition |= Q(committee_id__in=leaders, state__in=PUBLISHED)
    stations = Member.objects.filter(
        user_id=user.pk, status=Member.Status.ACTIVE, station__isnull=False
    ).values("station_id")
    condition |= Q(station_id__in=stations, state__in=PUBLISHED)
    return Concern.objects.filter(condition).select_related(*LIST_RELATED)


def access_concern(user: User, concern_id: int) -> Concern:
    concern = concerns_visible_to(user).filter(pk=concern_id).first()
    if concern is None:
        raise Http404("未找到该诉求")
    return concern


def can_see_personal_data(user: User, concern: Concern) -> bool:
    if concern.taken_by_id is not None and concern.taken_by.user_id == user.pk:  # type: ignore[union-attr]
        return True
    return access.has_role(user, concern.committee_id, {Role.OFFICE})


def mask_name(name: str) -> str:
    return f"{name[0]}*" if name else ""


def mask_phone(phone: str) -> str:
    return crypto.mask_mobile(phone) if phone else ""


def personal_data_for(user: User, concern: Concern) -> dict[str, object]:
    """The person's name and phone as this user may see them: in the clear for those handling the concern
    (each such view leaves an audit row), masked for everyone else who may open it."""
    if not concern.name and not concern.phone:
        return {"name": "", "phone": "", "masked": False}
    if can_see_personal_data(user, concern):
        audit_log(action="view_personal", obj=concern, actor=user, result="查看群众诉求反映人姓名和联系电话")
        return {"name": concern.name, "phone": concern.phone, "masked": False}
    return {"name": mask_name(concern.name), "phone": mask_phone(concern.phone), "masked": True}
