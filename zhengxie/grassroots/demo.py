"""演示数据: 群众诉求 for the demo committees, made through the same services users go through."""

from __future__ import annotations

from typing import TextIO


def seed_concerns(stdout: TextIO) -> None:
    """Filled in by the 群众诉求 work."""
