"""全文检索: one page that searches every kind of record the user may read, with filters and highlighted
snippets. The rights are applied by the index query itself (search.reader_tokens), never after a LIMIT."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from zhengxie.accounts import access
from zhengxie.consultations.models import OutcomeState
from zhengxie.grassroots.models import ConcernState
from zhengxie.opinions.models import ReportState
from zhengxie.org.models import Committee, HandlingUnit, Member, Sector
from zhengxie.proposals.models import State
from zhengxie.textindex import search

PAGE_SIZE = 20
TARGET_ROUTES = {
    "proposal": "proposals:detail",
    "reply": "proposals:detail",
    "opinion": "opinions:detail",
    "outcome": "consultations:detail",
    "concern": "grassroots:detail",
}


def _state_choices() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for choices in (State.choices, ReportState.choices, OutcomeState.choices, ConcernState.choices):
        for value, label in choices:
            seen.setdefault(value, label)
    return list(seen.items())


def _filter_choices(user) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Committees the user belongs to, and their units and sectors (ids of other committees would find
    nothing anyway: the index only answers with what the user may read)."""
    committee_ids = {g.committee_id for g in access.grants_of(user)}
    committee_ids |= set(
        Member.objects.filter(user_id=user.pk, status=Member.Status.ACTIVE).values_list(
            "committee_id", flat=True
        )
    )
    this_year = timezone.localdate().year
    return {
        "kinds": list(search.KIND_LABELS.items()),
        "years": list(range(this_year, this_year - 10, -1)),
        "committees": list(Committee.objects.filter(pk__in=committee_ids).values_list("pk", "name")),
        "units": list(
            HandlingUnit.objects.filter(committee_id__in=committee_ids)
            .order_by("name")
            .values_list("pk", "name")[:500]
        ),
        "sectors": list(
            Sector.objects.filter(committee_id__in=committee_ids)
            .order_by("name")
            .values_list("pk", "name")[:200]
        ),
        "states": _state_choices(),
    }


@login_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    text = request.GET.get("q", "").strip()[: search.MAX_QUERY]
    filters = search.Filters.from_params(request.GET)
    context: dict[str, object] = {"q": text, "filters": filters, **_filter_choices(user)}
    if text:
        try:
            result = search.search_for(user, text, filters)
        except search.QueryError as exc:
            context["error"] = str(exc)
        else:
            page = Paginator(result.ids, PAGE_SIZE).get_page(request.GET.get("page"))
            hits = result.hits(list(page.object_list))
            for hit in hits:
                hit.url = reverse(TARGET_ROUTES[hit.kind], args=[hit.target_id])
            query = request.GET.copy()
            query.pop("page", None)
            context.update(
                {"result": result, "page": page, "hits": hits, "query": query.urlencode(), "cap": search.CAP}
            )
    return render(request, "textindex/search.html", context)
