"""Background work of the annual evaluation."""

from __future__ import annotations

from django_tasks import task


@task()
def recompute_evaluation(committee_id: int, year: int) -> dict[str, int]:
    """Recompute one committee-year's points and ranks (runs after rules or records change)."""
    from zhengxie.duties.scoring import recompute

    result = recompute(committee_id, year)
    return {"members": result.members, "records": result.records, "points_rows": result.points_rows}
