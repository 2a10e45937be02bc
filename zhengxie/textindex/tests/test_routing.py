import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from zhengxie.accounts.models import AuditLog
from zhengxie.org.models import Session, Term
from zhengxie.proposals import services
from zhengxie.proposals.models import Assignment, Proposal, State
from zhengxie.testing.factories import HandlingUnitFactory
from zhengxie.textindex import routing
from zhengxie.textindex.models import CategoryUnitRule, Suggestion

BUS = [
    "关于优化{}公交线路的建议",
    "关于在{}增设公交站台的建议",
    "关于延长{}夜班公交运营时间的建议",
    "关于{}公交车辆更新为新能源车的建议",
]
SCHOOL = [
    "关于{}中小学课后服务的建议",
    "关于缓解{}学校大班额的建议",
    "关于{}乡村教师待遇的建议",
    "关于{}学校周边交通安全的建议",
]
PLACES = ["蓬江区", "江海区", "新会区", "台山市", "开平市", "鹤山市"]


@pytest.fixture(autouse=True)
def routing_dir(settings, tmp_path):
    settings.ROUTING_DIR = tmp_path / "routing"
    routing._cache.clear()
    yield
    routing._cache.clear()


@pytest.fixture
def rw(world):
    """The city committee with a session and a few handling units named as a city names them."""
    term = Term.objects.create(committee=world.city, number=14, start_year=2023, end_year=2027)
    session = Session.objects.create(committee=world.city, term=term, number=2, year=2026)
    units = {
        "transport": HandlingUnitFactory(committee=world.city, name="江门市交通运输局"),
        "bus": HandlingUnitFactory(committee=world.city, name="江门市公交集团"),
        "police": HandlingUnitFactory(committee=world.city, name="江门市公安局"),
        "housing": HandlingUnitFactory(committee=world.city, name="江门市住房和城乡建设局"),
        "education": world.unit,  # 江门市教育局
    }
    world.session = session
    world.units = units
    return world


def filed(w, title: str, category: str = "society") -> Proposal:
    p = services.proposal_draft_create(
        user=w.member_user,
        author=w.member,
        session=w.session,
        title=title,
        background="群众反映强烈。",
        suggestions="建议有关部门研究解决。",
        category=category,
    )
    p = services.proposal_submit(proposal=p, user=w.member_user)
    return services.review_file(proposal=p, user=w.office)


def history(w) -> None:
    """A past year of this committee: bus proposals went to its bus company (with the transport bureau
    co-handling), school proposals to the education bureau."""
    rows = []
    for template in BUS + SCHOOL:
        for place in PLACES:
            rows.append(
                Proposal(
                    committee=w.city,
                    session=w.session,
                    title=template.format(place),
                    background="群众反映强烈。",
                    suggestions="建议研究解决。",
                    category="society" if template in BUS else "culture",
                    created_by=w.member_user,
                    author=w.member,
                    state=State.CLOSED,
                )
            )
    Proposal.objects.bulk_create(rows)
    assignments = []
    for p in Proposal.objects.filter(committee=w.city, state=State.CLOSED):
        bus = "公交" in p.title
        lead = w.units["bus"] if bus else w.units["education"]
        assignments.append(
            Assignment(
                proposal=p,
                committee=w.city,
                unit=lead,
                role="lead",
                status="done",
                deadline="2026-06-30",
            )
        )
        if bus:
            assignments.append(
                Assignment(
                    proposal=p,
                    committee=w.city,
                    unit=w.units["transport"],
                    role="co",
                    status="done",
                    deadline="2026-06-30",
                )
            )
    Assignment.objects.bulk_create(assignments)


# ------------------------------------------------------------------------------------------------ model


def test_router_explains_with_words_of_the_text():
    texts = [t.format(p) for t in BUS for p in PLACES] + [t.format(p) for t in SCHOOL for p in PLACES]
    labels = ["bus"] * 24 + ["school"] * 24
    router = routing.Router().fit(texts, labels)
    text = "关于增加城区公交线路的建议"
    best = router.predict(text, k=2)
    assert [s.value for s in best] == ["bus", "school"]
    assert best[0].score > 0.7 and abs(sum(s.score for s in best) - 1) < 1e-6
    assert best[0].words and all(w in text for w in best[0].words)
    assert any("公交" in w for w in best[0].words)


# ----------------------------------------------------------------------------------------- suggestions


@pytest.mark.django_db
def test_new_committee_gets_units_from_the_category_table(rw):
    p = filed(rw, "关于优化城区公交线路和道路交通的建议", category="society")
    s = routing.suggest(p)
    assert s.units_source == "table" and s.category_source == "table"
    # society: the table's units this committee has, the transport bureau first for its keywords
    lead = s.lead[0]
    assert lead.value == str(rw.units["transport"].pk)
    assert "公交" in lead.words or "交通" in lead.words
    # no proposal labelled anywhere yet: the category comes from the table's keywords
    assert routing.category_from_table("关于老旧小区加装电梯和物业管理的建议")[0].value == "society"
    # an office's own rows replace the table for that category
    CategoryUnitRule.objects.create(
        committee=rw.city, category="society", unit=rw.units["bus"], keywords="公交 线路", position=0
    )
    s = routing.suggest(p)
    assert [u.value for u in s.lead] == [str(rw.units["bus"].pk)]


@pytest.mark.django_db
def test_trained_committee_learns_its_own_units(rw):
    history(rw)
    models = {m.committee_id: m for m in routing.retrain(rw.city.pk)}
    own = models[rw.city.pk]
    assert own.lead is not None and own.co is not None and own.category is not None
    assert routing.load(rw.city.pk).version == own.version  # stored: a new process finds it

    p = filed(rw, "关于增开新会区至江海区公交线路的建议", category="economy")
    s = routing.suggest(p)
    assert s.units_source == "committee"
    # Its own habit, not the table: the bus company leads (it is in no row of the table).
    assert s.lead[0].value == str(rw.units["bus"].pk)
    assert any("公交" in w for w in s.lead[0].words)
    assert [u.value for u in s.co] == [str(rw.units["transport"].pk)]
    assert s.category[0].value == "society"

    school = filed(rw, "关于加强农村学校教师队伍建设的建议")
    assert routing.suggest(school).lead[0].value == str(rw.units["education"].pk)


@pytest.mark.django_db
def test_a_returned_assignment_teaches_nothing(rw):
    history(rw)
    Assignment.objects.filter(unit=rw.units["bus"]).update(status=Assignment.Status.RETURNED)
    models = {m.committee_id: m for m in routing.retrain(rw.city.pk)}
    lead = models[rw.city.pk].lead
    assert lead is None or str(rw.units["bus"].pk) not in lead.classes_


# ------------------------------------------------------------------------------------------ panel, log


@pytest.mark.django_db
def test_panel_logs_the_suggestion_and_the_assignment_records_the_choice(rw, client):
    p = filed(rw, "关于优化城区公交线路和道路交通的建议")
    client.force_login(rw.office)
    url = reverse("textindex:routing_panel", args=[p.pk])
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "机器建议" in html and "江门市交通运输局" in html and "依据词" in html
    assert "data-routing-fill" in html and "<script" not in html
    rows = Suggestion.objects.filter(proposal=p).order_by("kind")
    assert {r.kind for r in rows} == {"category", "units"}
    units = rows.get(kind="units")
    assert units.outcome == "pending" and units.user == rw.office and units.model_version == "table-1"
    assert units.suggested[0]["role"] == "lead" and units.suggested[0]["value"] == str(
        rw.units["transport"].pk
    )
    assert units.suggested[0]["words"]
    assert AuditLog.objects.filter(object_type__icontains="suggestion", object_id=str(units.pk)).exists()

    client.get(url)  # a reload shows the same suggestion: no second row
    assert Suggestion.objects.filter(proposal=p).count() == 2

    services.assignment_create(
        proposal=p, user=rw.office, lead=rw.units["police"], co_units=[rw.units["transport"]]
    )
    units.refresh_from_db()
    assert units.chosen == {"lead": str(rw.units["police"].pk), "co": [str(rw.units["transport"].pk)]}
    assert units.outcome == "partial" and units.decided_at is not None

    other = filed(rw, "关于优化城区公交线路和道路交通的建议")
    client.get(reverse("textindex:routing_panel", args=[other.pk]))
    row = Suggestion.objects.get(proposal=other, kind="units")
    suggested = {e["value"] for e in row.suggested}
    co = [
        u for key, u in rw.units.items() if str(u.pk) in suggested and str(u.pk) != row.suggested[0]["value"]
    ]
    services.assignment_create(proposal=other, user=rw.office, lead=rw.units["transport"], co_units=co)
    row.refresh_from_db()
    assert row.outcome == "accepted"


@pytest.mark.django_db
def test_filing_records_the_category_chosen(rw, client):
    p = services.proposal_submit(
        proposal=services.proposal_draft_create(
            user=rw.member_user,
            author=rw.member,
            session=rw.session,
            title="关于治理河道污染和改善水质的建议",
            background="河道污染。",
            suggestions="加强治理。",
            category="other",
        ),
        user=rw.member_user,
    )
    client.force_login(rw.office)
    client.get(reverse("textindex:routing_panel", args=[p.pk]))
    row = Suggestion.objects.get(proposal=p, kind="category")
    assert row.suggested[0]["value"] == "ecology"
    services.review_file(proposal=p, user=rw.office, category="society")
    row.refresh_from_db()
    assert row.chosen == {"category": "society"} and row.outcome == "overridden"


@pytest.mark.django_db
def test_panel_is_for_the_office_of_the_committee_only(rw, client):
    p = filed(rw, "关于优化城区公交线路的建议")
    url = reverse("textindex:routing_panel", args=[p.pk])
    assert client.get(url).status_code == 302  # login page
    for user, status in (
        (rw.office, 200),
        (rw.member_user, 403),  # the proposer sees the proposal, not the suggestion
        (rw.leader, 403),
        (rw.sibling_office, 404),  # another committee's office: the proposal does not exist for it
        (rw.province_office, 404),
    ):
        client.force_login(user)
        assert client.get(url).status_code == status, user
    assert not Suggestion.objects.exclude(user=rw.office).exists()


@pytest.mark.django_db
def test_panel_outside_filing_and_assignment_suggests_nothing(rw, client):
    p = filed(rw, "关于优化城区公交线路的建议")
    services.assignment_create(proposal=p, user=rw.office, lead=rw.units["bus"])
    client.force_login(rw.office)
    response = client.get(reverse("textindex:routing_panel", args=[p.pk]))
    assert response.status_code == 200 and "不在立案或交办环节" in response.content.decode()
    assert not Suggestion.objects.filter(proposal=p).exists()


# ------------------------------------------------------------------------------------- evaluate_routing


def write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return str(path)


def tiny_sets(tmp_path):
    train = "title,label\n" + "".join(
        f"{t.format(p)},{label}\n"
        for label, templates in (("交通运输", BUS), ("教育文体", SCHOOL))
        for t in templates
        for p in PLACES[:4]
    )
    test = "title,label,detail\n" + "".join(
        f"{t.format(p)},{label},\n"
        for label, templates in (("交通运输", BUS), ("教育文体", SCHOOL))
        for t in templates
        for p in PLACES[4:]
    )
    return write(tmp_path / "train.csv", train), write(tmp_path / "test.csv", test)


def test_evaluate_routing_prints_the_scores(tmp_path):
    train, test = tiny_sets(tmp_path)
    out = StringIO()
    call_command("evaluate_routing", train=train, test=test, stdout=out)
    result = json.loads(out.getvalue())
    assert result["n_train"] == 32 and result["n_test"] == 16
    assert result["macro_f1"] >= 0.9 and result["accuracy"] >= 0.9 and result["top2_accuracy"] == 1.0
    assert result["train_seconds"] >= 0 and result["p50_ms"] > 0


@pytest.mark.parametrize(
    ("content", "encoding", "message"),
    [
        (None, "utf-8", "文件不存在"),
        ("title,category\n公交线路,交通\n", "utf-8", "缺少列：label"),
        ("title,label\n公交线路,交通\n", "gbk", "不是 UTF-8"),
        ("title,label\n", "utf-8", "没有数据行"),
        ("title,label\n公交线路,\n", "utf-8", "label 为空"),
        ("title,label\n公交线路,交通\n学校,交通\n", "utf-8", "至少需要两个不同的类别"),
    ],
)
def test_evaluate_routing_bad_training_file(tmp_path, content, encoding, message):
    _, test = tiny_sets(tmp_path)
    train = (
        str(tmp_path / "missing.csv") if content is None else write(tmp_path / "bad.csv", content, encoding)
    )
    with pytest.raises(CommandError, match=message):
        call_command("evaluate_routing", train=train, test=test, stdout=StringIO())


def test_evaluate_routing_bad_test_file(tmp_path):
    train, _ = tiny_sets(tmp_path)
    test = write(tmp_path / "test.csv", "title,label\n,交通\n")
    with pytest.raises(CommandError, match="测试集第 2 行：title 和 detail 都为空"):
        call_command("evaluate_routing", train=train, test=test, stdout=StringIO())


# ------------------------------------------------------------------------------------------- retraining


@pytest.mark.django_db
def test_enough_new_assignments_retrain_in_the_background(rw, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    cache.delete(routing._retrain_key(rw.city.pk))
    history(rw)  # 48 past assignments, no model yet
    assert routing.load(rw.city.pk) is None
    p = filed(rw, "关于增开夜班公交线路的建议")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.assignment_create(proposal=p, user=rw.office, lead=rw.units["bus"])
    assert [c for c in callbacks if "retrain_routing_task" in repr(c)]
    models = routing.load(rw.city.pk)
    assert models is not None and models.lead is not None and models.n_assignments == 49
    assert routing.load(None) is not None  # the all-committees category model too
    # Right after, nothing new to learn: the next assignment queues nothing.
    other = filed(rw, "关于改善学校午餐的建议")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.assignment_create(proposal=other, user=rw.office, lead=rw.units["education"])
    assert not [c for c in callbacks if "retrain_routing_task" in repr(c)]


@pytest.mark.django_db
def test_retrain_routing_command(rw):
    history(rw)
    out = StringIO()
    call_command("retrain_routing", committee=rw.city.pk, stdout=out)
    assert "已训练：类别、主办、会办" in out.getvalue()
    assert routing.load(rw.city.pk).lead is not None
    with pytest.raises(CommandError, match="没有编号为 999999 的政协"):
        call_command("retrain_routing", committee=999999, stdout=StringIO())
