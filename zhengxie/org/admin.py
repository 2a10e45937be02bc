from django.contrib import admin

from zhengxie.org.models import (
    Committee,
    HandlingUnit,
    Member,
    Party,
    Sector,
    Session,
    SpecialCommittee,
    Station,
    Term,
)


@admin.register(Committee)
class CommitteeAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "division_code", "parent", "is_active"]
    list_filter = ["level"]
    search_fields = ["name", "division_code"]
    readonly_fields = ["path"]
    raw_id_fields = ["parent"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["name", "committee", "sector", "party", "position", "mobile_masked", "status"]
    list_filter = ["position", "status"]
    search_fields = ["name"]
    list_select_related = ["committee", "sector", "party"]
    raw_id_fields = ["committee", "user", "term", "sector", "party", "station", "resident_committee"]
    filter_horizontal = ["special_committees"]


for model in (Term, Session, Sector, Party, SpecialCommittee, Station, HandlingUnit):
    admin.site.register(
        model,
        type(
            f"{model.__name__}Admin",
            (admin.ModelAdmin,),
            {
                "search_fields": ["name"] if hasattr(model, "name") else [],
                "list_display": ["__str__", "committee"],
            },
        ),
    )
