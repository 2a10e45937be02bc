"""Organisation services: creating committees (keeping the tree path right) and their standard lists."""

from __future__ import annotations

from django.db import transaction

from zhengxie.org import reference
from zhengxie.org.models import Committee, HandlingUnit, Party, Sector, SpecialCommittee


def committee_path(committee: Committee) -> str:
    parent_path = committee.parent.path if committee.parent_id and committee.parent else "/"
    return f"{parent_path}{committee.pk}/"


@transaction.atomic
def committee_create(
    *, name: str, level: str, parent: Committee | None, division_code: str | None, region_name: str = ""
) -> Committee:
    committee = Committee.objects.create(
        name=name, level=level, parent=parent, division_code=division_code, region_name=region_name
    )
    committee.path = committee_path(committee)
    Committee.objects.filter(pk=committee.pk).update(path=committee.path)
    return committee


@transaction.atomic
def committee_setup_defaults(*, committee: Committee) -> None:
    """Give a committee the standard sectors, parties, special committees and handling units.
    Runs again without harm: existing names are left alone."""
    sectors = (
        reference.SECTORS_NATIONAL if committee.level == Committee.Level.NATIONAL else reference.SECTORS_LOCAL
    )
    existing = set(Sector.objects.filter(committee=committee).values_list("name", flat=True))
    Sector.objects.bulk_create(
        [
            Sector(committee=committee, name=n, sort_order=i)
            for i, n in enumerate(sectors)
            if n not in existing
        ]
    )
    existing = set(Party.objects.filter(committee=committee).values_list("short_name", flat=True))
    Party.objects.bulk_create(
        [
            Party(committee=committee, name=full, short_name=short, kind=kind, sort_order=i)
            for i, (full, short, kind) in enumerate(reference.PARTIES)
            if short not in existing
        ]
    )
    existing = set(SpecialCommittee.objects.filter(committee=committee).values_list("name", flat=True))
    SpecialCommittee.objects.bulk_create(
        [
            SpecialCommittee(committee=committee, name=n)
            for n in reference.SPECIAL_COMMITTEES
            if n not in existing
        ]
    )
    if committee.level == Committee.Level.NATIONAL:
        return
    existing = set(HandlingUnit.objects.filter(committee=committee).values_list("name", flat=True))
    prefix = committee.region_name
    units = [(prefix + n, HandlingUnit.Kind.DEPARTMENT) for n in reference.HANDLING_UNITS]
    units += [(prefix + n, kind) for n, kind in reference.HANDLING_UNITS_OTHER]
    HandlingUnit.objects.bulk_create(
        [HandlingUnit(committee=committee, name=n, kind=k) for n, k in units if n not in existing]
    )
