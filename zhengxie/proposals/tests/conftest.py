from dataclasses import dataclass

import pytest

from zhengxie.org.models import Session, Term
from zhengxie.proposals import services
from zhengxie.proposals.models import Proposal, State
from zhengxie.testing.factories import HandlingUnitFactory, UserFactory, grant


@dataclass
class PW:
    world: object
    session: Session
    other_unit: object
    other_unit_user: object

    def draft(self, **kwargs) -> Proposal:
        w = self.world
        data = {
            "user": w.member_user,
            "author": w.member,
            "session": self.session,
            "title": "关于加快江门市老旧小区加装电梯的建议",
            "background": "全市老旧小区多，老年人上下楼困难。",
            "suggestions": "一是简化审批；二是加大补贴。",
            "category": "society",
        }
        data.update(kwargs)
        return services.proposal_draft_create(**data)

    def bring_to(self, state: str) -> Proposal:
        """Drive a fresh proposal to `state` through the services, as the right people."""
        w = self.world
        p = self.draft()
        if state == State.DRAFT:
            return p
        p = services.proposal_submit(proposal=p, user=w.member_user)
        if state == State.SUBMITTED:
            return p
        if state == State.WITHDRAWN:
            return services.proposal_withdraw(proposal=p, user=w.member_user)
        if state == State.NOT_FILED:
            return services.review_not_file(proposal=p, user=w.office, reason="不属于提案范围")
        if state == State.MERGED:
            target = services.proposal_submit(proposal=self.draft(title="另一件"), user=w.member_user)
            return services.review_merge(proposal=p, user=w.office, into=target)
        p = services.review_file(proposal=p, user=w.office)
        if state == State.FILED:
            return p
        p = services.assignment_create(proposal=p, user=w.office, lead=w.unit, co_units=[self.other_unit])
        if state == State.ASSIGNED:
            return p
        if state == State.RETURNED:
            return services.assignment_request_return(proposal=p, user=w.unit_user, reason="不属于本单位职责")
        services.reply_record(proposal=p, user=w.unit_user, letter="已列入计划。", result="B")
        p.refresh_from_db()
        if state == State.REPLIED:
            return p
        if state == State.REHANDLING:
            services.feedback_record(proposal=p, user=w.member_user, rating="dissatisfied", comment="未落实")
            p.refresh_from_db()
            return p
        services.feedback_record(proposal=p, user=w.member_user, rating="satisfied")
        p.refresh_from_db()
        assert p.state == State.CLOSED
        return p


@pytest.fixture
def pw(world):
    term = Term.objects.create(committee=world.city, number=14, start_year=2023, end_year=2027)
    session = Session.objects.create(committee=world.city, term=term, number=2, year=2026)
    other_unit = HandlingUnitFactory(committee=world.city, name="江门市住房和城乡建设局")
    other_unit_user = UserFactory(username="unit2")
    grant(other_unit_user, world.city, "unit", other_unit)
    return PW(world=world, session=session, other_unit=other_unit, other_unit_user=other_unit_user)
