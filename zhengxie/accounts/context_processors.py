from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from zhengxie.accounts.access import grants_of, primary_grant


def roles(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    grants = grants_of(user)  # type: ignore[arg-type]
    return {
        "my_grants": grants,
        "my_roles": {g.role for g in grants},
        "primary_grant": primary_grant(user),  # type: ignore[arg-type]
    }
