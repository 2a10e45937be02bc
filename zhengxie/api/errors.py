"""How a service's refusal becomes an HTTP status, for every API router: a stale copy is 409, a refusal
for who the caller is (the message starts with one of the router's `forbidden` prefixes) 403, anything else
about the input or the state 400."""

from __future__ import annotations

from zhengxie.statemachine import ConcurrentChange


def error_status(exc: Exception, forbidden: tuple[str, ...]) -> int:
    if isinstance(exc, ConcurrentChange):
        return 409
    return 403 if str(exc).startswith(forbidden) else 400
