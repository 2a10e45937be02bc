"""Hot topics of a committee's year and the year's proposals grouped by issue.

Both come from one text model: the words of each document (segment.words, so a unit or place name stays one
word), weighted by TF-IDF, clustered by average-linkage over cosine distance, and each cluster described by
its c-TF-IDF keywords (the words frequent in the cluster and rare in the others). Issue groups are tight
clusters of proposals (the office merges or coordinates them); hot topics are looser clusters of the year's
proposals, opinion reports and concerns together.

Hot topics are computed by a background task (compute_hot_topics; the command compute_topics enqueues it for
every committee with work that year) and stored as one JSON file per committee, year and scope under
MEDIA_ROOT, which every web process and worker of a deployment already shares (attachments live there). The
dashboard only reads the stored result: a page view never clusters.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max
from django.utils import timezone
from django_tasks import task

from zhengxie.textindex import segment

# Cosine distances below which two clusters join (average linkage). Issue groups are proposals on one
# concrete problem; topics gather a subject's several problems.
ISSUE_DISTANCE = 0.72
TOPIC_DISTANCE = 0.88
# Average linkage needs the full distance matrix: above this many documents the clusters come from
# k-means over the same vectors instead (a national committee's year).
MAX_DENSE = 2500
KEYWORDS = 5
TOPICS_SHOWN = 10
TITLE_WEIGHT = 2  # a title says what the document is about more densely than its body
# The opening of a long text carries its subject; the rest adds time, not topics.
BODY_CHARS = 1000
GROUPS_CACHE_SECONDS = 600
VERSION = "topics-1"


# --------------------------------------------------------------------------- the text model


def document_words(title: str, *bodies: str) -> list[str]:
    words = segment.words(title) * TITLE_WEIGHT
    for body in bodies:
        words += segment.words((body or "")[:BODY_CHARS])
    return words


def cluster(docs: Sequence[list[str]], *, distance: float) -> list[list[int]]:
    """Clusters of the documents' indexes, largest first (ties: the earliest document first)."""
    n = len(docs)
    if n == 0:
        return []
    if n == 1:
        return [[0]]
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, norm="l2")
    try:
        matrix = vectorizer.fit_transform(docs)
    except ValueError:  # no words at all
        return [[i] for i in range(n)]
    if n <= MAX_DENSE:
        from sklearn.cluster import AgglomerativeClustering

        # Rows are L2-normalised, so their dot products are the cosine similarities (an all-zero row,
        # a document without words, is at distance 1 from everything).
        similarity = (matrix @ matrix.T).toarray()
        distances = np.clip(1.0 - similarity, 0.0, 1.0)
        np.fill_diagonal(distances, 0.0)
        labels = AgglomerativeClustering(
            n_clusters=None, distance_threshold=distance, metric="precomputed", linkage="average"
        ).fit_predict(distances)
    else:
        from sklearn.cluster import MiniBatchKMeans

        k = max(2, n // 30)
        labels = MiniBatchKMeans(n_clusters=k, random_state=0, n_init=3, batch_size=2048).fit_predict(matrix)
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def _identity(doc: list[str]) -> list[str]:
    return doc


def keywords(
    docs: Sequence[list[str]], clusters: Sequence[Sequence[int]], n: int = KEYWORDS
) -> list[list[str]]:
    """c-TF-IDF: each cluster as one document; a word scores its share of the cluster's words times
    log(1 + average cluster length / the word's frequency over all clusters)."""
    counts = [Counter(w for i in members for w in docs[i] if not w.isdigit()) for members in clusters]
    overall: Counter[str] = Counter()
    for c in counts:
        overall.update(c)
    average = sum(overall.values()) / max(1, len(counts))
    out = []
    for c in counts:
        total = sum(c.values()) or 1
        scored = sorted(
            c.items(),
            key=lambda item: (-(item[1] / total) * math.log(1 + average / overall[item[0]]), item[0]),
        )
        out.append([word for word, _ in scored[:n]])
    return out


# --------------------------------------------------------------------------- issue groups (office page)


@dataclass(frozen=True)
class IssueGroup:
    keywords: list[str]
    proposal_ids: list[int]


def issue_groups(committee_id: int, year: int) -> list[IssueGroup]:
    """The committee's received proposals of the year, grouped by issue: groups of two or more first
    (largest first), then the proposals on an issue of their own as one-proposal groups. Cached for a few
    minutes under a key that changes when any proposal of the year changes."""
    from zhengxie.reports import figures

    proposals = figures.received_proposals([committee_id], year)
    stamp = proposals.aggregate(n=Count("id"), m=Max("updated_at"))
    changed = stamp["m"].timestamp() if stamp["m"] else 0
    key = f"textindex:groups:{VERSION}:{committee_id}:{year}:{stamp['n']}:{changed}"
    cached = cache.get(key)
    if cached is not None:
        return [IssueGroup(**g) for g in cached]
    rows = list(proposals.order_by("id").values_list("id", "title", "background", "suggestions"))
    docs = [document_words(title, background, suggestions) for _, title, background, suggestions in rows]
    clusters = cluster(docs, distance=ISSUE_DISTANCE)
    words = keywords(docs, clusters)
    groups = [
        IssueGroup(keywords=kw, proposal_ids=[rows[i][0] for i in members])
        for members, kw in zip(clusters, words, strict=True)
    ]
    cache.set(key, [g.__dict__ for g in groups], GROUPS_CACHE_SECONDS)
    return groups


# --------------------------------------------------------------------------- hot topics (dashboards, report)


def _scope_ids(committee_id: int, include_children: bool) -> list[int]:
    from zhengxie.org.models import Committee

    if not include_children:
        return [committee_id]
    path = Committee.objects.values_list("path", flat=True).get(pk=committee_id)
    return list(Committee.objects.filter(path__startswith=path).values_list("pk", flat=True))


def compute(committee_id: int, year: int, include_children: bool = False) -> dict[str, Any]:
    """The year's hot topics: clusters of the received proposals, opinion reports and concerns of the
    committee (and of every committee below it), with keywords; only clusters of two or more documents,
    largest first."""
    from zhengxie.reports import figures

    ids = _scope_ids(committee_id, include_children)
    items: list[tuple[str, int]] = []
    docs: list[list[str]] = []
    for pk, title, background, suggestions in (
        figures.received_proposals(ids, year)
        .order_by("id")
        .values_list("id", "title", "background", "suggestions")
    ):
        items.append(("proposals", pk))
        docs.append(document_words(title, background, suggestions))
    for pk, title, situation, suggestion in (
        figures.received_reports(ids, year)
        .order_by("id")
        .values_list("id", "title", "situation", "suggestion")
    ):
        items.append(("opinions", pk))
        docs.append(document_words(title, situation, suggestion))
    for pk, title, content in (
        figures.raised_concerns(ids, year).order_by("id").values_list("id", "title", "content")
    ):
        items.append(("concerns", pk))
        docs.append(document_words(title, content))
    clusters = [c for c in cluster(docs, distance=TOPIC_DISTANCE) if len(c) >= 2]
    words = keywords(docs, clusters) if clusters else []
    topics = []
    for members, kw in zip(clusters, words, strict=True):
        by_kind: dict[str, list[int]] = {"proposals": [], "opinions": [], "concerns": []}
        for i in members:
            kind, pk = items[i]
            by_kind[kind].append(pk)
        topics.append({"label": "·".join(kw[:2]), "keywords": kw, **by_kind, "size": len(members)})
    return {
        "version": VERSION,
        "committee": committee_id,
        "year": year,
        "scope": "all" if include_children else "own",
        "computed_at": timezone.now().isoformat(),
        "documents": dict(Counter(kind for kind, _ in items)),
        "topics": topics,
    }


def _path(committee_id: int, year: int, include_children: bool) -> Path:
    scope = "all" if include_children else "own"
    return Path(settings.MEDIA_ROOT) / "textindex" / "topics" / f"{committee_id}-{year}-{scope}.json"


def store(result: dict[str, Any]) -> Path:
    """Written to a temporary file and renamed over the old one, so a reader sees the old or the new
    result, never half of one."""
    path = _path(result["committee"], result["year"], result["scope"] == "all")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(result, out, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(committee_id: int, year: int, include_children: bool = False) -> dict[str, Any] | None:
    """The stored hot topics, or None when the task has not run for them yet."""
    try:
        data = json.loads(_path(committee_id, year, include_children).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return data if data.get("version") == VERSION else None


@task()
def compute_hot_topics(committee_id: int, year: int, include_children: bool = False) -> int:
    """Compute and store one committee's hot topics of a year; returns how many topics it found."""
    result = compute(committee_id, year, include_children)
    store(result)
    return len(result["topics"])


def committees_with_work(year: int) -> Iterable[int]:
    """Committees that received any proposal, opinion report or concern in the year."""
    from zhengxie.org.models import Committee
    from zhengxie.reports import figures

    every = list(Committee.objects.filter(is_active=True).values_list("pk", flat=True))
    ids: set[int] = set()
    ids.update(
        figures.received_proposals(every, year).order_by().values_list("committee_id", flat=True).distinct()
    )
    ids.update(
        figures.received_reports(every, year).order_by().values_list("committee_id", flat=True).distinct()
    )
    ids.update(
        figures.raised_concerns(every, year).order_by().values_list("committee_id", flat=True).distinct()
    )
    return sorted(ids)
