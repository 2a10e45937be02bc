"""The one paginator of the API: limit/offset with bounds, so a caller's number never reaches the
database's LIMIT/OFFSET beyond what it can take (SQLite answered a 20-digit limit with a 500)."""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_LIMIT = 1000
MAX_OFFSET = 2_000_000_000


class PageIn(Schema):
    limit: int = Field(100, ge=1, le=MAX_LIMIT, description=f"每页条数，1到{MAX_LIMIT}")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="跳过的条数")


class Pagination(LimitOffsetPagination):
    Input = PageIn  # type: ignore[assignment]
