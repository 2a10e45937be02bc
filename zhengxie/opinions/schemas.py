"""API schemas for 社情民意. Input schemas hold only what the caller may set: committee, state, number and
created_by are never accepted (unknown fields are ignored); authors are honoured for office staff only
(a member naming anyone else is refused by the service)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from ninja import Field, Schema

from zhengxie.api.schemas import TransitionOut, choices_schema
from zhengxie.opinions.models import Forwarding, InstructionLevel, OpinionReport

ReportKind = Annotated[OpinionReport.Kind, choices_schema(OpinionReport.Kind, "ReportKind")]


class ReportListOut(Schema):
    id: int
    committee_id: int
    committee: str
    year: int
    number: int | None
    number_display: str
    kind: str
    kind_label: str
    title: str
    state: str
    state_label: str
    source_kind: str
    reflector_name: str
    submitted_on: date | None
    imported: bool

    @staticmethod
    def resolve_committee(obj: OpinionReport) -> str:
        return obj.committee.name

    @staticmethod
    def resolve_kind_label(obj: OpinionReport) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_state_label(obj: OpinionReport) -> str:
        return obj.get_state_display()


class AuthorOut(Schema):
    id: int
    name: str


class ForwardingOut(Schema):
    id: int
    target: str
    target_label: str
    receiver: str
    issue: str
    forwarded_on: date
    adopted: bool
    adopted_on: date | None
    adopted_by: str
    adoption_note: str

    @staticmethod
    def resolve_target_label(obj: Forwarding) -> str:
        return obj.get_target_display()


class InstructionOut(Schema):
    id: int
    level: str
    level_label: str
    leader_name: str
    leader_title: str
    instructed_on: date
    text: str
    forwarding_id: int | None
    imported: bool

    @staticmethod
    def resolve_level_label(obj: Any) -> str:
        return obj.get_level_display() if obj.level else ""


class ReportOut(ReportListOut):
    situation: str
    suggestion: str
    archive_reason: str
    merged_into_id: int | None
    proposal_id: int | None
    party_id: int | None
    sector_id: int | None
    special_committee_id: int | None
    station_id: int | None
    version: int
    authors: list[AuthorOut]
    forwardings: list[ForwardingOut]
    instructions: list[InstructionOut]
    transitions: list[TransitionOut]
    actions: list[str] = Field(description="当前用户可执行的操作")

    @staticmethod
    def resolve_authors(obj: OpinionReport) -> list[Any]:
        return list(getattr(obj, "api_authors", obj.authors.all()))

    @staticmethod
    def resolve_forwardings(obj: OpinionReport) -> list[Any]:
        return list(obj.forwardings.all())

    @staticmethod
    def resolve_instructions(obj: OpinionReport) -> list[Any]:
        return list(obj.instructions.all())

    @staticmethod
    def resolve_transitions(obj: OpinionReport) -> list[Any]:
        return list(obj.transitions.all())

    @staticmethod
    def resolve_actions(obj: OpinionReport) -> list[str]:
        return getattr(obj, "api_actions", [])


class ReportCreateIn(Schema):
    title: str = Field(max_length=200)
    situation: str = Field(max_length=20000)
    suggestion: str = Field("", max_length=20000)
    kind: ReportKind = OpinionReport.Kind.OPINION
    source_kind: OpinionReport.SourceKind = OpinionReport.SourceKind.MEMBER
    author_ids: list[int] = Field(
        default_factory=list, max_length=50, description="工作人员录入时的反映委员；委员只能以本人名义"
    )
    party_id: int | None = Field(None, description="以党派团体名义（反映人类别为 party 时）")
    sector_id: int | None = Field(None, description="以界别名义（sector）")
    special_committee_id: int | None = Field(None, description="以专门委员会名义（special_committee）")
    station_id: int | None = Field(None, description="以委员工作室名义（station）")
    submit: bool = Field(False, description="委员：保存后立即提交；工作人员录入的总是直接提交")
    client_token: str = Field("", max_length=64, description="重复提交时携带相同的值，只生成一条信息")


class ReportUpdateIn(Schema):
    title: str = Field(max_length=200)
    situation: str = Field(max_length=20000)
    suggestion: str = Field("", max_length=20000)
    kind: ReportKind | None = None
    version: int | None = Field(None, description="打开时的版本号；已被他人修改时返回409")


class VersionIn(Schema):
    version: int | None = Field(None, description="打开时的版本号；已被他人处理时返回409")


class OpinionReasonIn(VersionIn):
    reason: str = Field("", max_length=500)


class OpinionMergeIn(VersionIn):
    into_id: int


class ForwardIn(Schema):
    target: Forwarding.Target
    receiver: str = Field("", max_length=100)
    issue: str = Field("", max_length=60)
    forwarded_on: date | None = None


class AdoptIn(Schema):
    forwarding_id: int
    adopted_on: date | None = None
    adopted_by: str = Field("", max_length=100)
    note: str = Field("", max_length=500)


class InstructIn(Schema):
    level: InstructionLevel
    leader_name: str = Field(max_length=50)
    leader_title: str = Field("", max_length=100)
    instructed_on: date | None = None
    text: str = Field("", max_length=5000)
    forwarding_id: int | None = None
