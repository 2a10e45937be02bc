from zhengxie.accounts.access import members_visible_to, statistics_committees


def test_world_builds_with_tree_paths(world):
    assert world.county.path.startswith(world.city.path)
    assert set(statistics_committees(world.province_office)) == {
        world.province,
        world.city,
        world.sibling,
        world.county,
    }
    assert list(members_visible_to(world.member_user)) == [world.member]
