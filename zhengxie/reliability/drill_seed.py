"""`python -m zhengxie.reliability.drill_seed --members N`: the people of a reliability drill, written into
the (scratch) database of DATABASE_URL. Prints one JSON line: the session, the office user and each member
with their login, password and API token."""

from __future__ import annotations

import argparse
import json
import os
import secrets


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=8)
    parser.add_argument("--email", action="store_true", help="give every user an e-mail address")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()

    from zhengxie.accounts.models import ApiToken, Role, RoleGrant, User
    from zhengxie.org.models import Committee, Sector, Session, Term
    from zhengxie.org.services import committee_create

    password = "Dr1!" + secrets.token_urlsafe(12)
    committee = committee_create(
        name="演练市政协", level=Committee.Level.PREFECTURE, parent=None, division_code="990100"
    )
    term = Term.objects.create(committee=committee, number=14, start_year=2023, end_year=2027)
    session = Session.objects.create(committee=committee, term=term, number=2, year=2026)
    sector = Sector.objects.create(committee=committee, name="经济界")

    def user(username: str, role: str) -> User:
        row = User(username=username, display_name=username)
        if args.email:
            row.email = f"{username}@drill.invalid"
        row.set_password(password)
        row.save()
        RoleGrant.objects.create(user=row, committee=committee, role=role)
        return row

    office = user("drill_office", Role.OFFICE)
    people = []
    for i in range(args.members):
        u = user(f"drill_member{i}", Role.MEMBER)
        member = committee.members.create(user=u, name=f"演练委员{i}", sector=sector)
        people.append(
            {
                "username": u.username,
                "user_id": u.pk,
                "member_id": member.pk,
                "token": ApiToken.issue(user=u, name="drill")[1],
            }
        )
    print(
        json.dumps(
            {
                "committee_id": committee.pk,
                "session_id": session.pk,
                "password": password,
                "office": {"username": office.username, "user_id": office.pk},
                "members": people,
            }
        )
    )


if __name__ == "__main__":
    main()
