"""HTTP API for 群众诉求: thin operations over the services and the access queries."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["群众诉求"])
