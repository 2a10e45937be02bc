"""Routing suggestions (交办建议): the category and the lead / co-handling units of a proposal.

A Router is a linear text classifier over character 1-4-grams and jieba words (with the committees' own
vocabulary): TF-IDF features, a calibrated linear SVM and a complement naive Bayes averaged. It is small, trains
on 10,000 texts in seconds and answers in about a millisecond, and because it is linear the words behind a
suggestion are simply the features present in the text with the largest weight for the suggested class.

Each committee gets its own models, trained from its past proposals (category) and assignments (lead and
co-handling units), stored as one file under ROUTING_DIR so they survive restarts and are shared by every
web process on the machine. A committee with too little history gets the category from a model trained on
all committees' proposals and the units from a category -> unit table (DEFAULT_RULES, matched to the
committee's own HandlingUnit names; an office can add its own rows as CategoryUnitRule).

Everything here only suggests: views show it labelled as machine-made, log it as a Suggestion, and record
what the person then chose (record_assignment / record_category). Nothing is assigned by the machine.
"""

from __future__ import annotations

import logging
import math
import os
import re
import tempfile
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.naive_bayes import ComplementNB
from sklearn.svm import LinearSVC

from zhengxie.textindex import segment

logger = logging.getLogger(__name__)

FORMAT = 1  # bump when the stored file's layout changes: older files are then retrained, not loaded
MIN_HISTORY = 20  # assigned proposals a committee needs before its own unit models are trusted
MIN_CATEGORY_HISTORY = 20  # labelled proposals needed for a category model
RETRAIN_EVERY = 20  # new assignments since the last training that trigger a background retraining
MAX_TEXT = 1500  # characters of a proposal used: the title and the beginning of its body carry the subject
CO_THRESHOLD = 0.15  # a co-handling unit is suggested from this probability on
MAX_CO = 3
LARGE = 50_000  # training texts from which n-grams seen once are dropped (they help below: bench/TEXT.md)

_NON_TEXT = re.compile(r"[^\u3400-\u9fff\uf900-\ufaffA-Za-z0-9]+")


def _normalise(text: str) -> str:
    return _NON_TEXT.sub(" ", (text or "").lower()).strip()


def _words(text: str) -> list[str]:
    return segment.words(text)


# ---------------------------------------------------------------------------------------------- the model


@dataclass
class Scored:
    value: str
    score: float
    words: list[str] = field(default_factory=list)


class Router:
    """A text classifier that explains itself. fit(texts, labels), then predict(text, k) or
    predict_proba(texts). Labels are any strings (categories, unit ids).

    The probabilities average a linear SVM calibrated by cross-validation (sigmoid) and a complement naive
    Bayes over the same features: the SVM is the stronger alone, the pair beats either (bench/TEXT.md).
    Logistic regression was as good as the SVM but twenty times slower to train."""

    def __init__(self, *, C: float = 0.6, alpha: float = 0.1, char_range: tuple[int, int] = (1, 4)) -> None:
        self.C = C
        self.alpha = alpha
        self.char_range = char_range
        self.classes_: np.ndarray = np.array([])
        self.n_train = 0

    # -- features

    def _vectorizers(self, n_texts: int) -> tuple[TfidfVectorizer, TfidfVectorizer]:
        chars = TfidfVectorizer(
            analyzer="char",
            ngram_range=self.char_range,
            sublinear_tf=True,
            preprocessor=_normalise,
            # On a large corpus n-grams seen once are mostly names and typos: they cost memory, not accuracy.
            min_df=2 if n_texts >= LARGE else 1,
            dtype=np.float32,
        )
        words = TfidfVectorizer(analyzer=_words, sublinear_tf=True, dtype=np.float32)
        return chars, words

    def _encode(self, text: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """The text's features as the fitted vectorizers compute them (n-grams, sublinear tf x idf, each
        part scaled to unit length): column indices, values and the features themselves. Done here rather
        than by sklearn's transform, whose input checks cost more than the work for one short text."""
        text = text or ""
        idx: list[int] = []
        vals: list[float] = []
        names: list[str] = []
        plain = _normalise(text)
        grams: Counter[str] = Counter()
        lo, hi = self.char_range
        for n in range(lo, min(hi, len(plain)) + 1):
            grams.update(plain[i : i + n] for i in range(len(plain) - n + 1))
        parts = (
            (grams, 0, self.char_vocab, self.char_idf),
            (Counter(_words(text)), self.n_char, self.word_vocab, self.word_idf),
        )
        for counts, offset, vocab, idf in parts:
            first = len(vals)
            for gram, count in counts.items():
                j = vocab.get(gram)
                if j is not None:
                    idx.append(offset + j)
                    vals.append((1.0 + math.log(count)) * float(idf[j]))
                    names.append(gram)
            norm = math.sqrt(sum(v * v for v in vals[first:]))
            if norm:
                vals[first:] = [v / norm for v in vals[first:]]
        return np.array(idx, dtype=np.int64), np.array(vals, dtype=np.float64), names

    # -- training

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> Router:
        texts = [t or "" for t in texts]
        labels = [str(x) for x in labels]
        if len(texts) != len(labels) or not texts:
            raise ValueError("texts and labels must be non-empty and of the same length")
        chars, words = self._vectorizers(len(texts))
        x = sparse.hstack([chars.fit_transform(texts), words.fit_transform(texts)], format="csr")
        self.char_vocab: dict[str, int] = dict(chars.vocabulary_)
        self.word_vocab: dict[str, int] = dict(words.vocabulary_)
        self.char_idf = chars.idf_.astype(np.float32)
        self.word_idf = words.idf_.astype(np.float32)
        self.n_char = len(self.char_vocab)
        counts = Counter(labels)
        self.classes_ = np.array(sorted(counts))
        self.n_train = len(texts)
        self.nb_log_prob: np.ndarray | None = None
        self.members: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self.explain: np.ndarray | None = None
        if len(self.classes_) == 1:
            # One label seen: it is the only suggestion; the words are its texts' strongest features.
            self.explain = np.asarray(x.mean(axis=0), dtype=np.float32).reshape(-1, 1)
            return self
        nb = ComplementNB(alpha=self.alpha).fit(x, labels)
        self.nb_log_prob = np.ascontiguousarray(nb.feature_log_prob_.T, dtype=np.float32)
        folds = min(3, min(counts.values()))
        svm = None
        if folds >= 2:
            svm = CalibratedClassifierCV(LinearSVC(C=self.C), cv=folds, method="sigmoid").fit(x, labels)
            for member in svm.calibrated_classifiers_:
                est = member.estimator
                self.members.append(
                    (
                        np.ascontiguousarray(est.coef_.T, dtype=np.float32),
                        est.intercept_.astype(np.float64),
                        np.array([c.a_ for c in member.calibrators], dtype=np.float64),
                        np.array([c.b_ for c in member.calibrators], dtype=np.float64),
                        np.searchsorted(self.classes_, est.classes_),
                    )
                )
        else:
            # Some label seen once: no calibration folds; the SVM's margins only explain, NB scores.
            coef = LinearSVC(C=self.C).fit(x, labels).coef_
            self.explain = np.ascontiguousarray(
                (coef if coef.shape[0] > 1 else np.vstack([-coef[0], coef[0]])).T, dtype=np.float32
            )
        self._check(texts[:5], x[:5], nb, svm)
        return self

    def _check(self, texts: list[str], x: sparse.csr_matrix, nb: Any, svm: Any) -> None:
        """The fast path must give what sklearn gives (a scikit-learn upgrade could change its maths)."""
        expected = nb.predict_proba(x)
        if svm is not None:
            expected = (expected + svm.predict_proba(x)) / 2
        got = self.predict_proba(texts)
        if not np.allclose(got, expected, atol=1e-4):
            raise RuntimeError("routing: fast scoring disagrees with scikit-learn; check the sklearn version")

    # -- prediction

    def _proba(self, idx: np.ndarray, vals: np.ndarray) -> np.ndarray:
        k = len(self.classes_)
        if self.nb_log_prob is None:
            return np.ones(1)
        jll = vals @ self.nb_log_prob[idx].astype(np.float64) if len(idx) else np.zeros(k)
        p = np.exp(jll - jll.max())
        p /= p.sum()
        if not self.members:
            return p
        calibrated = np.zeros(k)
        for weights, intercept, a, b, positions in self.members:
            decision = (vals @ weights[idx].astype(np.float64) if len(idx) else 0.0) + intercept
            one = 1.0 / (1.0 + np.exp(a * decision + b))  # Platt's sigmoid, as sklearn fits it
            out = np.zeros(k)
            if k == 2:
                out[1] = one[0]
                out[0] = 1.0 - one[0]
            else:
                out[positions] = one
                total = out.sum()
                out = out / total if total else np.full(k, 1.0 / k)
            calibrated += out
        return (p + calibrated / len(self.members)) / 2

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return np.vstack([self._proba(*self._encode(t)[:2]) for t in texts])

    def predict(self, text: str, k: int = 3, n_words: int = 5) -> list[Scored]:
        idx, vals, names = self._encode(text)
        p = self._proba(idx, vals)
        order = np.argsort(-p)[:k]
        return [
            Scored(str(self.classes_[i]), float(p[i]), self._why(idx, vals, names, int(i), n_words))
            for i in order
        ]

    def _why(self, idx: np.ndarray, vals: np.ndarray, names: list[str], cls: int, n: int) -> list[str]:
        """The features present in the text that push hardest towards class `cls` (the SVM's weights):
        words and n-grams of two or more characters, none inside another already shown."""
        if not len(idx):
            return []
        if self.explain is not None:
            weights = self.explain[idx, cls]
        else:
            column = 0 if len(self.classes_) == 2 and cls == 0 else (cls if len(self.classes_) > 2 else 0)
            weights = np.mean([m[0][idx, column] for m in self.members], axis=0)
            if len(self.classes_) == 2 and cls == 0:
                weights = -weights
        contrib = vals * weights
        out: list[str] = []
        for j in np.argsort(-contrib):
            if contrib[j] <= 0 or len(out) >= n:
                break
            name = names[j].strip()
            if len(name) < 2 or any(name in w or w in name for w in out):
                continue
            out.append(name)
        return out


# ------------------------------------------------------------------------ the category -> unit table

# Seeded from the typical handling units of a prefecture-level city. Per proposal category: (unit name as
# the committees usually spell its end, keywords that point to it). The first unit of a category is its
# default lead. Names are matched to a committee's HandlingUnit by suffix ("江门市交通运输局" ends with
# "交通运输局"), so one table serves every city.
DEFAULT_RULES: dict[str, list[tuple[str, str]]] = {
    "economy": [
        ("发展和改革局", "发展 改革 规划 项目 投资 营商环境 产业 经济 民营"),
        ("工业和信息化局", "工业 制造 企业 信息化 数字经济 园区 中小企业 专精特新"),
        ("商务局", "商贸 商业 消费 外贸 招商 电商 物流 夜经济 会展"),
        ("财政局", "财政 资金 预算 补贴 债务 专项资金"),
        ("农业农村局", "农业 农村 农民 乡村振兴 种植 养殖 粮食 合作社 农产品"),
        ("科学技术局", "科技 创新 研发 高新 成果转化 孵化"),
        ("地方金融监督管理局", "金融 融资 贷款 银行 担保 上市"),
        ("市场监督管理局", "市场监管 食品安全 质量 消费者 计量 药品 特种设备"),
        ("交通运输局", "交通 道路 公路 公交 运输 港口 航运"),
        ("自然资源局", "土地 用地 国土 矿产 测绘"),
        ("税务局", "税收 减税 纳税 税费"),
        ("国有资产监督管理委员会", "国企 国有企业 国资"),
        ("政务服务数据管理局", "政务服务 审批 一网通办 数据共享"),
    ],
    "politics": [
        ("司法局", "法治 普法 律师 法律援助 公证 人民调解 社区矫正"),
        ("公安局", "治安 警务 诈骗 交警 户籍 派出所 安全"),
        ("民政局", "基层治理 社区 社会组织 村委会 居委会"),
        ("信访局", "信访 矛盾纠纷"),
        ("民族宗教事务局", "民族 宗教"),
        ("侨务局", "华侨 侨胞 侨务 侨乡"),
        ("外事局", "外事 对外交流 友好城市"),
        ("审计局", "审计"),
        ("机关事务管理局", "机关 公务用车 办公用房"),
        ("退役军人事务局", "退役军人 双拥 优抚 军人"),
    ],
    "culture": [
        ("文化广电旅游体育局", "文化 旅游 体育 文物 非遗 图书馆 博物馆 广电 全民健身 景区"),
        ("教育局", "教育 学校 教师 学生 幼儿园 课后 职业教育"),
        ("科学技术局", "科普 科技馆"),
    ],
    "society": [
        ("人力资源和社会保障局", "就业 社保 养老保险 人才 工资 技能培训 劳动"),
        ("卫生健康委员会", "医疗 医院 卫生 健康 医生 疾控 基层医疗 托育"),
        ("医疗保障局", "医保 报销 医疗保险 药品采购"),
        ("民政局", "养老 社区 低保 救助 残疾 儿童福利 殡葬"),
        ("教育局", "教育 学校 教师 学生 幼儿园 课后 校园"),
        ("住房和城乡建设局", "住房 小区 物业 老旧小区 电梯 保障房 房地产 城建"),
        ("城市管理和综合执法局", "城管 市容 垃圾 停车 违建 占道"),
        ("应急管理局", "应急 安全生产 消防 防灾"),
        ("公安局", "治安 交警 交通安全 诈骗"),
        ("交通运输局", "交通 公交 出行 道路 停车场"),
        ("总工会", "职工 工会 农民工"),
        ("妇联", "妇女 家庭 儿童"),
        ("残联", "残疾人 无障碍"),
        ("团委", "青年 青少年 志愿"),
    ],
    "ecology": [
        ("生态环境局", "环境 污染 环保 排放 噪音 噪声 空气 水质 固废 碳"),
        ("自然资源局", "国土空间 耕地 矿山 生态修复"),
        ("水利局", "水利 河道 河长 水库 防洪 水资源"),
        ("林业局", "林业 森林 绿化 湿地 古树"),
        ("城市管理和综合执法局", "垃圾分类 园林 市容"),
        ("农业农村局", "农村人居环境 农业面源 化肥 秸秆"),
        ("住房和城乡建设局", "污水 海绵城市 建筑节能"),
    ],
    "other": [
        ("发展和改革局", "发展 规划"),
    ],
}


def _keywords(text: str, keywords: str) -> list[str]:
    return [k for k in keywords.split() if k and k in text]


def rules_for(committee_id: int, category: str) -> list[tuple[int, str, str]]:
    """The committee's (unit id, unit name, keywords) for a category, best-first: the office's own
    CategoryUnitRule rows if it has any for the category, else DEFAULT_RULES matched to its active units."""
    from zhengxie.org.models import HandlingUnit
    from zhengxie.textindex.models import CategoryUnitRule

    own = list(
        CategoryUnitRule.objects.filter(committee_id=committee_id, category=category, unit__is_active=True)
        .select_related("unit")
        .order_by("position", "id")
    )
    if own:
        return [(r.unit_id, r.unit.name, r.keywords) for r in own]
    units = list(
        HandlingUnit.objects.filter(committee_id=committee_id, is_active=True).values_list("id", "name")
    )
    out: list[tuple[int, str, str]] = []
    seen: set[int] = set()
    for suffix, keywords in DEFAULT_RULES.get(category, []):
        for unit_id, name in units:
            if unit_id not in seen and (name == suffix or name.endswith(suffix)):
                out.append((unit_id, name, keywords))
                seen.add(unit_id)
                break
    return out


def category_from_table(text: str) -> list[Scored]:
    """For a platform with no labelled proposal yet: categories by the table's keywords found in the text."""
    scores: list[Scored] = []
    for category, rules in DEFAULT_RULES.items():
        hits: list[str] = []
        for _, keywords in rules:
            hits += [k for k in _keywords(text, keywords) if k not in hits]
        if hits:
            scores.append(Scored(category, float(len(hits)), hits[:5]))
    total = sum(s.score for s in scores)
    for s in scores:
        s.score = s.score / total
    return sorted(scores, key=lambda s: -s.score)[:3]


def units_from_table(committee_id: int, category: str, text: str) -> tuple[list[Scored], list[Scored]]:
    """Lead candidates and co-handling units from the category -> unit table: the category's units ranked
    by the keywords of theirs found in the text (ties keep the table's order, whose first is the usual
    lead); co-handling units are those other units whose keywords are found."""
    rules = rules_for(committee_id, category)
    ranked: list[tuple[float, Scored]] = []
    for pos, (unit_id, _name, keywords) in enumerate(rules):
        hits = _keywords(text, keywords)
        ranked.append((len(hits) + 1.0 / (2 + pos), Scored(str(unit_id), 0.0, hits[:5])))
    ranked.sort(key=lambda r: -r[0])
    total = sum(r[0] for r in ranked) or 1.0
    for weight, s in ranked:
        s.score = weight / total
    lead = [s for _, s in ranked[:3]]
    co = [s for _, s in ranked[1:] if s.words][:MAX_CO]
    return lead, co


# ------------------------------------------------------------------------------ per-committee models

FILED_STATES = ("filed", "assigned", "returned", "replied", "rehandling", "closed")


def proposal_text(title: str, background: str = "", suggestions: str = "") -> str:
    # The title twice: it states the subject, the body mostly argues it.
    return f"{title}\n{title}\n{background}\n{suggestions}"[:MAX_TEXT]


@dataclass
class CommitteeModels:
    committee_id: int | None  # None: the category model over all committees
    version: str
    trained_at: str
    n_proposals: int = 0
    n_assignments: int = 0  # lead assignments it was trained on (retraining counts new ones from here)
    category: Router | None = None
    lead: Router | None = None
    co: Router | None = None
    format: int = FORMAT


def routing_dir() -> Path:
    return Path(getattr(settings, "ROUTING_DIR", None) or Path(settings.BASE_DIR) / "var" / "routing")


def _path(committee_id: int | None) -> Path:
    return routing_dir() / ("all.joblib" if committee_id is None else f"committee-{committee_id}.joblib")


_cache: dict[Path, tuple[float, CommitteeModels]] = {}
_cache_lock = threading.Lock()


def load(committee_id: int | None) -> CommitteeModels | None:
    """The stored models (cached per process until the file changes: another process may retrain)."""
    path = _path(committee_id)
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return None
    with _cache_lock:
        hit = _cache.get(path)
        if hit and hit[0] == mtime:
            return hit[1]
    try:
        models = joblib.load(path)
    except Exception:
        logger.exception("routing model %s unreadable; it will be retrained", path)
        return None
    if not isinstance(models, CommitteeModels) or models.format != FORMAT:
        return None
    with _cache_lock:
        _cache[path] = (mtime, models)
    return models


def save(models: CommitteeModels) -> Path:
    """Written to a temporary file and renamed: a reader sees the old models or the new, never half."""
    path = _path(models.committee_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        joblib.dump(models, tmp, compress=3)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _version(committee_id: int | None, n: int) -> str:
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    return f"{'all' if committee_id is None else f'c{committee_id}'}-{stamp}-n{n}"


def _fit_if(texts: list[str], labels: list[str], minimum: int, *, classes: int = 2) -> Router | None:
    if len(texts) < minimum or len(set(labels)) < classes:
        return None
    return Router().fit(texts, labels)


def train(committee_id: int | None) -> CommitteeModels:
    """Train and store a committee's models from its history (None: the category model of all committees).
    Category from Proposal.category of filed proposals; units from Assignment rows that were not returned
    (a returned assignment is the unit saying it was the wrong one)."""
    from zhengxie.proposals.models import Assignment, Proposal

    proposals = Proposal.objects.filter(state__in=FILED_STATES)
    if committee_id is not None:
        proposals = proposals.filter(committee_id=committee_id)
    rows = list(proposals.values_list("id", "title", "background", "suggestions", "category"))
    texts = {pk: proposal_text(t, b, s) for pk, t, b, s, _ in rows}
    labelled = [(texts[pk], c) for pk, *_, c in rows if c != "other"]
    models = CommitteeModels(
        committee_id=committee_id,
        version=_version(committee_id, len(rows)),
        trained_at=timezone.now().isoformat(),
        n_proposals=len(rows),
    )
    models.category = _fit_if([t for t, _ in labelled], [c for _, c in labelled], MIN_CATEGORY_HISTORY)
    if committee_id is not None:
        assignments = list(
            Assignment.objects.filter(committee_id=committee_id, proposal_id__in=texts)
            .exclude(status=Assignment.Status.RETURNED)
            .values_list("proposal_id", "unit_id", "role")
        )
        lead = [(texts[p], str(u)) for p, u, r in assignments if r == Assignment.Role.LEAD]
        co = [(texts[p], str(u)) for p, u, r in assignments if r == Assignment.Role.CO]
        models.n_assignments = len(lead)
        if len({t for t, _ in lead}) >= MIN_HISTORY:
            models.lead = _fit_if([t for t, _ in lead], [u for _, u in lead], MIN_HISTORY)
            models.co = _fit_if([t for t, _ in co], [u for _, u in co], 5, classes=1)
    save(models)
    return models


def retrain(committee_id: int | None = None) -> list[CommitteeModels]:
    """The all-committees category model, then the given committee's models (or every committee's)."""
    from zhengxie.proposals.models import Proposal

    out = [train(None)]
    if committee_id is not None:
        ids = [committee_id]
    else:
        ids = sorted(
            set(Proposal.objects.filter(state__in=FILED_STATES).values_list("committee_id", flat=True))
        )
    out += [train(cid) for cid in ids]
    return out


try:  # the background task (django-tasks); the module still imports where the tasks app is absent
    from django_tasks import task

    @task()
    def retrain_routing_task(committee_id: int | None = None) -> dict[str, Any]:
        from django.core.cache import cache

        try:
            models = retrain(committee_id)
        finally:
            if committee_id is not None:
                cache.delete(_retrain_key(committee_id))
        return {m.version: {"proposals": m.n_proposals, "assignments": m.n_assignments} for m in models}
except ImportError:  # pragma: no cover
    retrain_routing_task = None  # type: ignore[assignment]


# ------------------------------------------------------------------------------- suggestions and log


@dataclass
class RoutingSuggestion:
    category: list[Scored]
    category_source: str  # "committee", "all" (all committees' model) or "table" (keywords of the table)
    category_version: str
    lead: list[Scored]
    co: list[Scored]
    units_source: str  # "committee" or "table"
    units_version: str
    unit_names: dict[str, str]

    SOURCES = {"committee": "本政协以往交办", "all": "各级政协以往提案", "table": "类别与承办单位对照表"}

    @property
    def category_source_label(self) -> str:
        return self.SOURCES[self.category_source]

    @property
    def units_source_label(self) -> str:
        return self.SOURCES[self.units_source]


TABLE_VERSION = "table-1"


def suggest(proposal: Any) -> RoutingSuggestion:
    """What the machine would choose for this proposal; reads the stored models, writes nothing."""
    from zhengxie.org.models import HandlingUnit
    from zhengxie.proposals.models import Category

    text = proposal_text(proposal.title, proposal.background, proposal.suggestions)
    own = load(proposal.committee_id)
    every = load(None)
    if own is not None and own.category is not None:
        category, category_source, category_version = (
            own.category.predict(text, k=3),
            "committee",
            own.version,
        )
    elif every is not None and every.category is not None:
        category, category_source, category_version = every.category.predict(text, k=3), "all", every.version
    else:
        category, category_source, category_version = category_from_table(text), "table", TABLE_VERSION
    category = [c for c in category if c.value in Category.values]

    names = {
        str(pk): name
        for pk, name in HandlingUnit.objects.filter(
            committee_id=proposal.committee_id, is_active=True
        ).values_list("id", "name")
    }
    if own is not None and own.lead is not None:
        lead = [s for s in own.lead.predict(text, k=len(own.lead.classes_)) if s.value in names][:3]
        co: list[Scored] = []
        if own.co is not None:
            top = lead[0].value if lead else None
            co = [
                s
                for s in own.co.predict(text, k=len(own.co.classes_))
                if s.value in names and s.value != top and s.score >= CO_THRESHOLD
            ][:MAX_CO]
        units_source, units_version = "committee", own.version
    else:
        # The office's own choice of category stands once made; before that, the machine's best guess.
        chosen = proposal.category if proposal.category != Category.OTHER else None
        basis = chosen or (category[0].value if category else Category.OTHER)
        lead, co = units_from_table(proposal.committee_id, basis, text)
        units_source, units_version = "table", TABLE_VERSION
    return RoutingSuggestion(
        category=category,
        category_source=category_source,
        category_version=category_version,
        lead=lead,
        co=co,
        unit_names=names,
        units_source=units_source,
        units_version=units_version,
    )


def _entries(items: Iterable[Scored], labels: dict[str, str], **extra: str) -> list[dict[str, Any]]:
    return [
        {
            "value": s.value,
            "label": labels.get(s.value, s.value),
            "score": round(s.score, 4),
            "words": s.words,
            **extra,
        }
        for s in items
    ]


@transaction.atomic
def log_suggestion(proposal: Any, user: Any, s: RoutingSuggestion) -> list[Any]:
    """One Suggestion row per kind shown (category, units). Showing the same suggestion again (a reload)
    reuses the pending row instead of adding another."""
    from zhengxie.proposals.models import Category
    from zhengxie.textindex.models import Suggestion

    categories = dict(Category.choices)
    shown = [
        (Suggestion.Kind.CATEGORY, s.category_version, _entries(s.category, categories)),
        (
            Suggestion.Kind.UNITS,
            s.units_version,
            _entries(s.lead[:1], s.unit_names, role="lead") + _entries(s.co, s.unit_names, role="co"),
        ),
    ]
    rows = []
    for kind, version, suggested in shown:
        if not suggested:
            continue
        pending = (
            Suggestion.objects.filter(proposal=proposal, kind=kind, outcome=Suggestion.Outcome.PENDING)
            .order_by("-id")
            .first()
        )
        same = (
            pending is not None
            and pending.model_version == version
            and [(e["value"], e.get("role")) for e in pending.suggested]
            == [(e["value"], e.get("role")) for e in suggested]
        )
        if same:
            rows.append(pending)
            continue
        rows.append(
            Suggestion.objects.create(
                committee_id=proposal.committee_id,
                kind=kind,
                proposal=proposal,
                user=user,
                model_version=version,
                suggested=suggested,
            )
        )
    return rows


def _outcome(suggested: set[str], top: str | None, chosen: set[str], chosen_top: str) -> str:
    from zhengxie.textindex.models import Suggestion

    if top == chosen_top and suggested == chosen:
        return Suggestion.Outcome.ACCEPTED
    if top == chosen_top or suggested & chosen:
        return Suggestion.Outcome.PARTIAL
    return Suggestion.Outcome.OVERRIDDEN


def record_assignment(*, proposal: Any, user: Any, lead: Any, co_units: Sequence[Any]) -> None:
    """Called by the assignment service inside its transaction: what the office chose against what the
    machine had suggested, and a background retraining once enough new assignments have come in."""
    from zhengxie.textindex.models import Suggestion

    chosen = {"lead": str(lead.pk), "co": sorted(str(u.pk) for u in co_units)}
    now = timezone.now()
    for row in Suggestion.objects.filter(
        proposal=proposal, kind=Suggestion.Kind.UNITS, outcome=Suggestion.Outcome.PENDING
    ):
        lead_suggested = next((e["value"] for e in row.suggested if e.get("role") == "lead"), None)
        row.chosen = chosen
        row.outcome = _outcome(
            {e["value"] for e in row.suggested},
            lead_suggested,
            {chosen["lead"], *chosen["co"]},
            chosen["lead"],
        )
        row.decided_at = now
        row.save(update_fields=["chosen", "outcome", "decided_at"])
    _maybe_retrain(proposal.committee_id)


def record_category(*, proposal: Any, user: Any, category: str) -> None:
    """Called when the office files a proposal with its category."""
    from zhengxie.textindex.models import Suggestion

    now = timezone.now()
    for row in Suggestion.objects.filter(
        proposal=proposal, kind=Suggestion.Kind.CATEGORY, outcome=Suggestion.Outcome.PENDING
    ):
        top = row.suggested[0]["value"] if row.suggested else None
        row.chosen = {"category": category}
        row.outcome = _outcome({top} if top else set(), top, {category}, category)
        row.decided_at = now
        row.save(update_fields=["chosen", "outcome", "decided_at"])


def _retrain_key(committee_id: int) -> str:
    return f"textindex:routing-retrain:{committee_id}"


def _maybe_retrain(committee_id: int) -> None:
    from django.core.cache import cache

    from zhengxie.proposals.models import Assignment

    if retrain_routing_task is None:
        return
    current = load(committee_id)
    trained_on = current.n_assignments if current is not None else 0
    count = (
        Assignment.objects.filter(committee_id=committee_id, role=Assignment.Role.LEAD)
        .exclude(status=Assignment.Status.RETURNED)
        .count()
    )
    if count - trained_on < RETRAIN_EVERY:
        return
    # One queued retraining per committee at a time, whatever the number of assignments meanwhile.
    if not cache.add(_retrain_key(committee_id), 1, timeout=3600):
        return
    from zhengxie.tasks.queue import enqueue_on_commit

    enqueue_on_commit(retrain_routing_task, committee_id)


# ------------------------------------------------------------------------------------------- evaluation

DETAIL_CHARS = 200  # of a message body next to its title: more adds noise faster than signal


def document_text(title: str, detail: str = "") -> str:
    """A labelled message as the router reads it: the title, then the start of the body if there is one."""
    title, detail = (title or "").strip(), (detail or "").strip()
    return f"{title} {detail[:DETAIL_CHARS]}" if detail else title


def evaluate(
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    test_texts: Sequence[str],
    test_labels: Sequence[str],
    *,
    router: Router | None = None,
    timing_sample: int = 500,
) -> dict[str, Any]:
    """Train on one set, score the other: macro-F1, accuracy, top-2 accuracy, training time and the median
    time to route one document (one at a time, as the panel does, on a sample of the test set)."""
    import time

    from sklearn.metrics import accuracy_score, f1_score

    router = router or Router()
    started = time.perf_counter()
    router.fit(train_texts, train_labels)
    train_seconds = time.perf_counter() - started
    proba = router.predict_proba(list(test_texts))
    classes = router.classes_
    order = np.argsort(-proba, axis=1)
    predicted = classes[order[:, 0]]
    top2 = [label in classes[row[:2]] for label, row in zip(test_labels, order, strict=True)]
    labels = sorted(set(test_labels) | set(classes))
    timings = []
    for text in list(test_texts)[:timing_sample]:
        t0 = time.perf_counter()
        router.predict(text, k=3)
        timings.append((time.perf_counter() - t0) * 1000)
    return {
        "macro_f1": round(
            float(f1_score(test_labels, predicted, labels=labels, average="macro", zero_division=0)), 4
        ),
        "accuracy": round(float(accuracy_score(test_labels, predicted)), 4),
        "top2_accuracy": round(float(np.mean(top2)), 4),
        "n_train": len(train_texts),
        "n_test": len(test_texts),
        "labels": len(classes),
        "train_seconds": round(train_seconds, 2),
        "p50_ms": round(float(np.median(timings)), 2) if timings else None,
        "p95_ms": round(float(np.percentile(timings, 95)), 2) if timings else None,
    }
