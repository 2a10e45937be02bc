"""民主评议: in a supervisory consultation the participating members score a government department on a
weighted questionnaire. Each member scores once; the result per department is the weighted share of the
maximum, out of 100, graded 满意 / 基本满意 / 不满意."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum

from zhengxie.accounts.models import User
from zhengxie.consultations.models import (
    Consultation,
    DemocraticReview,
    Form,
    Participant,
    ReviewQuestion,
    ReviewScore,
)
from zhengxie.consultations.services import ConsultationError, _require_manager, _text
from zhengxie.org.models import HandlingUnit

MAX_QUESTIONS = 30
MAX_WEIGHT = 100
MAX_SCORE = 100
GRADES = ((90, "满意"), (70, "基本满意"), (0, "不满意"))


def _int(value: object) -> int | None:
    # bool is an int in Python, but True is not a score.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@transaction.atomic
def review_create(
    *, consultation: Consultation, user: User, unit: HandlingUnit, questions: list[tuple[str, int, int]]
) -> DemocraticReview:
    """Questions as (text, weight, max_score), in the order they are asked."""
    _require_manager(user, consultation)
    if consultation.form != Form.SUPERVISORY:
        raise ConsultationError("只有监督式协商可以开展民主评议")
    if consultation.state in (Consultation.State.CLOSED, Consultation.State.CANCELLED):
        raise ConsultationError(f"活动{consultation.get_state_display()}，不能再开展民主评议")
    if unit.committee_id != consultation.committee_id or not unit.is_active:
        raise ConsultationError("请选择本政协的被评议单位")
    if not questions:
        raise ConsultationError("请至少设置一个测评项目")
    if len(questions) > MAX_QUESTIONS:
        raise ConsultationError(f"测评项目不能超过{MAX_QUESTIONS}个")
    rows = []
    for index, item in enumerate(questions, start=1):
        try:
            text, weight, max_score = item
        except (TypeError, ValueError):
            raise ConsultationError(f"第{index}个测评项目格式无效") from None
        text = _text(text, f"第{index}个测评项目", 200)
        weight, max_score = _int(weight), _int(max_score)
        if weight is None or not 1 <= weight <= MAX_WEIGHT:
            raise ConsultationError(f"第{index}个测评项目的权重须为1到{MAX_WEIGHT}")
        if max_score is None or not 1 <= max_score <= MAX_SCORE:
            raise ConsultationError(f"第{index}个测评项目的满分须为1到{MAX_SCORE}")
        rows.append((text, weight, max_score))
    if DemocraticReview.objects.filter(consultation=consultation, unit=unit).exists():
        raise ConsultationError(f"已对{unit.name}开展民主评议")
    try:
        with transaction.atomic():
            review = DemocraticReview.objects.create(
                consultation=consultation, committee_id=consultation.committee_id, unit=unit
            )
    except IntegrityError:
        raise ConsultationError(f"已对{unit.name}开展民主评议") from None
    ReviewQuestion.objects.bulk_create(
        ReviewQuestion(review=review, text=t, weight=w, max_score=m, order=i)
        for i, (t, w, m) in enumerate(rows, start=1)
    )
    return review


@transaction.atomic
def review_submit_scores(
    *, review: DemocraticReview, user: User, scores: dict[int, int]
) -> list[ReviewScore]:
    """One member's whole questionnaire, keyed by question id; a second submission is refused."""
    review = (
        DemocraticReview.objects.select_for_update(no_key=True)
        .select_related("consultation")
        .get(pk=review.pk)
    )
    consultation = review.consultation
    participant = (
        Participant.objects.filter(consultation=consultation, member__user_id=user.pk, member__isnull=False)
        .select_related("member")
        .first()
        if user.is_authenticated
        else None
    )
    if participant is None:
        raise ConsultationError("只有参加本次协商的委员可以评分")
    if not review.is_open:
        raise ConsultationError("本次民主评议已结束评分")
    if consultation.state == Consultation.State.CANCELLED:
        raise ConsultationError("活动已取消")
    member = participant.member
    if ReviewScore.objects.filter(review=review, member=member).exists():
        raise ConsultationError("您已提交过评分，不能重复提交")
    questions = {q.pk: q for q in review.questions.all()}
    if not isinstance(scores, dict) or set(scores) != set(questions):
        raise ConsultationError("请对每个测评项目评分")
    rows = []
    for pk, question in questions.items():
        score = _int(scores[pk])
        if score is None or not 0 <= score <= question.max_score:
            raise ConsultationError(f"“{question.text}”的得分须为0到{question.max_score}")
        rows.append(ReviewScore(question=question, review=review, member=member, score=score))
    try:
        with transaction.atomic():
            return ReviewScore.objects.bulk_create(rows)
    except IntegrityError:  # the same member submitting twice at once
        raise ConsultationError("您已提交过评分，不能重复提交") from None


@transaction.atomic
def review_close(*, review: DemocraticReview, user: User) -> DemocraticReview:
    _require_manager(user, review.consultation)
    locked = DemocraticReview.objects.select_for_update(no_key=True).get(pk=review.pk)
    if not locked.is_open:
        raise ConsultationError("本次民主评议已结束评分")
    locked.is_open = False
    locked.save(update_fields=["is_open"])
    review.is_open = False
    return locked


def _two_places(value: Fraction) -> float:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def grade_of(score: float | None) -> str:
    if score is None:
        return ""
    return next(label for floor, label in GRADES if score >= floor)


def _results(reviews: list[DemocraticReview]) -> list[dict[str, object]]:
    """Three queries whatever the number of departments: reviews' questions, score sums, respondents."""
    ids = [r.pk for r in reviews]
    questions: dict[int, list[ReviewQuestion]] = {pk: [] for pk in ids}
    for q in ReviewQuestion.objects.filter(review_id__in=ids).order_by("order", "id"):
        questions[q.review_id].append(q)
    sums = {
        row["question_id"]: (row["total"], row["n"])
        for row in ReviewScore.objects.filter(review_id__in=ids)
        .values("question_id")
        .annotate(total=Sum("score"), n=Count("id"))
    }
    respondents = {
        row["review_id"]: row["n"]
        for row in ReviewScore.objects.filter(review_id__in=ids)
        .values("review_id")
        .annotate(n=Count("member_id", distinct=True))
    }
    results = []
    for review in reviews:
        items, weighted, weights = [], Fraction(0), 0
        for q in questions[review.pk]:
            total, n = sums.get(q.pk, (0, 0))
            average = Fraction(total, n) if n else None
            items.append(
                {
                    "id": q.pk,
                    "text": q.text,
                    "weight": q.weight,
                    "max_score": q.max_score,
                    "average": _two_places(average) if average is not None else None,
                }
            )
            if average is not None:
                weighted += q.weight * average / q.max_score
                weights += q.weight
        score = _two_places(weighted / weights * 100) if weights else None
        results.append(
            {
                "review_id": review.pk,
                "unit_id": review.unit_id,
                "unit": review.unit.name,
                "is_open": review.is_open,
                "respondents": respondents.get(review.pk, 0),
                "questions": items,
                "score": score,
                "grade": grade_of(score),
            }
        )
    return results


def review_result(review: DemocraticReview) -> dict[str, object]:
    """unit, respondents, the average of each question, the weighted score out of 100 (2 decimals; None
    before anyone scored) and its grade."""
    if "unit" not in review._state.fields_cache:
        review = DemocraticReview.objects.select_related("unit").get(pk=review.pk)
    return _results([review])[0]


def consultation_review_results(consultation: Consultation) -> list[dict[str, object]]:
    """One result per department reviewed in the consultation, in the order they were set up."""
    reviews = list(consultation.reviews.select_related("unit").order_by("id"))
    return _results(reviews) if reviews else []
