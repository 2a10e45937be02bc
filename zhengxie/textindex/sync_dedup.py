"""Keeps the duplicate index in step with the proposals: a saved proposal is (re)indexed at once, a deleted
one taken out. Imported once from TextIndexConfig.ready().

At once rather than after the commit: the index is checked against the database at every query (a
rolled-back proposal's entry finds no row and is dropped), and the member drafting next must see a proposal
submitted a second ago. A failure of the index never fails the save: it is logged, and
`manage.py rebuild_dedup_index` brings the index back in step.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.models.signals import post_delete, post_save

from zhengxie.proposals.models import Proposal
from zhengxie.textindex import dedup

logger = logging.getLogger(__name__)

# Saves that change none of these leave the index as it is (a reply, a number, a review date).
_INDEXED_FIELDS = frozenset({"title", "background", "suggestions", "state", "committee"})


def _saved(sender: type, instance: Proposal, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    fields = kwargs.get("update_fields")
    if fields is not None and not (set(fields) & _INDEXED_FIELDS):
        return
    try:
        dedup.index_proposal(instance)
    except Exception:
        logger.exception("duplicate index: proposal %s not indexed", instance.pk)


def _deleted(sender: type, instance: Proposal, **kwargs: Any) -> None:
    try:
        dedup.remove_proposal(instance.pk)
    except Exception:
        logger.exception("duplicate index: proposal %s not removed", instance.pk)


post_save.connect(_saved, sender=Proposal, dispatch_uid="textindex.dedup.saved")
post_delete.connect(_deleted, sender=Proposal, dispatch_uid="textindex.dedup.deleted")
