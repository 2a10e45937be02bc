"""演示数据: scoring rules, duties entered by staff, member claims and contests, then the year's evaluation."""

from __future__ import annotations

from typing import TextIO


def seed_duties(stdout: TextIO) -> None:
    """Filled in by the duty-records work."""
