"""HTTP API for 协商议政: thin operations over the services and the access queries."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["协商议政"])
