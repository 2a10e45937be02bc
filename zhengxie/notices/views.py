from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from zhengxie.notices.models import Notification


@login_required
@require_http_methods(["GET", "POST"])
def inbox(request: HttpRequest) -> HttpResponse:
    """The user's own notifications; POST marks one (id=…) or all of them read."""
    mine = Notification.objects.filter(user=request.user)  # type: ignore[misc]
    if request.method == "POST":
        unread = mine.filter(read_at__isnull=True)
        notice_id = request.POST.get("id", "")
        if notice_id:
            unread = unread.filter(pk=int(notice_id)) if notice_id.isdigit() else unread.none()
        unread.update(read_at=timezone.now())
        return redirect("notices:inbox")
    page = Paginator(mine, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "notices/inbox.html",
        {"page": page, "unread": mine.filter(read_at__isnull=True).count(), "query": ""},
    )
