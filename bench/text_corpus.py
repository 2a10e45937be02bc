"""A national-sized corpus of realistic Chinese proposals, built from real citizen messages.

The sentences and titles are real: the message board of the 2020 TipDM Cup (附件2 bodies with their official
categories, 附件3 and 附件4 bodies and titles), read from TEXT_DATA_DIR (default <repo>/../shared/data) and
never copied into the repository. A generated proposal recombines them the way a member writes one: a title
from a real message cast as a proposal's 案由 ("关于……的建议"), a background (案据) that opens with
sentences of that message and continues with sentences of other messages on the same subject, and
suggestions (建议) made of real requests ("建议……", "希望……", "请求……") of the same category. Place codes
(A市, A3区, K8县) are re-drawn per document, so the same real sentence reads differently in different cities.

API (everything is deterministic for a given seed):

    sources() -> Sources
        The real messages, split once and for all (independent of any seed) into the pool the generator
        recombines and a held-out set that never reaches any generated document.
    documents(n, seed=0, *, first_id=1) -> Iterator[Doc]
        n distinct documents Doc(id, title, body, year, committee_index, category), ids first_id.. in order.
        About 50 µs a document on an idle core (a million in about a minute, after
        sources(), which takes 15-40 s once per process). The body is 案据 + "\\n" + 建议.
    planted(docs, k, seed=0) -> list[Variant]
        k near-duplicates of documents drawn (reservoir sampling) from `docs`: sentences reordered, words
        replaced from a small synonym table, 10-30% of the characters edited (replaced, deleted, inserted);
        each Variant(original_id, title, body, edit_rate) knows its original.
    heldout(part) -> list[Message]
        Real messages held out of the pool ("dev" for tuning, "eval" for measuring), each checked to have no
        near-duplicate among the pool's messages: queries without a duplicate but with many neighbours on
        the same subject in any generated corpus.
    reposts() -> tuple[list[Message], list[tuple[Message, int]]]
        The real re-posts of 附件3: the originals to put in a corpus (one per group of identical bodies and
        one per pair of titles with char-bigram Jaccard >= 0.9) and the re-posts as queries, each with the
        index (into the originals list) of the message it repeats.
    pawsx() -> list[tuple[str, str, int]]
        The PAWS-X Chinese dev pairs (sentence1, sentence2, label 1 = paraphrase).
    Message(key, title, body, category)

The pool's messages feed the generator. The re-posts (and any message repeating one) are not in it: a corpus
holds each original once, verbatim, as a real proposal would be.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import os
import random
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("TEXT_DATA_DIR", str(ROOT.parent / "shared" / "data")))
BOARD = "teddy2020c-smart-gov"

CATEGORIES = ("城乡建设", "劳动和社会保障", "教育文体", "商贸旅游", "环境保护", "卫生计生", "交通运输")
# Shares of the full 附件2 (SOURCE.md): the generated corpus keeps them.
CATEGORY_WEIGHTS = (2009, 1969, 1589, 1215, 938, 877, 613)
YEARS = tuple(range(2015, 2025))
# A national platform: one national committee, 31 provinces, ~330 cities, ~2,800 counties. Counties write
# fewer proposals than cities, cities fewer than provinces: committee i gets weight 1/sqrt(i+1).
N_COMMITTEES = 3200

_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
_PLACE = re.compile(r"([A-Z])(\d?)(?=[市区县镇])")
_ASK = re.compile(r"^(建议|希望|请求|恳请|恳求|呼吁|请|要求|应当|应该|尽快|务必|强烈要求|强烈建议)")
_TITLE_TAIL = re.compile(r"[。！？!?，,、；;：:\s]+$")


@dataclass(frozen=True, slots=True)
class Doc:
    id: int
    title: str
    body: str
    year: int
    committee_index: int
    category: str

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.body}"


@dataclass(frozen=True, slots=True)
class Variant:
    original_id: int
    title: str
    body: str
    edit_rate: float


@dataclass(frozen=True, slots=True)
class Message:
    key: str  # "fj2:<line of the file>", "fj3:<留言编号>", "fj4:<留言编号>"
    title: str
    body: str
    category: str


@dataclass
class Topic:
    """Messages of one category that talk about the same thing (k-means over their char bigrams)."""

    category: str
    titles: list[str]
    sentences: list[str]
    asks: list[str]


@dataclass
class Sources:
    pool: list[Message]
    heldout_dev: list[Message]
    heldout_eval: list[Message]
    topics: dict[str, list[Topic]]  # per category
    sentences: dict[str, list[str]]  # per category
    asks: dict[str, list[str]]  # per category
    chars: str  # characters in proportion to their frequency, for edits


def data_dir() -> Path:
    return DATA_DIR


def available() -> bool:
    return (DATA_DIR / BOARD / "fj2_messages_with_detail.csv").exists()


def _read(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / BOARD / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _stable(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", (text or "").replace("\u3000", " ")).strip()


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text or "") if len(s.strip()) >= 2]


def bigrams(text: str) -> set[str]:
    t = re.sub(r"[^\w]", "", text or "")
    return {t[i : i + 2] for i in range(len(t) - 1)}


@functools.cache
def _all_messages() -> tuple[list[Message], list[Message]]:
    """(labelled 附件2 messages, unlabelled 附件3/附件4 messages), bodies deduplicated within each file."""
    labelled: list[Message] = []
    seen: set[str] = set()
    for line, row in enumerate(_read("fj2_messages_with_detail.csv"), start=2):
        body = _clean(row["detail"])
        if len(body) < 12 or body in seen:
            continue
        seen.add(body)
        # Most rows have no msg_id: the line number of the file keys them.
        labelled.append(Message(f"fj2:{line}", _clean(row["title"]), body, row["label"]))
    unlabelled: list[Message] = []
    for name, tag in (("fj3_messages_votes_4326.csv", "fj3"), ("fj4_messages_replies_2816.csv", "fj4")):
        for row in _read(name):
            body = _clean(row["留言详情"])
            if len(body) < 12:
                continue
            unlabelled.append(Message(f"{tag}:{row['留言编号']}", _clean(row["留言主题"]), body, ""))
    return labelled, unlabelled


def _categorise(labelled: list[Message], unlabelled: list[Message]) -> list[Message]:
    """附件3/附件4 carry no category: a naive Bayes on 附件2's titles and bodies gives them one."""
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.naive_bayes import MultinomialNB

    vec = HashingVectorizer(analyzer="char", ngram_range=(1, 2), n_features=2**16, alternate_sign=False)
    x = vec.transform([f"{m.title} {m.body[:400]}" for m in labelled])
    model = MultinomialNB(alpha=0.05).fit(x, [m.category for m in labelled])
    predicted = model.predict(vec.transform([f"{m.title} {m.body[:400]}" for m in unlabelled]))
    return [Message(m.key, m.title, m.body, str(c)) for m, c in zip(unlabelled, predicted, strict=True)]


def _has_duplicate(candidates: list[Message], pool: list[Message]) -> list[bool]:
    """Whether each candidate has a message in the pool that repeats it: body char-bigram Jaccard >= 0.5,
    or title Jaccard >= 0.8 (a re-post under the same title with a rewritten body)."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer

    def jaccard_max(a: list[str], b: list[str]) -> np.ndarray:
        # Bigrams in more than 2% of the messages are left out: they cost most of the product and
        # carry little of the evidence (two re-posts share their rare bigrams).
        vec = CountVectorizer(analyzer="char", ngram_range=(2, 2), binary=True, dtype=np.float32, max_df=0.02)
        vec.fit(a + b)
        xa, xb = vec.transform(a).tocsr(), vec.transform(b).tocsr()
        xbt = xb.T.tocsc()
        na = np.asarray(xa.sum(axis=1)).ravel()
        nb = np.asarray(xb.sum(axis=1)).ravel()
        out = np.zeros(len(a), dtype=np.float32)
        for start in range(0, len(a), 1000):
            inter = (xa[start : start + 1000] @ xbt).toarray()
            union = na[start : start + 1000, None] + nb[None, :] - inter
            out[start : start + 1000] = (inter / np.maximum(union, 1)).max(axis=1)
        return out

    body = jaccard_max([m.body for m in candidates], [m.body for m in pool])
    titled = [i for i, m in enumerate(candidates) if len(m.title) >= 4]
    title = np.zeros(len(candidates), dtype=np.float32)
    pool_titled = [m.title for m in pool if len(m.title) >= 4]
    if titled:
        title[titled] = jaccard_max([candidates[i].title for i in titled], pool_titled)
    return [bool(b >= 0.5 or t >= 0.8) for b, t in zip(body, title, strict=True)]


@functools.cache
def sources() -> Sources:
    labelled, unlabelled = _all_messages()
    unlabelled = _categorise(labelled, unlabelled)
    everything = labelled + unlabelled
    # The held-out share: 1 in 7 of the labelled and 附件4 messages, by a hash of the key (not of a seed, so
    # no generated corpus ever contains one). 附件3 stays whole: its re-posts are the real duplicates.
    out = [m for m in everything if not m.key.startswith("fj3:") and _stable(m.key) % 7 == 0]
    out_keys = {m.key for m in out}
    # The re-posts go into a corpus once, verbatim (reposts()): the generator never recombines them or
    # any message that repeats them, or a corpus would hold dozens of pseudo-copies of each.
    originals, queries = reposts()
    repeated = originals + [m for m, _ in queries]
    repeated_keys = {m.key for m in repeated}
    rest = [m for m in everything if m.key not in out_keys and m.key not in repeated_keys]
    pool = [m for m, dup in zip(rest, _has_duplicate(rest, repeated), strict=True) if not dup]
    clean = [m for m, dup in zip(out, _has_duplicate(out, pool + repeated), strict=True) if not dup]
    dev = [m for m in clean if _stable("dev" + m.key) % 2 == 0]
    evaluation = [m for m in clean if _stable("dev" + m.key) % 2 == 1]

    topics, sentences, asks = _topics(pool)
    text = "".join(m.body for m in pool[:3000])
    chars = "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff")
    return Sources(pool, dev, evaluation, topics, sentences, asks, chars)


def _proposal_title(title: str) -> str:
    return _TITLE_TAIL.sub("", title)


def _topics(pool: list[Message]) -> tuple[dict[str, list[Topic]], dict[str, list[str]], dict[str, list[str]]]:
    """Group each category's messages into topics of about 40 messages, so a generated proposal reads as
    one subject (its sentences come from messages on that subject) rather than as a random mix."""
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    topics: dict[str, list[Topic]] = {}
    sentences: dict[str, list[str]] = {c: [] for c in CATEGORIES}
    asks: dict[str, list[str]] = {c: [] for c in CATEGORIES}
    seen: set[str] = set()
    for category in CATEGORIES:
        msgs = [m for m in pool if m.category == category]
        x = TfidfVectorizer(analyzer="char", ngram_range=(2, 2), max_features=3000, sublinear_tf=True)
        matrix = x.fit_transform([f"{m.title} {m.body[:600]}" for m in msgs])
        k = max(2, len(msgs) // 40)
        labels = MiniBatchKMeans(
            n_clusters=k, n_init=1, random_state=0, batch_size=2048, max_iter=20
        ).fit_predict(matrix)
        groups: dict[int, Topic] = {}
        for m, label in zip(msgs, labels, strict=True):
            topic = groups.setdefault(int(label), Topic(category, [], [], []))
            if len(m.title) >= 4:
                topic.titles.append(_proposal_title(m.title))
            for sentence in split_sentences(m.body):
                sentence = sentence.lstrip("（(）)、，,.．:：-—0123456789一二三四五六七八九十")
                if not 6 <= len(sentence) <= 160 or sentence in seen:
                    continue
                seen.add(sentence)
                if _ASK.match(sentence):
                    topic.asks.append(sentence)
                    asks[category].append(sentence)
                else:
                    topic.sentences.append(sentence)
                    sentences[category].append(sentence)
        topics[category] = [t for t in groups.values() if t.titles and len(t.sentences) >= 5]
    return topics, sentences, asks


def heldout(part: str) -> list[Message]:
    src = sources()
    if part == "dev":
        return list(src.heldout_dev)
    if part == "eval":
        return list(src.heldout_eval)
    raise ValueError("part is 'dev' or 'eval'")


def _relocate(text: str, letter: str, shift: int) -> str:
    """Move a real message to another city: A市 -> letter市, A3区 -> letter(3+shift)区, consistently."""

    def sub(m: re.Match[str]) -> str:
        digit = m.group(2)
        if m.group(1) != "A":  # other cities of the province stay, so texts keep several places
            return m.group(0)
        return letter + (str((int(digit) + shift) % 9 + 1) if digit else "")

    return _PLACE.sub(sub, text)


_TITLE_FORMS = (
    ("关于", "的建议"),
    ("关于", "的提案"),
    ("关于解决", "的建议"),
    ("", ""),
    ("建议重视", ""),
    ("关于", "问题的建议"),
)
_ASK_LEADS = ("一是", "二是", "三是", "四是", "五是")


def documents(n: int, seed: int = 0, *, first_id: int = 1) -> Iterator[Doc]:
    src = sources()
    rng = random.Random(seed)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    committee_weights = [1 / (i + 1) ** 0.5 for i in range(N_COMMITTEES)]
    committees = rng.choices(range(N_COMMITTEES), weights=committee_weights, k=1 << 16)
    cats = rng.choices(CATEGORIES, weights=CATEGORY_WEIGHTS, k=1 << 16)
    # A topic is picked in proportion to its number of sentences (bigger subjects get more proposals).
    topic_weights = {c: [len(t.sentences) for t in src.topics[c]] for c in CATEGORIES}
    topic_draws = {c: rng.choices(src.topics[c], weights=topic_weights[c], k=1 << 14) for c in CATEGORIES}
    seen: set[int] = set()
    produced = 0
    attempt = 0
    while produced < n:
        attempt += 1
        category = cats[attempt & 0xFFFF]
        topic = topic_draws[category][rng.getrandbits(14)]
        letter = letters[int(rng.random() ** 2 * 26)]
        shift = rng.randrange(9)
        title = topic.titles[rng.randrange(len(topic.titles))]
        if re.search(r"[？?吗]|请问|咨询", title) or title.startswith(("关于", "建议")):
            title = title.rstrip("？?")
        else:
            head, tail = _TITLE_FORMS[rng.randrange(len(_TITLE_FORMS))]
            title = f"{head}{title}{tail}"
        # 案据: sentences on the topic, some from the whole category (context, figures, comparisons).
        own, wide = topic.sentences, src.sentences[category]
        background = [
            own[rng.randrange(len(own))] if rng.random() < 0.6 else wide[rng.randrange(len(wide))]
            for _ in range(rng.randint(3, 7))
        ]
        asks = topic.asks if len(topic.asks) >= 3 else src.asks[category]
        picked = {asks[rng.randrange(len(asks))] for _ in range(rng.randint(2, 4))}
        lines = []
        for i, ask in enumerate(picked):
            end = "。" if i == len(picked) - 1 else "；"
            lines.append(_ASK_LEADS[i] + ask.rstrip("。；;！!，,？?") + end)
        body = "".join(s if s[-1] in "。！？!?；;" else s + "。" for s in background) + "\n" + "".join(lines)
        title = _relocate(title, letter, shift)
        body = _relocate(body, letter, shift)
        h = _stable(title + body)
        if h in seen:
            continue
        seen.add(h)
        yield Doc(
            id=first_id + produced,
            title=title,
            body=body,
            year=YEARS[rng.randrange(len(YEARS))],
            committee_index=committees[attempt & 0xFFFF],
            category=category,
        )
        produced += 1


# A member rewriting an earlier proposal swaps words like these (both directions are used).
SYNONYMS = (
    ("建议", "提议"),
    ("加强", "强化"),
    ("尽快", "尽早"),
    ("解决", "处理"),
    ("问题", "难题"),
    ("部门", "单位"),
    ("居民", "住户"),
    ("严重", "十分严重"),
    ("希望", "期望"),
    ("相关", "有关"),
    ("目前", "当前"),
    ("存在", "出现"),
    ("影响", "干扰"),
    ("整改", "整治"),
    ("政府", "政府部门"),
    ("小区", "社区"),
    ("孩子", "子女"),
    ("学校", "校方"),
    ("老百姓", "群众"),
    ("市民", "群众"),
    ("安全隐患", "安全风险"),
    ("不能", "无法"),
    ("已经", "早已"),
    ("非常", "十分"),
    ("我们", "大家"),
    ("马上", "立即"),
    ("规定", "规章"),
    ("落实", "执行"),
    ("监管", "监督管理"),
    ("企业", "公司"),
    ("工资", "薪资"),
    ("医院", "医疗机构"),
    ("道路", "马路"),
    ("噪音", "噪声"),
    ("污染", "污染问题"),
    ("投诉", "反映"),
    ("请求", "恳请"),
    ("情况", "状况"),
    ("农村", "乡村"),
    ("收费", "收取费用"),
)
_SYN = {a: b for a, b in SYNONYMS} | {b: a for a, b in SYNONYMS if b not in {x for x, _ in SYNONYMS}}
_SYN_RE = re.compile("|".join(sorted(map(re.escape, _SYN), key=len, reverse=True)))


def _synonyms(text: str, rng: random.Random, p: float) -> str:
    return _SYN_RE.sub(lambda m: _SYN[m.group(0)] if rng.random() < p else m.group(0), text)


def _edit(text: str, rate: float, rng: random.Random, chars: str) -> str:
    """Edit about `rate` of the characters: replace (60%), delete (20%) or insert before (20%)."""
    out: list[str] = []
    for ch in text:
        if ch == "\n" or rng.random() >= rate:
            out.append(ch)
            continue
        r = rng.random()
        if r < 0.6:
            out.append(chars[rng.randrange(len(chars))])
        elif r < 0.8:
            continue
        else:
            out.append(chars[rng.randrange(len(chars))])
            out.append(ch)
    return "".join(out)


def vary(doc: Doc, rng: random.Random, *, edit_rate: float | None = None) -> Variant:
    """One near-duplicate of `doc` (see planted)."""
    src = sources()
    rate = edit_rate if edit_rate is not None else rng.uniform(0.10, 0.30)
    parts = [split_sentences(p) for p in doc.body.split("\n")]
    new_parts = []
    for sentences in parts:
        # Move a third of the sentences somewhere else in their part.
        sentences = list(sentences)
        for _ in range(max(1, len(sentences) // 3)):
            if len(sentences) > 1:
                s = sentences.pop(rng.randrange(len(sentences)))
                sentences.insert(rng.randrange(len(sentences) + 1), s)
        new_parts.append("".join(sentences))
    body = _edit(_synonyms("\n".join(new_parts), rng, 0.6), rate, rng, src.chars)
    title = _edit(_synonyms(doc.title, rng, 0.5), rate / 2, rng, src.chars)
    return Variant(doc.id, title, body, round(rate, 3))


def planted(docs: Iterable[Doc], k: int, seed: int = 0) -> list[Variant]:
    rng = random.Random(seed)
    chosen: list[Doc] = []
    for i, doc in enumerate(docs):
        if i < k:
            chosen.append(doc)
        else:
            j = rng.randrange(i + 1)
            if j < k:
                chosen[j] = doc
    return [vary(doc, rng) for doc in chosen]


@functools.cache
def reposts() -> tuple[list[Message], list[tuple[Message, int]]]:
    rows = _read("fj3_messages_votes_4326.csv")
    msgs = [Message(f"fj3:{r['留言编号']}", _clean(r["留言主题"]), _clean(r["留言详情"]), "") for r in rows]
    originals: list[Message] = []
    queries: list[tuple[Message, int]] = []
    by_body: dict[str, list[int]] = {}
    for i, m in enumerate(msgs):
        by_body.setdefault(re.sub(r"\s", "", m.body), []).append(i)
    taken: set[int] = set()
    for members in by_body.values():
        if len(members) > 1:
            originals.append(msgs[members[0]])
            taken.update(members)
            queries += [(msgs[j], len(originals) - 1) for j in members[1:]]
    # Title pairs (the bodies may be rewritten): bigram Jaccard >= 0.9, not already a body group.
    grams = [bigrams(m.title) for m in msgs]
    index: dict[str, list[int]] = {}
    for i, g in enumerate(grams):
        for b in g:
            index.setdefault(b, []).append(i)
    first_of: dict[int, int] = {}
    for i, g in enumerate(grams):
        if not g or i in taken:
            continue
        counts: dict[int, int] = {}
        for b in g:
            for j in index[b]:
                if j > i:
                    counts[j] = counts.get(j, 0) + 1
        for j, inter in counts.items():
            if j in taken or inter / (len(g) + len(grams[j]) - inter) < 0.9:
                continue
            if re.sub(r"\s", "", msgs[i].body) == re.sub(r"\s", "", msgs[j].body):
                continue
            if i not in first_of:
                originals.append(msgs[i])
                first_of[i] = len(originals) - 1
            queries.append((msgs[j], first_of[i]))
            taken.add(j)
    return originals, queries


def pawsx() -> list[tuple[str, str, int]]:
    with open(DATA_DIR / "zh-sentence-pairs" / "pawsx_zh_dev.csv", encoding="utf-8", newline="") as fh:
        return [(r["sentence1"], r["sentence2"], int(r["label"])) for r in csv.DictReader(fh)]


def sample(seq: Sequence, k: int, seed: int) -> list:
    return random.Random(seed).sample(list(seq), min(k, len(seq)))


if __name__ == "__main__":  # a look at a few documents and the sizes
    import sys
    import time

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    t = time.perf_counter()
    s = sources()
    print(
        f"sources {time.perf_counter() - t:.1f}s pool={len(s.pool)} dev={len(s.heldout_dev)} eval={len(s.heldout_eval)}"
    )
    t = time.perf_counter()
    docs = list(documents(n))
    print(f"{n} documents in {time.perf_counter() - t:.2f}s")
    for d in docs[:3]:
        print(d.id, d.year, d.committee_index, d.category, d.title)
        print(d.body)
        v = vary(d, random.Random(1))
        print("--", v.edit_rate, v.title)
        print(v.body)
    o, q = reposts()
    print("reposts", len(o), len(q))
