"""Checks every free-text field goes through before it is stored."""

from __future__ import annotations

# C0 control characters other than tab and newlines: PostgreSQL refuses NUL, and none belongs in a document.
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


def clean_text(
    value: str | None, label: str, limit: int, *, required: bool = True, error: type[Exception] = ValueError
) -> str:
    """Strip control characters and surrounding space; raise `error` with a Chinese message when the field is
    required and empty or longer than `limit` characters."""
    value = (value or "").translate(_CONTROL).strip()
    if required and not value:
        raise error(f"{label}不能为空")
    if len(value) > limit:
        raise error(f"{label}不能超过{limit}字")
    return value
