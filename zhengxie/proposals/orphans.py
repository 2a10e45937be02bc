"""Delete attachment files that no Attachment row refers to.

attachment_add writes the file before its row commits, and attachment_remove deletes the file only after
its row's deletion commits. A process killed between the two (SIGKILL, OOM, power loss) or an enclosing
transaction rolled back leaves a file on disk that nothing refers to: harmless to users, but it holds a
proposal's text outside the database's access rules and backups. The sweep removes such files once they
are older than any upload still in flight.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings

from zhengxie.proposals.models import Attachment

PREFIX = "proposals"
MIN_AGE = timedelta(hours=1)


def orphan_files(min_age: timedelta = MIN_AGE) -> list[str]:
    """Storage names of the unreferenced files older than min_age."""
    root = Path(settings.MEDIA_ROOT)
    base = root / PREFIX
    if not base.is_dir():
        return []
    cutoff = time.time() - min_age.total_seconds()
    candidates: list[str] = []
    for dirpath, _dirs, files in os.walk(base):
        for name in files:
            path = Path(dirpath) / name
            try:
                if path.stat().st_mtime >= cutoff:
                    continue
            except FileNotFoundError:
                continue
            candidates.append(path.relative_to(root).as_posix())
    orphans: list[str] = []
    for start in range(0, len(candidates), 500):
        chunk = candidates[start : start + 500]
        known = set(Attachment.objects.filter(file__in=chunk).values_list("file", flat=True))
        orphans += [name for name in chunk if name not in known]
    return orphans


def sweep_orphan_files(min_age: timedelta = MIN_AGE) -> int:
    from django.core.files.storage import default_storage

    names = orphan_files(min_age)
    for name in names:
        default_storage.delete(name)
    return len(names)
