"""HTTP API v1. Operations are thin: authenticate, go through the access functions, serialise."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest
from ninja import NinjaAPI, Router, Schema
from ninja.openapi.docs import Swagger
from ninja.openapi.schema import REF_TEMPLATE, OpenAPISchema
from ninja.pagination import paginate

from zhengxie.accounts import access
from zhengxie.accounts.models import Role
from zhengxie.api.auth import SessionAuth, TokenAuth
from zhengxie.api.errors import install_handlers
from zhengxie.api.pagination import Pagination
from zhengxie.api.schemas import CommitteeStatsOut, ErrorOut, GrantOut, MemberOut, MeOut
from zhengxie.consultations.api import router as consultations_router
from zhengxie.duties.api import router as duties_router
from zhengxie.grassroots.api import router as grassroots_router
from zhengxie.opinions.api import router as opinions_router
from zhengxie.org.models import Committee, Member
from zhengxie.proposals.api import router as proposals_router
from zhengxie.reports.api import router as reports_router


class ValidationErrorOut(Schema):
    """A 422: the request does not match the operation's parameters or body."""

    detail: str
    errors: list[dict[str, Any]]


class PlatformAPI(NinjaAPI):
    """The document also declares what django-ninja answers for every operation before our code runs:
    401 when neither the token nor the session authenticates, 422 when the input does not validate."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema["components"]["schemas"]
        for model in (ErrorOut, ValidationErrorOut):
            components.setdefault(model.__name__, model.model_json_schema(ref_template=REF_TEMPLATE))
        for methods in schema["paths"].values():
            for operation in methods.values():
                responses = operation["responses"]
                if operation.get("security"):
                    responses.setdefault(401, _response("未登录或API令牌无效", ErrorOut))
                if operation.get("parameters") or operation.get("requestBody"):
                    responses.setdefault(422, _response("请求数据不符合要求", ValidationErrorOut))
        return schema


def _response(description: str, model: type[Schema]) -> dict[str, Any]:
    ref = REF_TEMPLATE.format(model=model.__name__)
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ref}}}}


api = PlatformAPI(
    title="政协履职平台 API",
    version="1",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    docs_url="/docs",
    # The bundled Swagger UI ("ninja" in INSTALLED_APPS): static files, no inline script; no validator
    # badge, which would be fetched from validator.swagger.io.
    docs=Swagger(settings={"validatorUrl": None}),
)
install_handlers(api)

accounts_router = Router(tags=["账号"])
org_router = Router(tags=["组织与委员"])


@accounts_router.get("/me", response=MeOut, summary="当前用户及其角色")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    return MeOut(
        id=user.pk,
        username=user.username,  # type: ignore[union-attr]
        display_name=user.display_name,  # type: ignore[union-attr]
        grants=[
            GrantOut(
                committee_id=g.committee_id,
                committee=g.committee.name,
                role=g.role,
                role_label=Role(g.role).label,
                handling_unit_id=g.handling_unit_id,
            )
            for g in access.grants_of(user)  # type: ignore[arg-type]
        ],
    )


@org_router.get("/members", response=list[MemberOut], summary="委员名单（脱敏）")
@paginate(Pagination)
def member_list(request: HttpRequest, committee: int | None = None, q: str = "") -> Any:
    members = access.members_visible_to(request.user)  # type: ignore[arg-type]
    if committee is not None:
        members = members.filter(Q(committee_id=committee) | Q(resident_committee_id=committee))
    if q:
        members = members.filter(name__contains=q[:30])
    return members.select_related("committee", "sector", "party", "station").order_by("id")


@org_router.get("/members/{member_id}", response={200: MemberOut, 404: ErrorOut}, summary="委员详情（脱敏）")
def member_detail(request: HttpRequest, member_id: int) -> Any:
    return access.access_member_by_id(request.user, member_id)  # type: ignore[arg-type]


@org_router.get(
    "/committees/{committee_id}/stats",
    response={200: CommitteeStatsOut, 404: ErrorOut},
    summary="政协委员数统计（含下级）",
)
def committee_stats(request: HttpRequest, committee_id: int) -> CommitteeStatsOut:
    committee = access.statistics_committees(request.user).filter(pk=committee_id).first()  # type: ignore[arg-type]
    if committee is None:
        raise Http404("未找到该政协")
    subtree = Committee.objects.filter(path__startswith=committee.path).exclude(pk=committee.pk)
    return CommitteeStatsOut(
        committee_id=committee.pk,
        committee=committee.name,
        division_code=committee.division_code,
        members=Member.objects.filter(committee=committee, status=Member.Status.ACTIVE).count(),
        members_in_children=Member.objects.filter(committee__in=subtree, status=Member.Status.ACTIVE).count(),
        children=subtree.count(),
    )


api.add_router("/accounts", accounts_router)
api.add_router("/org", org_router)
api.add_router("/proposals", proposals_router)
api.add_router("/opinions", opinions_router)
api.add_router("/concerns", grassroots_router)
api.add_router("/consultations", consultations_router)
api.add_router("/duties", duties_router)
api.add_router("/reports", reports_router)
