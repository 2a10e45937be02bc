"""Mass assignment: every API write is sent twice as the person allowed to make it, once as documented and
once with fields nobody may set through it (committee, state, author, unit, version, number, flags…) added.
Both must succeed and leave the same rows: the extra fields change nothing."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models, transaction
from django.db.models import Max
from django.test import Client, TestCase

from zhengxie.api.api import api
from zhengxie.consultations.models import Consultation, Outcome
from zhengxie.duties.models import Contest, DutyRecord
from zhengxie.grassroots.models import Concern
from zhengxie.opinions.models import OpinionReport
from zhengxie.proposals.models import Assignment, Proposal
from zhengxie.security.tests.matrix import Case
from zhengxie.security.tests.runner import Matrix, url_of
from zhengxie.security.tests.scenario import Scenario

# The rows an API write may create or change.
WATCHED: tuple[type[models.Model], ...] = (
    Proposal,
    Assignment,
    OpinionReport,
    Concern,
    Consultation,
    Outcome,
    DutyRecord,
    Contest,
)
# Values that differ between two identical requests whatever they carry.
VOLATILE = {(Concern, "number")}


def hostile(s: Scenario) -> dict[str, Any]:
    """Fields a caller must never set, each pointing somewhere it must not go."""
    sibling = s.committees["sibling"].pk
    return {
        "id": 999999,
        "pk": 999999,
        "committee": sibling,
        "committee_id": sibling,
        "state": "closed",
        "status": "confirmed",
        "author": s.pk("other_member"),
        "author_id": s.pk("other_member"),
        "author_ids": [s.pk("sib_member")],
        "authors": [s.pk("sib_member")],
        "member_id": s.pk("sib_member"),
        "created_by": s.users["office"].pk,  # type: ignore[union-attr]
        "created_by_id": s.users["office"].pk,  # type: ignore[union-attr]
        "taken_by_id": s.pk("other_member"),
        "unit": s.pk("sib_unit"),
        "unit_id": s.pk("sib_unit"),
        "station_id": s.pk("sib_station"),
        "session_id": s.r["p_sib"].session_id,
        "version": 999,
        "number": 9999,
        "year": 1999,
        "is_key": True,
        "is_first": True,
        "is_excellent": True,
        "is_good_case": True,
        "imported": True,
        "points": "999",
        "percent": 100,
        "merged_into_id": s.pk("p_sib"),
        "origin_id": s.pk("p_sib"),
        "proposal_id": s.pk("p_sib"),
        "forwarding_id": s.r["forwarding"].pk,
        "flags": [],
    }


def documented_fields(case: Case) -> set[str]:
    """The body fields the operation's input schema declares (and may legitimately take). Read from the
    operation itself rather than the OpenAPI document, so the check does not depend on component names
    (zhengxie/api/tests/test_openapi_document.py keeps those unique)."""
    method, path = case.route.split(" ", 1)
    for prefix, router in api._routers:
        if not path.startswith(prefix):
            continue
        view = router.path_operations.get(path[len(prefix) :])
        for operation in view.operations if view is not None else ():
            if method in operation.methods:
                return {
                    name
                    for model in operation.signature.models
                    if getattr(model, "__ninja_param_source__", "") == "body"
                    for field in model.model_fields.values()
                    for name in getattr(field.annotation, "model_fields", {})
                }
    raise LookupError(case.route)


@functools.cache
def _our_models() -> tuple[type[models.Model], ...]:
    return tuple(m for m in apps.get_models() if m.__module__.startswith("zhengxie."))


def _highest() -> dict[type[models.Model], int]:
    """The highest id of every table: rows above it were made by the request."""
    return {m: m.objects.aggregate(n=Max("pk"))["n"] or 0 for m in _our_models()}


def _row(obj: models.Model, before: dict[type[models.Model], int]) -> dict[str, Any]:
    """A row's values, without its timestamps; a reference to a row made by the request reads 'new' (two
    identical requests give their new rows other ids on PostgreSQL, whose sequences ignore rollbacks)."""
    out: dict[str, Any] = {}
    generic = {f.fk_field: f.ct_field for f in obj._meta.private_fields if isinstance(f, GenericForeignKey)}
    for f in obj._meta.concrete_fields:
        if isinstance(f, models.DateTimeField) or f.primary_key or (type(obj), f.name) in VOLATILE:
            continue
        value = getattr(obj, f.attname)
        target = f.related_model if f.is_relation else None
        if f.name in generic and value is not None:
            content_type = getattr(obj, generic[f.name])
            target = content_type.model_class() if content_type is not None else None
        if target in before and value is not None and value > before[target]:
            value = "new"
        elif f.name == "url" and isinstance(value, str):
            value = re.sub(r"\d+", "N", value)  # a link to a row, new or not
        out[f.name] = value
    return out


def outcome(m: Matrix, case: Case, user: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Status and the watched rows the write created or touched (target first), all rolled back."""
    client: Client = m.clients[user]
    before = _highest()
    with transaction.atomic():
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = client.generic(
                case.method, url_of(case, m.s), json.dumps(body, default=str), content_type="application/json"
            )
        rows: dict[str, Any] = {}
        if case.target and isinstance(m.s.r[case.target], WATCHED):
            target = m.s.r[case.target]
            rows["target"] = _row(type(target).objects.get(pk=target.pk), before)
        for model in WATCHED:
            made = model.objects.filter(pk__gt=before[model]).order_by("pk")
            rows[model.__name__] = [_row(o, before) for o in made]
        transaction.set_rollback(True)
    return response.status_code, rows
