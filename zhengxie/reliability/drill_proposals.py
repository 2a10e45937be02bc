"""`python -m zhengxie.reliability.drill_proposals --count N`: N submitted proposals with two confirmed
co-signers each, written through the services in the database of DATABASE_URL (after drill_seed), so the
audit trail, transitions, notices and duty records fill as in real use."""

from __future__ import annotations

import argparse
import json
import os
import uuid


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()

    from zhengxie.org.models import Member, Session
    from zhengxie.proposals import services

    session = Session.objects.order_by("id").first()
    members = list(Member.objects.filter(committee=session.committee).select_related("user").order_by("id"))
    for i in range(args.count):
        author = members[i % len(members)]
        others = [members[(i + k) % len(members)] for k in (1, 2)]
        proposal = services.proposal_draft_create(
            user=author.user,
            author=author,
            session=session,
            title=f"关于演练备份恢复的建议{uuid.uuid4().hex[:6]}",
            background="演练：案据。",
            suggestions="演练：建议。",
            category="society",
        )
        services.cosigner_invite(proposal=proposal, user=author.user, members=others)
        for other in others:
            services.cosigner_respond(proposal=proposal, user=other.user, confirm=True)
        services.proposal_submit(proposal=proposal, user=author.user, client_token=uuid.uuid4().hex)
    print(json.dumps({"proposals": args.count}))


if __name__ == "__main__":
    main()
