"""`python -m zhengxie.reliability.drill_notices --committee ID --count N`: N notifications for the drill's
users with an e-mail address, written through notices.services.notify_users as the application writes
them, so each enqueues its e-mail task (database backend) when its transaction commits. Each title carries
`drill-notice-<i>`, which the SMTP sink counts."""

from __future__ import annotations

import argparse
import json
import os


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--committee", type=int, required=True)
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()

    from django.db import transaction

    from zhengxie.accounts.models import User
    from zhengxie.notices.services import notify_users

    users = list(User.objects.exclude(email="").order_by("id"))
    made = 0
    for i in range(args.count):
        with transaction.atomic():
            made += len(
                notify_users(
                    committee_id=args.committee,
                    users=[users[i % len(users)]],
                    verb="drill",
                    title=f"演练通知 drill-notice-{i}",
                    key=f"drill:{i}",
                )
            )
    print(json.dumps({"notifications": made}))


if __name__ == "__main__":
    main()
