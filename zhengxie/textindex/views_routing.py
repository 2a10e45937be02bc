"""The routing panel (交办建议): on the proposal page of the committee's office, while the proposal is being
filed or assigned, the machine's suggested category and lead / co-handling units with their confidence and
the words behind them. Loaded by htmx; a button fills the forms on the page, the person still submits.
Every panel shown is logged (routing.log_suggestion); the choice is recorded by the services."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from zhengxie.accounts import access
from zhengxie.accounts.models import Role
from zhengxie.proposals import queries
from zhengxie.proposals.models import Category, State
from zhengxie.textindex import routing

# Filing chooses the category, assignment and reassignment the units.
ROUTABLE = {State.SUBMITTED, State.FILED, State.RETURNED}


@login_required
@require_GET
def routing_panel(request: HttpRequest, proposal_id: int) -> HttpResponse:
    user = request.user
    proposal = queries.access_proposal(user, proposal_id)  # type: ignore[arg-type]
    if not access.has_role(user, proposal.committee_id, {Role.OFFICE}):  # type: ignore[arg-type]
        raise PermissionDenied("只有本政协提案工作机构可查看交办建议")
    context: dict[str, object] = {"proposal": proposal, "routable": proposal.state in ROUTABLE}
    if context["routable"]:
        suggestion = routing.suggest(proposal)
        routing.log_suggestion(proposal, user, suggestion)
        categories = dict(Category.choices)
        names = suggestion.unit_names
        context.update(
            s=suggestion,
            categories=[(c, categories.get(c.value, c.value)) for c in suggestion.category],
            leads=[(u, names.get(u.value, "")) for u in suggestion.lead],
            co=[(u, names.get(u.value, "")) for u in suggestion.co],
            fill_lead=suggestion.lead[0].value if suggestion.lead else "",
            fill_co=" ".join(u.value for u in suggestion.co),
            fill_category=suggestion.category[0].value if suggestion.category else "",
        )
    return render(request, "textindex/routing_panel.html", context)
