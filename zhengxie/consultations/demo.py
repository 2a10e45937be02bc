"""演示数据: 协商计划与协商活动 for the demo committees, made through the same services users go through."""

from __future__ import annotations

from typing import TextIO


def seed_consultations(stdout: TextIO) -> None:
    """Filled in by the 协商计划与协商活动 work."""
