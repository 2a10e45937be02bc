"""HTTP API for 社情民意: thin operations over the services and the access queries."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["社情民意"])
