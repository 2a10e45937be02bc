"""Duplicate detection (查重): which earlier proposals say nearly the same thing as this text.

How it works
------------
Text is normalised (NFKC, lower case, only CJK ideographs, Latin letters and digits) and cut into character
bigrams; each bigram is hashed to 32 bits. Words are not used: bigrams need no dictionary, survive typos and
synonyms around them, and cost a few microseconds a document, where jieba would take minutes for a million.

Candidates come from a one-permutation MinHash sketch: the hash space is cut into K bins and a document
keeps, in each bin, the smallest hash of its bigrams (K = 64 for the whole text, 8 more for the title alone).
Two texts with bigram Jaccard J share about J * K of those minima, whatever their length. The index is an
inverted list from each kept minimum to the documents that kept it (numpy arrays in CSR form, 4 bytes per
document and bin). Bigrams found in more than STOP_DF of the documents (的问, 建议, 关于 ...) never enter a
sketch: they say nothing about duplicates and would make the lists long.

A query looks up its K + 8 minima, counts the hits per document, keeps the committees asked for and the
best RERANK candidates, reads their text (from the database, or from what the caller gives) and scores them
exactly: the Jaccard and containment of the bigram sets, with a bonus for a near-identical title (a re-post
under the same title with a rewritten body). `likely_duplicate` is a threshold on that score, calibrated on
development data (planted variants and held-out real messages, bench/text_dedup.py), never on the queries
the benchmark measures.

Persistence and several processes
---------------------------------
The index is a base (the arrays, written whole by `manage.py rebuild_dedup_index`) plus a log of the
additions and removals since (each proposal saved appends its sketch). Every process holds the arrays in
memory and, before each query, applies the log entries it has not seen yet, so a proposal saved through one
web process is found by the others at once. TEXTINDEX_DEDUP_BACKEND chooses where both live:
"file" (default; TEXTINDEX_DEDUP_DIR, default var/textindex, the arrays memory-mapped so the processes of a
server share one copy in the page cache) or "redis" (TEXTINDEX_DEDUP_REDIS_URL, default REDIS_URL, for web
processes on several machines). An in-memory SQLite database (the test suite's) gets an in-memory index.

Public API (the similar-proposals views call these):
    find_similar(committee_ids, title, body, *, limit=10, exclude_ids=()) -> list[Match]
    index_proposal(proposal) / remove_proposal(proposal_id)
    rebuild() -> int
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

VERSION = "dedup-oph64-1"
K_BITS = 6  # 64 bins for the whole text
KT_BITS = 3  # 8 bins for the title
K = 1 << K_BITS
KT = 1 << KT_BITS
EMPTY = np.uint32(0xFFFFFFFF)
STOP_DF = 0.01  # bigrams in more than 1% of the documents stay out of the sketches
STOP_MIN_DOCS = 2000  # below this the document frequencies say nothing: no stop bigrams
STOP_SAMPLE = 200_000  # documents the frequencies are counted on at a bulk build
MAX_POSTING = 30_000  # a minimum kept by more documents than this is skipped at query time
RERANK = 40  # candidates scored exactly
MIN_SCORE = 0.08  # below this a text is not "similar"
# Calibrated on development data (bench/text_dedup.py: planted variants of seed 101 and the held-out real
# messages of the "dev" part); see bench/TEXT.md.
DUPLICATE_SCORE = 0.30
TITLE_SAME = 0.8  # title Jaccard from which the title counts as the same

_MUL = np.uint64(0x9E3779B97F4A7C15)
_TITLE_SALT = np.uint64(0x5BD1E9955BD1E995)
# Kept: CJK ideographs, Latin letters and digits, ASCII or full-width.
_DROP = re.compile(r"[^\u3400-\u9fff\uf900-\ufaffA-Za-z0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+")
_WIDE_RE = re.compile(r"[\uff10-\uff5a]")


@dataclass(frozen=True, slots=True)
class Match:
    proposal_id: int
    score: float
    likely_duplicate: bool


# --------------------------------------------------------------------------- text -> hashes


# Full-width Latin letters and digits read as their ASCII forms (what NFKC does for them, at a tenth of the cost).
_WIDE = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}


def normalise(text: str) -> str:
    s = _DROP.sub("", text or "")
    if _WIDE_RE.search(s):
        s = s.translate(_WIDE)
    return s.lower()


def _unique(h: np.ndarray) -> np.ndarray:
    s = np.sort(h)
    if len(s) < 2:
        return s
    keep = np.empty(len(s), dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def bigram_hashes(text: str) -> np.ndarray:
    """The 32-bit hashes of the normalised text's character bigrams, in order (with repeats)."""
    s = normalise(text)
    if len(s) < 2:
        return np.zeros(0, dtype=np.uint32)
    cps = np.frombuffer(s.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    pairs = (cps[:-1] << np.uint64(21)) | cps[1:]
    return ((pairs * _MUL) >> np.uint64(32)).astype(np.uint32)


def _salted(h: np.ndarray) -> np.ndarray:
    return (((h.astype(np.uint64) ^ _TITLE_SALT) * _MUL) >> np.uint64(32)).astype(np.uint32)


def _common(a: np.ndarray, b: np.ndarray) -> int:
    """How many values two sorted arrays of unique values share."""
    if len(a) > len(b):
        a, b = b, a
    at = np.searchsorted(b, a)
    at[at == len(b)] = 0
    return int(np.count_nonzero(b[at] == a))


def exact_score(q_set: np.ndarray, q_title: np.ndarray, d_set: np.ndarray, d_title: np.ndarray) -> float:
    """The score of a document for a query, from their unique bigram hashes (whole text and title).

    Jaccard of the whole texts, raised towards the containment of the shorter in the longer (a draft that
    repeats a part of a long proposal), plus a bonus when the titles are nearly the same."""
    if not len(q_set) or not len(d_set):
        return 0.0
    inter = _common(q_set, d_set)
    jac = inter / (len(q_set) + len(d_set) - inter)
    cont = inter / min(len(q_set), len(d_set))
    score = max(jac, 0.6 * cont * min(1.0, min(len(q_set), len(d_set)) / 60))
    if len(q_title) >= 3 and len(d_title) >= 3:
        ti = _common(q_title, d_title)
        tj = ti / (len(q_title) + len(d_title) - ti)
        if tj >= TITLE_SAME:
            score += 0.25 * tj
    return float(min(score, 1.0))


@dataclass
class Prepared:
    """A text ready to be scored: its unique bigram hashes, whole and title."""

    full: np.ndarray
    title: np.ndarray

    @classmethod
    def of(cls, title: str, body: str) -> Prepared:
        return cls(_unique(bigram_hashes(f"{title}\n{body}")), _unique(bigram_hashes(title)))


# --------------------------------------------------------------------------- the index


class StopSet:
    """The frequent bigrams, as a bitmap over the top 24 bits of their hash (2 MB; a few false stops)."""

    def __init__(self, bits: np.ndarray | None = None) -> None:
        self.bits = bits if bits is not None else np.zeros(1 << 21, dtype=np.uint8)
        self._mask = np.unpackbits(self.bits).astype(bool)

    @classmethod
    def from_frequencies(cls, hashes: np.ndarray, counts: np.ndarray, n_docs: int) -> StopSet:
        mask = np.zeros(1 << 24, dtype=bool)
        if n_docs >= STOP_MIN_DOCS:
            mask[hashes[counts > STOP_DF * n_docs] >> 8] = True
        return cls(np.packbits(mask))

    def keep(self, h: np.ndarray) -> np.ndarray:
        return h[~self._mask[h >> 8]]

    def __len__(self) -> int:
        return int(self._mask.sum())


def sketch(title: str, body: str, stop: StopSet) -> np.ndarray:
    """The K + KT minima of a text (EMPTY where a bin got no bigram)."""
    out = np.full(K + KT, EMPTY, dtype=np.uint32)
    h = stop.keep(bigram_hashes(f"{title}\n{body}"))
    if len(h):
        np.minimum.at(out, h >> np.uint32(32 - K_BITS), h)
    t = stop.keep(bigram_hashes(title))
    if len(t):
        t = _salted(t)
        np.minimum.at(out, K + (t >> np.uint32(32 - KT_BITS)), t)
    return out


def _bulk_sketch(hash_lists: list[np.ndarray], title_lists: list[np.ndarray], stop: StopSet) -> np.ndarray:
    """sketch() for many documents at once: one sort instead of a Python loop over bins."""
    n = len(hash_lists)
    out = np.full((n, K + KT), EMPTY, dtype=np.uint32)
    for lists, offset, bits, salted in ((hash_lists, 0, K_BITS, False), (title_lists, K, KT_BITS, True)):
        lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=n)
        if not lengths.sum():
            continue
        h = np.concatenate(lists)
        doc = np.repeat(np.arange(n, dtype=np.uint64), lengths)
        keep = ~stop._mask[h >> 8]
        h, doc = h[keep], doc[keep]
        if salted:
            h = _salted(h)
        composite = (doc << np.uint64(32)) | h.astype(np.uint64)
        composite.sort()
        group = composite >> np.uint64(32 - bits)
        first = np.ones(len(group), dtype=bool)
        first[1:] = group[1:] != group[:-1]
        composite = composite[first]
        docs = (composite >> np.uint64(32)).astype(np.int64)
        mins = (composite & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        out[docs, offset + (mins >> np.uint32(32 - bits)).astype(np.int64)] = mins
    return out


class Index:
    """The inverted lists of the sketches, for a base built at once plus additions and removals since."""

    def __init__(self) -> None:
        self.stop = StopSet()
        self.generation = 0
        # base: rows sorted by id
        self.ids = np.zeros(0, dtype=np.int64)
        self.committees = np.zeros(0, dtype=np.int32)
        self.keys = np.zeros(0, dtype=np.uint32)  # sorted unique minima
        self.offsets = np.zeros(1, dtype=np.int64)
        self.rows = np.zeros(0, dtype=np.uint32)
        self.dead: np.ndarray | None = None  # base rows removed since (bool), allocated on first removal
        # additions since the base: row numbers continue after the base's
        self.extra_ids: list[int] = []
        self.extra_committees: list[int] = []
        self.extra_lists: dict[int, list[int]] = {}
        self.extra_row: dict[int, int] = {}  # live id -> extra row
        self.extra_dead: set[int] = set()
        self.lock = threading.RLock()

    # ------------------------------------------------------------------ building

    @classmethod
    def build(cls, rows: Iterable[tuple[int, int, str, str]], *, chunk: int = 20_000) -> Index:
        """An index of (id, committee_id, title, body) rows, in one pass over them."""
        index = cls()
        buffer: list[tuple[int, int, np.ndarray, np.ndarray]] = []
        sketches: list[np.ndarray] = []
        ids: list[np.ndarray] = []
        committees: list[np.ndarray] = []
        stop: StopSet | None = None

        def flush() -> None:
            assert stop is not None
            for start in range(0, len(buffer), chunk):
                part = buffer[start : start + chunk]
                sketches.append(_bulk_sketch([b[2] for b in part], [b[3] for b in part], stop))
                ids.append(np.fromiter((b[0] for b in part), dtype=np.int64, count=len(part)))
                committees.append(np.fromiter((b[1] for b in part), dtype=np.int32, count=len(part)))
            buffer.clear()

        # The first STOP_SAMPLE documents are held until their bigram frequencies give the stop set.
        for pk, committee, title, body in rows:
            buffer.append((int(pk), int(committee), bigram_hashes(f"{title}\n{body}"), bigram_hashes(title)))
            if stop is None and len(buffer) >= STOP_SAMPLE:
                stop = _stop_from([b[2] for b in buffer])
            if stop is not None and len(buffer) >= chunk:
                flush()
        if stop is None:
            stop = _stop_from([b[2] for b in buffer])
        if buffer:
            flush()
        index.stop = stop
        if sketches:
            index._set_base(np.concatenate(ids), np.concatenate(committees), np.concatenate(sketches))
        return index

    def _set_base(self, ids: np.ndarray, committees: np.ndarray, sketches: np.ndarray) -> None:
        order = np.argsort(ids, kind="stable")
        ids, committees, sketches = ids[order], committees[order], sketches[order]
        # One id once: the last row given for it wins.
        last = np.ones(len(ids), dtype=bool)
        last[:-1] = ids[1:] != ids[:-1]
        ids, committees, sketches = ids[last], committees[last], sketches[last]
        flat = sketches.ravel()
        rows = np.repeat(np.arange(len(ids), dtype=np.uint32), K + KT)
        keep = flat != EMPTY
        flat, rows = flat[keep], rows[keep]
        order = np.argsort(flat, kind="stable")
        flat, rows = flat[order], rows[order]
        starts = np.flatnonzero(np.r_[True, flat[1:] != flat[:-1]]) if len(flat) else np.zeros(0, np.int64)
        self.ids, self.committees = ids, committees
        self.keys = flat[starts]
        self.offsets = np.r_[starts, len(flat)].astype(np.int64)
        self.rows = rows
        self.dead = None
        self.extra_ids, self.extra_committees, self.extra_lists = [], [], {}
        self.extra_row, self.extra_dead = {}, set()

    # ------------------------------------------------------------------ changes

    def _base_row(self, pk: int) -> int | None:
        i = int(np.searchsorted(self.ids, pk))
        if i < len(self.ids) and self.ids[i] == pk and not (self.dead is not None and self.dead[i]):
            return i
        return None

    def add(self, pk: int, committee: int, sig: np.ndarray) -> None:
        with self.lock:
            self.remove(pk)
            row = len(self.ids) + len(self.extra_ids)
            self.extra_ids.append(int(pk))
            self.extra_committees.append(int(committee))
            self.extra_row[int(pk)] = row
            for key in sig[sig != EMPTY].tolist():
                self.extra_lists.setdefault(key, []).append(row)

    def remove(self, pk: int) -> None:
        with self.lock:
            i = self._base_row(pk)
            if i is not None:
                if self.dead is None:
                    self.dead = np.zeros(len(self.ids), dtype=bool)
                self.dead[i] = True
            row = self.extra_row.pop(int(pk), None)
            if row is not None:
                self.extra_dead.add(row)

    def __len__(self) -> int:
        dead = int(self.dead.sum()) if self.dead is not None else 0
        return len(self.ids) - dead + len(self.extra_row)

    def nbytes(self) -> int:
        arrays = (self.ids, self.committees, self.keys, self.offsets, self.rows, self.stop.bits)
        return sum(a.nbytes for a in arrays) + (self.dead.nbytes if self.dead is not None else 0)

    # ------------------------------------------------------------------ queries

    def candidates(
        self, sig: np.ndarray, committee_ids: np.ndarray, exclude: np.ndarray, n: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The n documents with most minima in common with the sketch (title minima count double),
        among the committees given: (ids, hits)."""
        body, title = sig[:K], sig[K:]
        parts: list[np.ndarray] = []
        # A title minimum counts twice: its list goes in twice.
        for keys, weight in ((body[body != EMPTY], 1), (title[title != EMPTY], 2)):
            if not len(keys):
                continue
            at = np.searchsorted(self.keys, keys)
            inside = at < len(self.keys)
            at = at[inside]
            found = at[self.keys[at] == keys[inside]]
            for i in found.tolist():
                lo, hi = self.offsets[i], self.offsets[i + 1]
                if hi - lo <= MAX_POSTING:
                    parts += [self.rows[lo:hi]] * weight
            if self.extra_lists:
                for key in keys.tolist():
                    extra = self.extra_lists.get(key)
                    if extra:
                        parts += [np.asarray(extra, dtype=np.uint32)] * weight
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int32)
        rows = np.concatenate(parts)
        rows.sort()
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        uniq = rows[starts]
        hits = np.diff(np.r_[starts, len(rows)]).astype(np.int32)
        if len(uniq) > 50 * n:
            # Thousands of documents share one minimum with the query by chance; they are never among the
            # n best when enough share two or more.
            strong = hits >= 2
            if strong.sum() >= n:
                uniq, hits = uniq[strong], hits[strong]
        n_base = len(self.ids)
        ids = np.empty(len(uniq), dtype=np.int64)
        comm = np.empty(len(uniq), dtype=np.int64)
        alive = np.ones(len(uniq), dtype=bool)
        in_base = uniq < n_base
        base_rows = uniq[in_base].astype(np.int64)
        ids[in_base] = self.ids[base_rows]
        comm[in_base] = self.committees[base_rows]
        if self.dead is not None:
            alive[in_base] = ~self.dead[base_rows]
        if (~in_base).any():
            extra_rows = uniq[~in_base].astype(np.int64) - n_base
            ids[~in_base] = np.asarray(self.extra_ids, dtype=np.int64)[extra_rows]
            comm[~in_base] = np.asarray(self.extra_committees, dtype=np.int64)[extra_rows]
            alive[~in_base] = [int(r) + n_base not in self.extra_dead for r in extra_rows]
        allowed = np.zeros(int(max(committee_ids.max(), comm.max(initial=0))) + 1, dtype=bool)
        allowed[committee_ids] = True
        keep = alive & allowed[comm]
        if len(exclude):
            keep &= ~np.isin(ids, exclude)
        ids, hits = ids[keep], hits[keep]
        if len(ids) > n:
            top = np.argpartition(-hits, n - 1)[:n]
            ids, hits = ids[top], hits[top]
        order = np.lexsort((ids, -hits))
        return ids[order], hits[order]

    def search(
        self,
        committee_ids: Iterable[int],
        title: str,
        body: str,
        texts: Callable[[list[int]], dict[int, tuple[str, str]]],
        *,
        limit: int = 10,
        exclude_ids: Iterable[int] = (),
    ) -> list[Match]:
        committees = _unique(np.fromiter(committee_ids, dtype=np.int64))
        committees = committees[committees >= 0]
        if not len(committees) or limit <= 0:
            return []
        exclude = _unique(np.fromiter(exclude_ids, dtype=np.int64))
        with self.lock:
            sig = sketch(title, body, self.stop)
            ids, _ = self.candidates(sig, committees, exclude, max(RERANK, limit))
        if not len(ids):
            return []
        query = Prepared.of(title, body)
        found = texts(ids.tolist())
        scored = []
        for pk, (d_title, d_body) in found.items():
            doc = Prepared.of(d_title, d_body)
            score = exact_score(query.full, query.title, doc.full, doc.title)
            if score >= MIN_SCORE:
                scored.append(Match(int(pk), round(score, 4), score >= DUPLICATE_SCORE))
        scored.sort(key=lambda m: (-m.score, m.proposal_id))
        return scored[:limit]


def _stop_from(hash_lists: list[np.ndarray]) -> StopSet:
    if not hash_lists:
        return StopSet()
    uniq = np.concatenate([_unique(h) for h in hash_lists])
    hashes, counts = np.unique(uniq, return_counts=True)
    return StopSet.from_frequencies(hashes, counts, len(hash_lists))


# --------------------------------------------------------------------------- storage


class MemoryStore:
    """No persistence (an in-memory database, a one-off evaluation)."""

    def load(self, index: Index) -> Index | None:
        return None

    def save(self, index: Index) -> None:
        pass

    def append(self, index: Index, entry: dict[str, Any]) -> None:
        _apply(index, {"g": index.generation, **entry})

    def read_log(self, index: Index) -> None:
        pass

    def changed(self, index: Index) -> bool:
        return False

    def exists(self) -> bool:
        return False


_ARRAYS = ("ids", "committees", "keys", "offsets", "rows")


def _apply(index: Index, entry: dict[str, Any]) -> None:
    if entry.get("g") != index.generation:
        return
    if entry["op"] == "add":
        index.add(entry["id"], entry["c"], np.asarray(entry["k"], dtype=np.uint32))
    else:
        index.remove(entry["id"])


class FileStore:
    """<dir>/base-<generation>/*.npy (memory-mapped), <dir>/current (the generation),
    <dir>/log-<generation>.jsonl (the changes since that base)."""

    def __init__(self, directory: Path) -> None:
        self.dir = Path(directory)
        self.log_offset = 0
        self.stamp: tuple[int, int] | None = None

    def _current(self) -> int | None:
        try:
            return int((self.dir / "current").read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def exists(self) -> bool:
        return self._current() is not None

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = (self.dir / "current").stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_ino)

    def load(self, index: Index) -> Index | None:
        generation = self._current()
        if generation is None:
            return None
        base = self.dir / f"base-{generation}"
        meta = json.loads((base / "meta.json").read_text())
        if meta.get("version") != VERSION:
            return None
        fresh = Index()
        fresh.generation = generation
        for name in _ARRAYS:
            setattr(fresh, name, np.load(base / f"{name}.npy", mmap_mode="r"))
        fresh.stop = StopSet(np.load(base / "stop.npy"))
        self.stamp = self._stamp()
        self.log_offset = 0
        self.read_log(fresh)
        return fresh

    def save(self, index: Index) -> None:
        if index.extra_ids or index.dead is not None:
            raise ValueError("only a freshly built index is saved (rebuild folds the log in)")
        self.dir.mkdir(parents=True, exist_ok=True)
        generation = max(index.generation, self._current() or 0) + 1
        while (self.dir / f"base-{generation}").exists():  # a save that died, or another process's
            generation += 1
        tmp = self.dir / f".base-{generation}-{os.getpid()}-{threading.get_ident()}"
        tmp.mkdir(parents=True, exist_ok=True)
        for name in _ARRAYS:
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(getattr(index, name)))
        np.save(tmp / "stop.npy", index.stop.bits)
        (tmp / "meta.json").write_text(json.dumps({"version": VERSION, "n": len(index.ids)}))
        os.replace(tmp, self.dir / f"base-{generation}")
        index.generation = generation
        pointer = self.dir / f".current-{os.getpid()}"
        pointer.write_text(str(generation))
        os.replace(pointer, self.dir / "current")
        self.stamp = self._stamp()
        # Entries of older generations are ignored by every reader: the log can start again.
        self.log_offset = 0
        # The generation before stays for the processes still reading it; older ones go (a process that
        # has one memory-mapped keeps its pages until it reloads).
        for old in [*self.dir.glob("base-*"), *self.dir.glob("log-*.jsonl")]:
            gen = int(re.sub(r"\D", "", old.name) or 0)
            if gen >= generation - 1:
                continue
            if old.is_dir():
                for f in old.iterdir():
                    f.unlink()
                old.rmdir()
            else:
                old.unlink()

    def append(self, index: Index, entry: dict[str, Any]) -> None:
        """Writes the entry to the log, then reads the log (this entry and any other process's before it)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"g": index.generation, **entry}, separators=(",", ":")) + "\n"
        # One write() of one line with O_APPEND: concurrent writers never interleave within a line.
        path = self.dir / f"log-{index.generation}.jsonl"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
        self.read_log(index)

    def changed(self, index: Index) -> bool:
        return self._stamp() != self.stamp

    def read_log(self, index: Index) -> None:
        path = self.dir / f"log-{index.generation}.jsonl"
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return
        if size <= self.log_offset:
            return
        with open(path, "rb") as fh:
            fh.seek(self.log_offset)
            data = fh.read(size - self.log_offset)
        end = data.rfind(b"\n") + 1  # a line being written is read next time
        for line in data[:end].splitlines():
            if line.strip():
                _apply(index, json.loads(line))
        self.log_offset += end


class RedisStore:
    """<prefix>:current (the generation), <prefix>:base:<generation>:<array> (bytes, in chunks),
    <prefix>:log:<generation> (a list of JSON entries)."""

    CHUNK = 64 << 20

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix
        self.log_offset = 0
        self.generation: int | None = None

    def _current(self) -> int | None:
        value = self.redis.get(f"{self.prefix}:current")
        return int(value) if value is not None else None

    def exists(self) -> bool:
        return self._current() is not None

    def _put(self, pipe: Any, key: str, array: np.ndarray) -> None:
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(array))
        data = buf.getvalue()
        chunks = [data[i : i + self.CHUNK] for i in range(0, len(data), self.CHUNK)] or [b""]
        pipe.delete(key)
        for chunk in chunks:
            pipe.rpush(key, chunk)

    def _get(self, key: str) -> np.ndarray:
        return np.load(io.BytesIO(b"".join(self.redis.lrange(key, 0, -1))))

    def load(self, index: Index) -> Index | None:
        generation = self._current()
        if generation is None:
            return None
        base = f"{self.prefix}:base:{generation}"
        if (self.redis.get(f"{base}:version") or b"").decode() != VERSION:
            return None
        fresh = Index()
        fresh.generation = generation
        for name in _ARRAYS:
            setattr(fresh, name, self._get(f"{base}:{name}"))
        fresh.stop = StopSet(self._get(f"{base}:stop"))
        self.generation = generation
        self.log_offset = 0
        self.read_log(fresh)
        return fresh

    def save(self, index: Index) -> None:
        if index.extra_ids or index.dead is not None:
            raise ValueError("only a freshly built index is saved (rebuild folds the log in)")
        generation = int(self.redis.incr(f"{self.prefix}:generation"))
        base = f"{self.prefix}:base:{generation}"
        pipe = self.redis.pipeline(transaction=False)
        for name in _ARRAYS:
            self._put(pipe, f"{base}:{name}", getattr(index, name))
        self._put(pipe, f"{base}:stop", index.stop.bits)
        pipe.set(f"{base}:version", VERSION)
        pipe.execute()
        previous = self._current()
        self.redis.set(f"{self.prefix}:current", generation)
        index.generation = generation
        self.generation = generation
        self.log_offset = int(self.redis.llen(f"{self.prefix}:log:{generation}"))
        if previous is not None and previous != generation:
            # The generation before stays for the processes still loading it; older ones go.
            for key in self.redis.scan_iter(f"{self.prefix}:base:*"):
                gen = int(key.decode().split(":")[-2])
                if gen < previous:
                    self.redis.delete(key)
            for key in self.redis.scan_iter(f"{self.prefix}:log:*"):
                if int(key.decode().rsplit(":", 1)[1]) < previous:
                    self.redis.delete(key)

    def append(self, index: Index, entry: dict[str, Any]) -> None:
        line = json.dumps({"g": index.generation, **entry}, separators=(",", ":"))
        self.redis.rpush(f"{self.prefix}:log:{index.generation}", line)
        self.read_log(index)

    def changed(self, index: Index) -> bool:
        return self._current() != self.generation

    def read_log(self, index: Index) -> None:
        key = f"{self.prefix}:log:{index.generation}"
        entries = self.redis.lrange(key, self.log_offset, -1)
        for raw in entries:
            _apply(index, json.loads(raw))
        self.log_offset += len(entries)


# --------------------------------------------------------------------------- the platform's index


# Proposals that others may find: a draft is its author's alone, a withdrawn one was never put forward.
HIDDEN_STATES = frozenset({"draft", "withdrawn"})

_lock = threading.RLock()
_index: Index | None = None
_store: Any = None


def _settings() -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection

    name = str(connection.settings_dict.get("NAME") or "")
    memory = connection.vendor == "sqlite" and (name == ":memory:" or "mode=memory" in name)
    backend = getattr(settings, "TEXTINDEX_DEDUP_BACKEND", os.environ.get("TEXTINDEX_DEDUP_BACKEND", "file"))
    # One index per database: a test database never reads the development one's.
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(name).name if connection.vendor == "sqlite" else name)[-60:]
    directory = getattr(
        settings,
        "TEXTINDEX_DEDUP_DIR",
        os.environ.get("TEXTINDEX_DEDUP_DIR", str(Path(settings.BASE_DIR) / "var" / "textindex")),
    )
    url = getattr(settings, "TEXTINDEX_DEDUP_REDIS_URL", "") or os.environ.get(
        "TEXTINDEX_DEDUP_REDIS_URL", getattr(settings, "REDIS_URL", "") or "redis://127.0.0.1:6379/0"
    )
    return {
        "backend": "memory" if memory else backend,
        "dir": Path(directory) / f"dedup-{connection.vendor}-{slug}",
        "redis_url": url,
        "prefix": f"zx:dedup:{connection.vendor}:{slug}",
    }


def make_store(config: dict[str, Any] | None = None) -> Any:
    config = config or _settings()
    if config["backend"] == "memory":
        return MemoryStore()
    if config["backend"] == "redis":
        return RedisStore(config["redis_url"], config["prefix"])
    if config["backend"] == "file":
        return FileStore(config["dir"])
    raise ValueError(f"TEXTINDEX_DEDUP_BACKEND: unknown backend {config['backend']!r}")


def _proposal_rows() -> Iterator[tuple[int, int, str, str]]:
    from zhengxie.proposals.models import Proposal

    rows = (
        Proposal.objects.exclude(state__in=HIDDEN_STATES)
        .order_by("pk")
        .values_list("pk", "committee_id", "title", "background", "suggestions")
    )
    for pk, committee, title, background, suggestions in rows.iterator(chunk_size=5000):
        yield pk, committee, title, f"{background}\n{suggestions}"


def rebuild(store: Any = None) -> Index:
    """Builds the index from the database and makes it the one every process uses."""
    global _index, _store
    with _lock:
        store = store or make_store()
        index = Index.build(_proposal_rows())
        store.save(index)
        _index, _store = index, store
        return index


# Without a stored index a process builds one from the database on first use, up to this many proposals;
# beyond, the build is `manage.py rebuild_dedup_index`'s (minutes, not a web request's).
AUTO_BUILD_MAX = 50_000
# A log longer than this (and than a fifth of the base) is folded into a new base by the next small-index
# process to see it; a big index waits for the rebuild command (run nightly).
COMPACT_AFTER = 20_000


def index() -> Index:
    """The process's index, current with the store: reloaded after a rebuild, the log applied."""
    global _index, _store
    with _lock:
        if _store is None:
            _store = make_store()
        if _index is None or _store.changed(_index):
            loaded = _store.load(_index) if _store.exists() else None
            if loaded is not None:
                _index = loaded
            elif _proposal_count() <= AUTO_BUILD_MAX:
                rebuild(_store)
            else:
                logger.error("duplicate index missing: run `manage.py rebuild_dedup_index`")
                _index = Index()
        else:
            _store.read_log(_index)
        assert _index is not None
        n_log = len(_index.extra_ids) + (int(_index.dead.sum()) if _index.dead is not None else 0)
        if n_log > COMPACT_AFTER and n_log > len(_index.ids) // 5 and len(_index) <= AUTO_BUILD_MAX:
            rebuild(_store)
        return _index


def _proposal_count() -> int:
    from zhengxie.proposals.models import Proposal

    return Proposal.objects.exclude(state__in=HIDDEN_STATES).count()


def reset() -> None:
    """Forget the process's index and store (settings changed, tests)."""
    global _index, _store
    with _lock:
        _index, _store = None, None


def _db_texts(committee_ids: np.ndarray) -> Callable[[list[int]], dict[int, tuple[str, str]]]:
    from zhengxie.proposals.models import Proposal

    def fetch(ids: list[int]) -> dict[int, tuple[str, str]]:
        # The database has the last word on committee and state (a log entry may be behind or ahead).
        rows = (
            Proposal.objects.filter(pk__in=ids, committee_id__in=committee_ids.tolist())
            .exclude(state__in=HIDDEN_STATES)
            .values_list("pk", "title", "background", "suggestions")
        )
        return {pk: (title, f"{background}\n{suggestions}") for pk, title, background, suggestions in rows}

    return fetch


def find_similar(
    committee_ids: Iterable[int],
    title: str,
    body: str,
    *,
    limit: int = 10,
    exclude_ids: Iterable[int] = (),
) -> list[Match]:
    """Proposals of these committees most like the text, best first; likely_duplicate marks those that
    say nearly the same thing. Drafts and withdrawn proposals are never returned."""
    committees = sorted({int(c) for c in committee_ids})
    idx = index()
    return idx.search(
        committees,
        title or "",
        body or "",
        _db_texts(np.asarray(committees, dtype=np.int64)),
        limit=limit,
        exclude_ids=exclude_ids,
    )


def index_proposal(proposal: Any) -> None:
    """Add or replace a proposal in the index (or take it out if it is a draft or withdrawn)."""
    if proposal.state in HIDDEN_STATES:
        remove_proposal(proposal.pk)
        return
    with _lock:
        idx = index()
        sig = sketch(proposal.title, f"{proposal.background}\n{proposal.suggestions}", idx.stop)
        _store.append(
            idx, {"op": "add", "id": int(proposal.pk), "c": int(proposal.committee_id), "k": sig.tolist()}
        )


def remove_proposal(proposal_id: int) -> None:
    with _lock:
        idx = index()
        _store.append(idx, {"op": "remove", "id": int(proposal_id)})
