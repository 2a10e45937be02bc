"""API schemas for proposals. Input schemas hold only what the caller may set: committee, state, author,
handling unit of a reply and number are never accepted (unknown fields are ignored)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from ninja import Field, Schema

from zhengxie.api.schemas import TransitionOut, choices_schema
from zhengxie.proposals.models import Category, Feedback, Proposal, Reply

ProposalKind = Annotated[Proposal.Kind, choices_schema(Proposal.Kind, "ProposalKind")]


class ProposalListOut(Schema):
    id: int
    committee_id: int
    committee: str
    session_id: int
    year: int
    number: int | None
    number_display: str
    title: str
    state: str
    state_label: str
    category: str
    category_label: str
    kind: str
    proposer_name: str
    submitted_at: datetime | None
    deadline: date | None
    is_key: bool
    is_first: bool
    is_excellent: bool

    @staticmethod
    def resolve_committee(obj: Proposal) -> str:
        return obj.committee.name

    @staticmethod
    def resolve_year(obj: Proposal) -> int:
        return obj.session.year

    @staticmethod
    def resolve_state_label(obj: Proposal) -> str:
        return obj.get_state_display()

    @staticmethod
    def resolve_category_label(obj: Proposal) -> str:
        return obj.get_category_display()


class CoSignerOut(Schema):
    member_id: int
    name: str
    status: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return obj.member.name


class AssignmentOut(Schema):
    unit_id: int
    unit: str
    role: str
    status: str
    deadline: date
    return_reason: str

    @staticmethod
    def resolve_unit(obj: Any) -> str:
        return obj.unit.name


class ContactOut(Schema):
    unit: str
    method: str
    note: str
    at: datetime

    @staticmethod
    def resolve_unit(obj: Any) -> str:
        return obj.unit.name


class ReplyOut(Schema):
    id: int
    unit: str
    role: str
    result: str
    letter: str
    doc_number: str
    round: int
    replied_at: datetime

    @staticmethod
    def resolve_unit(obj: Any) -> str:
        return obj.unit.name


class FeedbackOut(Schema):
    rating: str
    comment: str
    round: int
    at: datetime


class ProposalOut(ProposalListOut):
    background: str
    suggestions: str
    proposer_kind: str
    not_filed_reason: str
    conversion: str
    merged_into_id: int | None
    origin_id: int | None
    rehandle_count: int
    version: int
    cosigners: list[CoSignerOut]
    assignments: list[AssignmentOut]
    contacts: list[ContactOut]
    replies: list[ReplyOut]
    feedback: list[FeedbackOut]
    transitions: list[TransitionOut]
    actions: list[str] = Field(description="当前用户在此状态下可执行的流转操作")

    @staticmethod
    def resolve_cosigners(obj: Proposal) -> list[Any]:
        return list(obj.cosigners.all())

    @staticmethod
    def resolve_assignments(obj: Proposal) -> list[Any]:
        return list(obj.assignments.all())

    @staticmethod
    def resolve_contacts(obj: Proposal) -> list[Any]:
        return list(obj.contacts.all())

    @staticmethod
    def resolve_replies(obj: Proposal) -> list[Any]:
        return list(obj.replies.all())

    @staticmethod
    def resolve_feedback(obj: Proposal) -> list[Any]:
        return list(obj.feedback.all())

    @staticmethod
    def resolve_transitions(obj: Proposal) -> list[Any]:
        return list(obj.transitions.all())

    @staticmethod
    def resolve_actions(obj: Proposal) -> list[str]:
        return getattr(obj, "api_actions", [])


class ProposalCreateIn(Schema):
    session_id: int
    title: str = Field(max_length=200)
    background: str = Field(max_length=20000)
    suggestions: str = Field(max_length=20000)
    category: Category = Category.OTHER
    kind: ProposalKind = Proposal.Kind.INDIVIDUAL
    party_id: int | None = Field(None, description="集体提案：以本人所在党派团体名义（三者择一）")
    sector_id: int | None = Field(None, description="集体提案：以本人所在界别名义（三者择一）")
    special_committee_id: int | None = Field(
        None, description="集体提案：以本人所在专门委员会名义（三者择一）"
    )
    client_token: str = Field("", max_length=64, description="重复保存时携带相同的值，只生成一份草稿")


class CosignerInviteIn(Schema):
    member_ids: list[int] = Field(min_length=1, max_length=50)


class SubmitIn(Schema):
    client_token: str = Field("", max_length=64, description="重复提交时携带相同的值，只生成一个提案号")


class ProposalReasonIn(Schema):
    reason: str = Field("", max_length=500)


class FileIn(Schema):
    category: Category | None = None


class NotFileIn(Schema):
    reason: str = Field(max_length=500)
    conversion: Proposal.Conversion = Proposal.Conversion.NONE


class ProposalMergeIn(Schema):
    into_id: int


class AssignIn(Schema):
    lead_unit_id: int
    split_unit_ids: list[int] = Field(default_factory=list, max_length=20)  # 分办: further leads
    co_unit_ids: list[int] = Field(default_factory=list, max_length=20)
    deadline: date | None = None


class ContactIn(Schema):
    method: str = Field(max_length=20)
    note: str = Field(max_length=5000)


class ReplyIn(Schema):
    letter: str = Field(max_length=50000)
    result: Reply.Result | None = None
    doc_number: str = Field("", max_length=60)


class RateIn(Schema):
    rating: Feedback.Rating
    comment: str = Field("", max_length=2000)


class CosignIn(Schema):
    confirm: bool
