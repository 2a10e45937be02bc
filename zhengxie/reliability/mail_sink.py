"""E-mail backend of the task drill: Django's SMTP backend, aimed at the drill's SMTP sink on the port in
DRILL_SMTP_PORT (settings take only EMAIL_BACKEND from the environment, not the host and port)."""

from __future__ import annotations

import os
from typing import Any

from django.core.mail.backends.smtp import EmailBackend as SmtpBackend


class EmailBackend(SmtpBackend):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("host", "127.0.0.1")
        kwargs.setdefault("port", int(os.environ["DRILL_SMTP_PORT"]))
        kwargs.setdefault("timeout", 10)
        super().__init__(**kwargs)
