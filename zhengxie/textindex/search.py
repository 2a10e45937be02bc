"""Full-text search over proposals, replies, opinion reports, consultation outcomes and concerns.

The index is the database's own: one SearchDocument row per record, whose `tokens` are
- every character bigram of the title and the text (runs of letters and digits, lower-cased), so that any
  query of two characters or more is a conjunction of bigrams: "交通" is one token, "交通局" is "交通" AND
  "通局", and the candidates of a longer query are verified with LIKE, which makes the result exactly what
  `ILIKE '%q%'` would find;
- the title's bigrams again, marked '^', so title hits are found first without ranking every hit;
- '#' tokens for the filters (#y2023 year, #c12 committee, #eassigned state, #n7 unit, #x3 sector, #kproposal
  kind) and for who may read the record (#u user, #r office and leaders of a committee, #o office only,
  #h handling unit, #m members of a committee, #w members of a station). A reader's own tokens come from
  reader_tokens(), which follows the rules of each app's queries.py; the index query ANDs the words with
  the filters and ORs the reader's tokens, so rights are applied inside the index, before any LIMIT.

PostgreSQL serves it from a GIN index over array_to_tsvector(tokens); SQLite from an FTS5 table kept by
triggers (migration 0002). The index lives in the database, so every web process shares it and it survives
restarts; `manage.py rebuild_text_index` rebuilds it from the records, and signals keep it in step.

Ranking is bounded: at most TITLE_CAP title hits and CAP hits in all are ranked (title hits first, then the
number of occurrences, then the newest); a query with more hits says so and asks for a narrower filter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from zhengxie.textindex.models import SearchDocument

CAP = 1000  # hits ranked per query; more are counted as "more than CAP"
TITLE_CAP = 200
# Reading the text of more candidates than this to count occurrences costs more than it tells.
OCCURRENCE_CAP = 300
MAX_QUERY = 50
MAX_TERMS = 5
SNIPPET_CHARS = 90

KIND_LABELS = {
    "proposal": "提案",
    "reply": "答复",
    "opinion": "社情民意",
    "outcome": "协商成果",
    "concern": "群众诉求",
}

# Letters and digits of any script; everything else (punctuation, spaces) separates runs.
_RUN = re.compile(r"[^\W_]+")


class QueryError(ValueError):
    """A query the index cannot answer; the message is shown to the user."""


# ------------------------------------------------------------------------------------------ tokens


def normalise(text: str) -> str:
    return (text or "").lower()


def bigrams(text: str) -> set[str]:
    grams: set[str] = set()
    for run in _RUN.findall(normalise(text)):
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return grams


def document_tokens(title: str, body: str, meta: Iterable[str]) -> str:
    title_grams = bigrams(title)
    grams = title_grams | bigrams(body)
    parts = sorted(grams)
    parts += sorted("^" + g for g in title_grams)
    parts += sorted(set(meta))
    return " ".join(parts)


# ------------------------------------------------------------------------------------------ documents


@dataclass
class Doc:
    kind: str
    object_id: int
    target_id: int
    committee_id: int
    year: int
    state: str
    title: str
    body: str
    filters: set[str] = field(default_factory=set)  # '#' tokens for the filters
    readers: set[str] = field(default_factory=set)  # '#' tokens of who may read it

    def tokens(self) -> str:
        meta = {f"#k{self.kind}", f"#c{self.committee_id}", f"#y{self.year}"}
        if self.state:
            meta.add(f"#e{self.state}")
        return document_tokens(self.title, self.body, meta | self.filters | self.readers)


def _join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


def _proposal_readers(p, cosigner_users: Iterable[int], units: Iterable[int]) -> set[str]:  # type: ignore[no-untyped-def]
    from zhengxie.proposals.models import State

    readers = {f"#u{p.created_by_id}"}
    if p.author_id and p.author.user_id:
        readers.add(f"#u{p.author.user_id}")
    readers.update(f"#u{u}" for u in cosigner_users if u)
    if p.state != State.DRAFT:
        readers.add(f"#r{p.committee_id}")
    readers.update(f"#h{u}" for u in units)
    return readers


def proposal_docs(ids: Sequence[int]) -> list[Doc]:
    """The proposals and all their replies; a reply is read by whoever reads its proposal."""
    from zhengxie.proposals.models import Assignment, CoSigner, Proposal, Reply

    proposals = Proposal.objects.filter(pk__in=ids).select_related("session", "author")
    cosigners: dict[int, list[int]] = {}
    for pid, uid in CoSigner.objects.filter(
        proposal_id__in=ids, status__in=[CoSigner.Status.INVITED, CoSigner.Status.CONFIRMED]
    ).values_list("proposal_id", "member__user_id"):
        cosigners.setdefault(pid, []).append(uid)
    units: dict[int, set[int]] = {}
    for pid, unit in Assignment.objects.filter(
        proposal_id__in=ids, status__in=[Assignment.Status.ACTIVE, Assignment.Status.DONE]
    ).values_list("proposal_id", "unit_id"):
        units.setdefault(pid, set()).add(unit)
    replies: dict[int, list[Reply]] = {}
    for reply in Reply.objects.filter(proposal_id__in=ids).only(
        "pk", "proposal_id", "unit_id", "letter", "result"
    ):
        replies.setdefault(reply.proposal_id, []).append(reply)
    docs: list[Doc] = []
    for p in proposals:
        sector = p.sector_id or (p.author.sector_id if p.author_id else None)  # type: ignore[union-attr]
        filters = {f"#n{u}" for u in units.get(p.pk, ())}
        if sector:
            filters.add(f"#x{sector}")
        readers = _proposal_readers(p, cosigners.get(p.pk, ()), units.get(p.pk, ()))
        year = p.session.year
        docs.append(
            Doc(
                "proposal", p.pk, p.pk, p.committee_id, year, p.state, p.title,
                _join(p.background, p.suggestions), filters, readers,
            )
        )  # fmt: skip
        for reply in replies.get(p.pk, ()):
            reply_filters = {f"#n{reply.unit_id}"} | ({f"#x{sector}"} if sector else set())
            docs.append(
                Doc(
                    "reply", reply.pk, p.pk, p.committee_id, year, p.state, p.title, reply.letter,
                    reply_filters, readers,
                )
            )  # fmt: skip
    return docs


def opinion_docs(ids: Sequence[int]) -> list[Doc]:
    from zhengxie.opinions.models import OpinionReport, ReportState

    authors: dict[int, set[int]] = {}
    through = OpinionReport.authors.through
    for rid, uid in through.objects.filter(opinionreport_id__in=ids).values_list(
        "opinionreport_id", "member__user_id"
    ):
        if uid:
            authors.setdefault(rid, set()).add(uid)
    docs: list[Doc] = []
    for r in OpinionReport.objects.filter(pk__in=ids):
        readers = {f"#u{u}" for u in authors.get(r.pk, ())}
        if r.created_by_id:
            readers.add(f"#u{r.created_by_id}")
        if r.state != ReportState.DRAFT:
            readers.add(f"#r{r.committee_id}")
        filters = {f"#x{r.sector_id}"} if r.sector_id else set()
        docs.append(
            Doc(
                "opinion", r.pk, r.pk, r.committee_id, r.year, r.state, r.title,
                _join(r.situation, r.suggestion), filters, readers,
            )
        )  # fmt: skip
    return docs


def outcome_docs(ids: Sequence[int]) -> list[Doc]:
    """Outcomes are read as their consultation is (consultations/queries.py), except that a handling unit
    reads only the items assigned to it."""
    from zhengxie.consultations.models import Consultation, Form, Outcome, Participant

    outcomes = list(Outcome.objects.filter(pk__in=ids).select_related("consultation"))
    consultation_ids = {o.consultation_id for o in outcomes}
    participants: dict[int, set[int]] = {}
    for cid, uid in Participant.objects.filter(
        consultation_id__in=consultation_ids, member__user_id__isnull=False
    ).values_list("consultation_id", "member__user_id"):
        participants.setdefault(cid, set()).add(uid)
    docs: list[Doc] = []
    for o in outcomes:
        c = o.consultation
        readers = {f"#r{c.committee_id}"} | {f"#u{u}" for u in participants.get(c.pk, ())}
        if c.state != Consultation.State.CANCELLED:
            readers.add(f"#m{c.committee_id}")
        if c.form == Form.MICRO and c.station_id:
            readers.add(f"#w{c.station_id}")
        filters: set[str] = set()
        if o.unit_id:
            readers.add(f"#h{o.unit_id}")
            filters.add(f"#n{o.unit_id}")
        docs.append(
            Doc(
                "outcome", o.pk, c.pk, o.committee_id, c.held_on.year, o.state, c.title,
                _join(o.text, o.response, o.feedback), filters, readers,
            )
        )  # fmt: skip
    return docs


def concern_docs(ids: Sequence[int]) -> list[Doc]:
    from zhengxie.grassroots.models import Concern
    from zhengxie.grassroots.queries import PUBLISHED

    docs: list[Doc] = []
    for c in Concern.objects.filter(pk__in=ids).select_related("taken_by").defer("name", "phone"):
        readers = {f"#o{c.committee_id}"}
        if c.taken_by_id and c.taken_by.user_id:  # type: ignore[union-attr]
            readers.add(f"#u{c.taken_by.user_id}")  # type: ignore[union-attr]
        if c.state in PUBLISHED:
            readers.add(f"#r{c.committee_id}")
            if c.station_id:
                readers.add(f"#w{c.station_id}")
        year = timezone.localtime(c.created_at).year
        docs.append(
            Doc("concern", c.pk, c.pk, c.committee_id, year, c.state, c.title, _join(c.content, c.result),
                set(), readers)
        )  # fmt: skip
    return docs


BUILDERS = {
    "proposal": proposal_docs,
    "opinion": opinion_docs,
    "outcome": outcome_docs,
    "concern": concern_docs,
}


def _source_ids(kind: str) -> Iterator[list[int]]:
    from zhengxie.consultations.models import Outcome
    from zhengxie.grassroots.models import Concern
    from zhengxie.opinions.models import OpinionReport
    from zhengxie.proposals.models import Proposal

    model = {"proposal": Proposal, "opinion": OpinionReport, "outcome": Outcome, "concern": Concern}[kind]
    last = 0
    while True:
        batch = list(model.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:500])
        if not batch:
            return
        yield batch
        last = batch[-1]


# ------------------------------------------------------------------------------------------ writing


def write(docs: Sequence[Doc], *, now: datetime | None = None) -> None:
    """Insert or replace documents. Bulk statements, so no save signal (and no audit row) fires."""
    if not docs:
        return
    now = now or timezone.now()
    rows = [
        SearchDocument(
            kind=d.kind,
            object_id=d.object_id,
            target_id=d.target_id,
            committee_id=d.committee_id,
            year=d.year,
            state=d.state,
            title=d.title[:300],
            body=d.body,
            tokens=d.tokens(),
            updated_at=now,
        )
        for d in docs
    ]
    SearchDocument.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["kind", "object_id"],
        update_fields=["target_id", "committee_id", "year", "state", "title", "body", "tokens", "updated_at"],
    )


def remove(kind: str, object_ids: Iterable[int]) -> None:
    ids = [int(i) for i in object_ids]
    if not ids:
        return
    table = SearchDocument._meta.db_table
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE kind = %s AND object_id IN ({marks})", [kind, *ids])  # noqa: S608


def reindex(kind: str, object_ids: Iterable[int]) -> None:
    """Bring the index in step with these records: write the ones that exist, drop the ones that do not
    (for proposals, with their replies)."""
    ids = sorted({int(i) for i in object_ids if i})
    if not ids:
        return
    docs = BUILDERS[kind](ids)
    found = {d.object_id for d in docs if d.kind == kind}
    with transaction.atomic():
        remove(kind, [i for i in ids if i not in found])
        if kind == "proposal":
            kept = {d.object_id for d in docs if d.kind == "reply"}
            stale = SearchDocument.objects.filter(kind="reply", target_id__in=ids).exclude(object_id__in=kept)
            remove("reply", list(stale.values_list("object_id", flat=True)))
        write(docs)


def rebuild(*, stdout=None) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Rebuild the whole index from the records, kind by kind, in batches."""
    counts: dict[str, int] = {}
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {SearchDocument._meta.db_table}")  # noqa: S608
        for kind in BUILDERS:
            n = 0
            for batch in _source_ids(kind):
                docs = BUILDERS[kind](batch)
                write(docs)
                for d in docs:
                    counts[d.kind] = counts.get(d.kind, 0) + 1
                n += len(batch)
                if stdout is not None and n % 10000 < 500:
                    stdout.write(f"{KIND_LABELS[kind]}: {n}")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO textindex_fts(textindex_fts) VALUES ('optimize')")
    return counts


# ------------------------------------------------------------------------------------------ readers


def reader_tokens(user) -> set[str]:  # type: ignore[no-untyped-def]
    """The '#' tokens a user reads with: the same rules as proposals_visible_to, opinions_visible_to,
    consultations_visible_to and concerns_visible_to, expressed as tokens the documents carry."""
    from zhengxie.accounts import access
    from zhengxie.accounts.models import Role
    from zhengxie.org.models import Member

    if not user.is_authenticated or not user.is_active:
        return set()
    tokens = {f"#u{user.pk}"}
    tokens.update(f"#r{c}" for c in access.committee_ids_with(user, {Role.OFFICE, Role.LEADER}))
    tokens.update(f"#o{c}" for c in access.committee_ids_with(user, {Role.OFFICE}))
    tokens.update(f"#h{u}" for u in access.unit_ids_of(user))
    tokens.update(f"#m{c}" for c in access.committee_ids_with(user, {Role.MEMBER}))
    for committee_id, station_id in Member.objects.filter(
        user_id=user.pk, status=Member.Status.ACTIVE
    ).values_list("committee_id", "station_id"):
        tokens.add(f"#m{committee_id}")
        if station_id:
            tokens.add(f"#w{station_id}")
    return tokens


# ------------------------------------------------------------------------------------------ querying


@dataclass
class Query:
    text: str
    terms: list[str]  # each must occur in the title or the text
    phrase: str  # the whole query, ranked higher where it occurs as typed


def parse(text: str) -> Query:
    """Split the query on spaces into terms; a term longer than four characters is cut into jieba words
    (each must occur), so "加强老旧小区改造" finds texts that say "老旧小区的改造". Terms of one character
    cannot be looked up in a bigram index and are refused with a message."""
    from zhengxie.textindex import segment

    text = " ".join(normalise(text).split())[:MAX_QUERY]
    if not text:
        raise QueryError("请输入要搜索的词语")
    terms: list[str] = []
    for part in text.split(" "):
        runs = _RUN.findall(part)
        if not runs:
            continue
        if len(part) > 4 and len(runs) == 1:
            words = [w for w in segment.words(part) if len(w) >= 2]
            terms.extend(words or [part])
        else:
            terms.append(part)
    terms = list(dict.fromkeys(t for t in terms if bigrams(t)))
    if not terms:
        raise QueryError("请至少输入两个连续的汉字、字母或数字")
    return Query(text=text, terms=terms[:MAX_TERMS], phrase=text.replace(" ", ""))


@dataclass
class Filters:
    kind: str = ""
    year: int | None = None
    committee: int | None = None
    state: str = ""
    unit: int | None = None
    sector: int | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> Filters:
        def number(name: str) -> int | None:
            value = str(params.get(name) or "").strip()
            return int(value) if value.isdigit() and len(value) < 10 else None

        kind = str(params.get("kind") or "")
        state = str(params.get("state") or "")
        year = number("year")
        return cls(
            kind=kind if kind in KIND_LABELS else "",
            year=year if year and 1949 <= year <= 2200 else None,
            committee=number("committee"),
            state=state if re.fullmatch(r"[a-z_]{1,20}", state) else "",
            unit=number("unit"),
            sector=number("sector"),
        )

    def tokens(self) -> list[str]:
        out = []
        if self.kind:
            out.append(f"#k{self.kind}")
        if self.year:
            out.append(f"#y{self.year}")
        if self.committee:
            out.append(f"#c{self.committee}")
        if self.state:
            out.append(f"#e{self.state}")
        if self.unit:
            out.append(f"#n{self.unit}")
        if self.sector:
            out.append(f"#x{self.sector}")
        return out


@dataclass
class Hit:
    kind: str
    object_id: int
    target_id: int
    committee_id: int
    year: int
    state: str
    title: str
    in_title: bool
    title_html: SafeString
    snippet_html: SafeString
    url: str = ""

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass
class Result:
    query: Query
    ids: list[int]  # ranked document ids, at most CAP
    title_ids: set[int]
    more: bool  # more than CAP hits exist

    @property
    def total(self) -> int:
        return len(self.ids)

    def hits(self, ids: Sequence[int]) -> list[Hit]:
        """The hits of some of the ranked ids (one page), with highlighted titles and snippets."""
        return _hits(ids, self.title_ids, self.query)


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _verify(terms: Sequence[str], *, title_only: bool) -> tuple[str, list[str]]:
    """LIKE conditions for the terms whose bigrams do not prove them (longer than two characters)."""
    op = "ILIKE" if connection.vendor == "postgresql" else "LIKE"
    escape_clause = "" if connection.vendor == "postgresql" else " ESCAPE '\\'"
    sql: list[str] = []
    params: list[str] = []
    for term in terms:
        if len(term) == 2 and _RUN.fullmatch(term):
            continue
        if title_only:
            sql.append(f"d.title {op} %s{escape_clause}")
            params.append(_like(term))
        else:
            sql.append(f"(d.title {op} %s{escape_clause} OR d.body {op} %s{escape_clause})")
            params += [_like(term), _like(term)]
    return "".join(f" AND {s}" for s in sql), params


def _quote(token: str) -> str:
    return '"' + token + '"' if connection.vendor == "sqlite" else "'" + token + "'"


def _match(words: Sequence[str], readers: Iterable[str], filters: Sequence[str]) -> str:
    """The index query: every word and filter token, and at least one of the reader's tokens."""
    and_, or_ = (" AND ", " OR ") if connection.vendor == "sqlite" else (" & ", " | ")
    parts = [_quote(w) for w in words] + [_quote(f) for f in filters]
    parts.append("(" + or_.join(_quote(r) for r in sorted(readers)) + ")")
    return and_.join(parts)


def _candidates(match: str, verify: str, params: list[str], limit: int | None) -> list[int]:
    table = SearchDocument._meta.db_table
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT d.id FROM {table} d WHERE array_to_tsvector(string_to_array(d.tokens, ' ')) "  # noqa: S608
            f"@@ %s::tsquery{verify}"
        )
    else:
        sql = (
            f"SELECT d.id FROM textindex_fts f JOIN {table} d ON d.id = f.rowid "  # noqa: S608
            f"WHERE textindex_fts MATCH %s{verify}"
        )
    args: list[object] = [match, *params]
    if limit is not None:
        sql += " LIMIT %s"
        args.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return [row[0] for row in cursor.fetchall()]


def matching_ids(
    readers: set[str], text: str, filters: Filters | None = None, *, limit: int | None = CAP + 1
) -> list[int]:
    """Ids of the documents the index finds for `text` (unranked, at most `limit`; None: all of them)."""
    query = parse(text)
    if not readers:
        return []
    words = sorted({g for term in query.terms for g in bigrams(term)})
    verify, params = _verify(query.terms, title_only=False)
    return _candidates(_match(words, readers, (filters or Filters()).tokens()), verify, params, limit)


def _rank(ids: Sequence[int], title_ids: set[int], query: Query) -> list[int]:
    """Title hits first; then the whole query as typed in the title; then, for a set small enough to read
    (OCCURRENCE_CAP), how often the terms occur in the text; then the newest."""
    if not ids:
        return []
    table = SearchDocument._meta.db_table
    params: list[object] = [_like(query.phrase)]
    occurrences = "0"
    if len(ids) <= OCCURRENCE_CAP:
        occurrences = " + ".join(
            "(length(d.body) - length(replace(lower(d.body), %s, ''))) / %s" for _ in query.terms
        )
        for term in query.terms:
            params += [term, len(term)]
    if connection.vendor == "postgresql":
        phrase, where, id_params = "d.title ILIKE %s", "d.id = ANY(%s)", [list(ids)]
    else:
        marks = ", ".join(["%s"] * len(ids))
        phrase, where, id_params = "d.title LIKE %s ESCAPE '\\'", f"d.id IN ({marks})", list(ids)
    sql = (
        f"SELECT d.id, d.year, CASE WHEN {phrase} THEN 1 ELSE 0 END, {occurrences} "  # noqa: S608
        f"FROM {table} d WHERE {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *id_params])
        rows = cursor.fetchall()
    rows.sort(key=lambda r: (r[0] in title_ids, r[2], min(int(r[3] or 0), 20), r[1], r[0]), reverse=True)
    return [r[0] for r in rows]


def search(readers: set[str], text: str, filters: Filters | None = None) -> Result:
    """Documents readable with `readers` (reader_tokens(user)) that contain every term of `text` and
    match the filters, ranked; Result.hits() renders a page of them."""
    query = parse(text)
    if not readers:
        return Result(query=query, ids=[], title_ids=set(), more=False)
    filter_tokens = (filters or Filters()).tokens()
    words = sorted({g for term in query.terms for g in bigrams(term)})
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Exact bitmaps even for the commonest bigrams (a lossy bitmap rechecks every row of a page),
            # and never a sequential scan: the planner does not know that computing the tsvector of a row
            # costs ~80 µs, and for a common bigram it walks the table (640 ms on a million rows, against
            # 80 ms through the index).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '32MB'")
                cursor.execute("SET LOCAL enable_seqscan = off")
        verify_title, title_params = _verify(query.terms, title_only=True)
        title_ids = _candidates(
            _match(["^" + w for w in words], readers, filter_tokens), verify_title, title_params, TITLE_CAP
        )
        all_ids = matching_ids(readers, text, filters, limit=CAP + 1)
        more = len(all_ids) > CAP
        candidates = list(dict.fromkeys(title_ids + all_ids[:CAP]))[: CAP + len(title_ids)]
        ranked = _rank(candidates, set(title_ids), query)
        if more:
            ranked = ranked[:CAP]
    return Result(query=query, ids=ranked, title_ids=set(title_ids), more=more)


def search_for(user, text: str, filters: Filters | None = None) -> Result:  # type: ignore[no-untyped-def]
    return search(reader_tokens(user), text, filters)


# ------------------------------------------------------------------------------------------ snippets


def _hits(ids: Sequence[int], title_ids: set[int], query: Query) -> list[Hit]:
    docs = SearchDocument.objects.in_bulk(list(ids))
    out = []
    for pk in ids:
        d = docs.get(pk)
        if d is None:
            continue
        out.append(
            Hit(
                kind=d.kind,
                object_id=d.object_id,
                target_id=d.target_id,
                committee_id=d.committee_id,
                year=d.year,
                state=d.state,
                title=d.title,
                in_title=pk in title_ids,
                title_html=highlight(d.title, query.terms),
                snippet_html=highlight(snippet(d.body, query.terms), query.terms),
            )
        )
    return out


def snippet(body: str, terms: Sequence[str], width: int = SNIPPET_CHARS) -> str:
    """The part of the text around the first occurrence of a term (the start of the text if none)."""
    body = " ".join((body or "").split())
    low = body.lower()
    found = [i for i in (low.find(t) for t in terms) if i >= 0]
    if not found:
        return body[:width] + ("…" if len(body) > width else "")
    start = max(min(found) - width // 3, 0)
    end = min(start + width, len(body))
    return ("…" if start > 0 else "") + body[start:end] + ("…" if end < len(body) else "")


def highlight(text: str, terms: Sequence[str]) -> SafeString:
    """Escape first, then mark: the terms are found in the raw text and each piece is escaped on its own,
    so no markup in a title or a query can reach the page."""
    low = text.lower()
    spans: list[tuple[int, int]] = []
    for term in terms:
        start = low.find(term)
        while start >= 0:
            spans.append((start, start + len(term)))
            start = low.find(term, start + 1)
    spans.sort()
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out: list[str] = []
    pos = 0
    for s, e in merged:
        out.append(escape(text[pos:s]))
        out.append("<mark>" + escape(text[s:e]) + "</mark>")
        pos = e
    out.append(escape(text[pos:]))
    return mark_safe("".join(out))  # noqa: S308  (every piece escaped above)
