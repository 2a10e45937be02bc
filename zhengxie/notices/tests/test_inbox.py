import pytest

from zhengxie.notices.models import Notification


@pytest.fixture
def notes(world):
    mine = Notification.objects.create(
        committee=world.city, user=world.member_user, verb="filed", title="您的提案已立案", dedupe_key="a"
    )
    other = Notification.objects.create(
        committee=world.city, user=world.office, verb="submitted", title="新提案待审查", dedupe_key="b"
    )
    return mine, other


def login(client, user):
    client.force_login(user)


def test_inbox_lists_only_my_own_notifications(client, world, notes):
    login(client, world.member_user)
    page = client.get("/notices/").content.decode()
    assert "您的提案已立案" in page
    assert "新提案待审查" not in page


def test_post_marks_one_of_mine_read_but_never_someone_elses(client, world, notes):
    mine, other = notes
    login(client, world.member_user)
    assert client.post("/notices/", {"id": other.pk}).status_code == 302
    other.refresh_from_db()
    assert other.read_at is None
    client.post("/notices/", {"id": mine.pk})
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_post_without_id_marks_all_mine_read(client, world, notes):
    _, other = notes
    login(client, world.member_user)
    client.post("/notices/")
    assert Notification.objects.filter(user=world.member_user, read_at__isnull=True).count() == 0
    assert Notification.objects.get(pk=other.pk).read_at is None


def test_inbox_needs_login(client, db):
    assert client.get("/notices/").status_code == 302
