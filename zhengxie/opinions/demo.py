"""演示数据: 社情民意信息与批示 for the demo committees, made through the same services users go through."""

from __future__ import annotations

from typing import TextIO


def seed_opinions(stdout: TextIO) -> None:
    """Filled in by the 社情民意信息与批示 work."""
