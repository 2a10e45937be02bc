"""民主评议: a supervisory consultation scores two departments; each member scores once; the result per
department is the weighted share of the maximum, out of 100, with its grade."""

import pytest

from zhengxie.consultations import reviews, services
from zhengxie.consultations.models import DemocraticReview, Form, ReviewQuestion, ReviewScore
from zhengxie.testing.factories import HandlingUnitFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

EDUCATION_QUESTIONS = [("工作作风", 3, 10), ("办事效率", 2, 10), ("群众满意度", 5, 20)]
HOUSING_QUESTIONS = [("工作作风", 1, 10), ("建议落实情况", 2, 10)]


@pytest.fixture
def rw(cw):  # type: ignore[no-untyped-def]
    w = cw.world
    w.other_member.user = UserFactory(username="lisi")
    w.other_member.save()
    zhao = MemberFactory(committee=w.city, name="赵六", user=UserFactory(username="zhaoliu"))
    c = cw.held(members=[w.member, w.other_member, zhao], form=Form.SUPERVISORY, title="民主评议市直部门")
    education = reviews.review_create(
        consultation=c, user=w.office, unit=w.unit, questions=EDUCATION_QUESTIONS
    )
    housing = reviews.review_create(
        consultation=c, user=w.office, unit=cw.other_unit, questions=HOUSING_QUESTIONS
    )
    cw.c, cw.education, cw.housing, cw.zhao = c, education, housing, zhao
    return cw


def score(review, user, values):  # type: ignore[no-untyped-def]
    ids = list(review.questions.order_by("order").values_list("pk", flat=True))
    return reviews.review_submit_scores(review=review, user=user, scores=dict(zip(ids, values, strict=True)))


def test_two_departments_scored_by_several_members(rw):
    w = rw.world
    score(rw.education, w.member_user, [10, 7, 15])
    score(rw.education, w.other_member.user, [8, 6, 16])
    score(rw.education, rw.zhao.user, [9, 8, 14])
    score(rw.housing, w.member_user, [7, 5])
    score(rw.housing, w.other_member.user, [6, 6])

    results = reviews.consultation_review_results(rw.c)
    assert [r["unit"] for r in results] == ["江门市教育局", "江门市住房和城乡建设局"]
    education, housing = results
    # Averages 9, 7, 15 of 10, 10, 20 weighted 3:2:5 -> (2.7 + 1.4 + 3.75) / 10 = 78.50
    assert education["respondents"] == 3
    assert [q["average"] for q in education["questions"]] == [9.0, 7.0, 15.0]
    assert [(q["text"], q["weight"], q["max_score"]) for q in education["questions"]] == EDUCATION_QUESTIONS
    assert (education["score"], education["grade"]) == (78.5, "基本满意")
    # Averages 6.5, 5.5 of 10 weighted 1:2 -> (0.65 + 1.1) / 3 = 58.33
    assert housing["respondents"] == 2
    assert [q["average"] for q in housing["questions"]] == [6.5, 5.5]
    assert (housing["score"], housing["grade"]) == (58.33, "不满意")
    assert reviews.review_result(rw.education) == education


def test_a_satisfied_department_and_the_grade_bounds(rw):
    w = rw.world
    score(rw.education, w.member_user, [10, 9, 18])  # (3 + 1.8 + 4.5) / 10 = 93.00
    result = reviews.review_result(DemocraticReview.objects.get(pk=rw.education.pk))
    assert (result["respondents"], result["score"], result["grade"]) == (1, 93.0, "满意")
    assert [reviews.grade_of(s) for s in (100, 90, 89.99, 70, 69.99, 0, None)] == [
        "满意", "满意", "基本满意", "基本满意", "不满意", "不满意", "",
    ]  # fmt: skip


def test_no_scores_yet_means_no_score(rw):
    result = reviews.review_result(rw.housing)
    assert (result["respondents"], result["score"], result["grade"]) == (0, None, "")
    assert [q["average"] for q in result["questions"]] == [None, None]


def test_results_take_the_same_queries_for_one_or_many_departments(rw, django_assert_num_queries):
    w = rw.world
    score(rw.education, w.member_user, [10, 7, 15])
    third = HandlingUnitFactory(committee=w.city, name="江门市民政局")
    with django_assert_num_queries(4):
        reviews.consultation_review_results(rw.c)
    reviews.review_create(consultation=rw.c, user=w.office, unit=third, questions=[("服务", 1, 5)])
    with django_assert_num_queries(4):
        assert len(reviews.consultation_review_results(rw.c)) == 3


def test_score_refusals_change_nothing(rw):
    w = rw.world
    score(rw.education, w.member_user, [10, 7, 15])
    before = sorted(ReviewScore.objects.values_list("question_id", "member_id", "score"))
    stranger = MemberFactory(committee=w.city, name="未参加委员", user=UserFactory(username="stranger"))
    ids = list(rw.education.questions.order_by("order").values_list("pk", flat=True))
    housing_id = rw.housing.questions.first().pk
    cases = [
        (w.member_user, [10, 7, 15], "已提交过评分"),
        (stranger.user, [10, 7, 15], "参加本次协商的委员"),
        (w.office, [10, 7, 15], "参加本次协商的委员"),
        (w.sibling_office, [10, 7, 15], "参加本次协商的委员"),
        (w.other_member.user, [10, 7], "每个测评项目"),
        (w.other_member.user, [11, 7, 15], "0到10"),
        (w.other_member.user, [10, 7, 21], "0到20"),
        (w.other_member.user, [-1, 7, 15], "0到10"),
        (w.other_member.user, [True, 7, 15], "0到10"),
        (w.other_member.user, ["9", 7, 15], "0到10"),
    ]
    for user, values, message in cases:
        scores = dict(zip(ids, values, strict=False))
        with pytest.raises(services.ConsultationError, match=message):
            reviews.review_submit_scores(review=rw.education, user=user, scores=scores)
    with pytest.raises(services.ConsultationError, match="每个测评项目"):
        reviews.review_submit_scores(
            review=rw.education,
            user=w.other_member.user,
            scores={**dict(zip(ids, [1, 1, 1], strict=True)), housing_id: 1},
        )
    assert sorted(ReviewScore.objects.values_list("question_id", "member_id", "score")) == before


def test_a_closed_review_takes_no_more_scores(rw):
    w = rw.world
    with pytest.raises(services.ConsultationError, match="无权"):
        reviews.review_close(review=rw.education, user=w.member_user)
    reviews.review_close(review=rw.education, user=w.office)
    with pytest.raises(services.ConsultationError, match="已结束评分"):
        score(rw.education, w.member_user, [10, 7, 15])
    with pytest.raises(services.ConsultationError, match="已结束评分"):
        reviews.review_close(review=rw.education, user=w.office)
    assert not ReviewScore.objects.exists()
    assert reviews.review_result(rw.education)["is_open"] is False


def test_review_create_refusals_change_nothing(rw):
    w = rw.world
    standing = rw.held(title="常委会议")
    sibling_unit = HandlingUnitFactory(committee=w.sibling, name="贺州市教育局")
    fresh = HandlingUnitFactory(committee=w.city, name="江门市交通运输局")
    before = (DemocraticReview.objects.count(), ReviewQuestion.objects.count())
    cases = [
        ({"user": w.member_user}, "无权"),
        ({"user": w.sibling_office}, "无权"),
        ({"consultation": standing}, "只有监督式协商"),
        ({"unit": sibling_unit}, "被评议单位"),
        ({"unit": w.unit}, "已对江门市教育局开展民主评议"),
        ({"questions": []}, "至少设置一个"),
        ({"questions": [("作风", 0, 10)]}, "权重须为1到100"),
        ({"questions": [("作风", 1, 0)]}, "满分须为1到100"),
        ({"questions": [("作风", 1, 101)]}, "满分须为1到100"),
        ({"questions": [("", 1, 10)]}, "第1个测评项目不能为空"),
        ({"questions": [("作风", 1, 10), ("效率", "2", 10)]}, "第2个测评项目的权重"),
        ({"questions": [("作风", 1)]}, "格式无效"),
        ({"questions": [("项", 1, 10)] * 31}, "不能超过30个"),
    ]
    for kwargs, message in cases:
        data = {
            "consultation": rw.c,
            "user": w.office,
            "unit": fresh,
            "questions": [("作风", 1, 10)],
            **kwargs,
        }
        with pytest.raises(services.ConsultationError, match=message):
            reviews.review_create(**data)
    assert (DemocraticReview.objects.count(), ReviewQuestion.objects.count()) == before
