import pytest

from zhengxie.org.models import HandlingUnit
from zhengxie.textindex.segment import words


@pytest.mark.django_db
def test_unit_names_from_the_database_stay_whole(world):
    committee = world.city
    text = "建议青龙湾片区综合治理办公室牵头整治河道"
    assert "青龙湾片区综合治理办公室" not in words(text, refresh=True)
    HandlingUnit.objects.create(committee=committee, name="青龙湾片区综合治理办公室")
    assert "青龙湾片区综合治理办公室" in words(text, refresh=True)


def test_punctuation_stopwords_and_single_characters_are_dropped():
    got = words("关于加强公交线路管理的建议！！")
    assert "的" not in got and "！" not in "".join(got)
    assert "公交线路" in got or "公交" in got


@pytest.mark.django_db
def test_seed_demo_text_part_indexes_the_demo_records(world):
    import io

    from zhengxie.textindex.demo import seed_text
    from zhengxie.textindex.models import SearchDocument

    out = io.StringIO()
    got = seed_text(out)
    assert "已建立文本索引" in out.getvalue()
    assert got["search"] == SearchDocument.objects.count()
    assert got["models"] >= 1  # the all-committees category model at least
