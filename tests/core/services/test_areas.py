"""Area tree service: paths, tree queries, search, refusing to delete used areas."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.exceptions import AlreadyExists, InvalidInput, NotAllowed, NotFound
from core.models import AreaCreate, AreaUpdate, Resident
from core.services import areas
from tests.core.services.conftest import Tree


def test_paths_and_depths_follow_the_tree(tree: Tree) -> None:
    assert tree.city.path == f"/{tree.city.id}/"
    assert tree.sunshine.path == (
        f"/{tree.city.id}/{tree.district.id}/{tree.street.id}/{tree.sunshine.id}/"
    )
    assert [tree.city.depth, tree.district.depth, tree.street.depth, tree.sunshine.depth] == [
        0, 1, 2, 3]


def test_children_ancestors_descendants(session: Session, tree: Tree) -> None:
    kids = areas.area_children(session, area_id=tree.street.id)
    assert {a.code for a in kids} == {"t-c1", "t-c2"}
    up = areas.area_ancestors(session, area_id=tree.sunshine.id)
    assert [a.code for a in up] == ["t-city", "t-xh", "t-s1"]
    with_self = areas.area_ancestors(session, area_id=tree.sunshine.id, include_self=True)
    assert with_self[-1].id == tree.sunshine.id
    assert areas.area_ancestors(session, area_id=tree.city.id) == []
    below = areas.area_descendant_ids(session, area_id=tree.street.id)
    assert set(below) == {tree.street.id, tree.sunshine.id, tree.riverside.id}
    assert areas.area_descendant_ids(session, area_id=tree.sunshine.id) == [tree.sunshine.id]


def test_descendants_do_not_match_sibling_id_prefixes(session: Session, tree: Tree) -> None:
    # "/1/2/3/" must not match "/1/2/31/": the trailing slash makes the prefix exact.
    extra = [areas.create_area(session, data=AreaCreate(
        code=f"t-s{i}", level="street", name_zh=f"街道{i}", name_en=f"Street {i}",
        parent_id=tree.district.id)) for i in range(2, 40)]
    assert any(str(a.id).startswith(str(tree.street.id)) for a in extra)
    below = areas.area_descendant_ids(session, area_id=tree.street.id)
    assert set(below) == {tree.street.id, tree.sunshine.id, tree.riverside.id}


def test_list_areas_filters(session: Session, tree: Tree) -> None:
    assert len(areas.list_areas(session)) == 5
    assert {a.code for a in areas.list_areas(session, level="community")} == {"t-c1", "t-c2"}
    assert [a.code for a in areas.list_areas(session, parent_id=tree.city.id)] == ["t-xh"]


@pytest.mark.parametrize(
    ("query", "first"),
    [("阳光社区", "t-c1"), ("sunshine community", "t-c1"), ("阳光", "t-c1"),
     ("Yangguang", "t-c1"), ("滨江公园", "t-c2"), ("我住在阳光社区3栋", "t-c1"),
     ("星河区", "t-xh")],
)
def test_search_areas(session: Session, tree: Tree, query: str, first: str) -> None:
    found = areas.search_areas(session, name=query)
    assert found and found[0].code == first


def test_search_exact_before_partial(session: Session, tree: Tree) -> None:
    found = areas.search_areas(session, name="星光街道")
    assert found[0].code == "t-s1"
    assert areas.search_areas(session, name="   ") == []
    assert areas.search_areas(session, name="火星基地") == []


def test_update_area(session: Session, tree: Tree) -> None:
    area = areas.update_area(session, area_id=tree.sunshine.id,
                             data=AreaUpdate(aliases=["阳光里", " ", "阳光里"]))
    assert area.aliases == ["阳光里"]
    assert area.name_zh == "阳光社区"
    with pytest.raises(InvalidInput):
        areas.update_area(session, area_id=tree.sunshine.id, data=AreaUpdate(name_en=""))


def test_create_errors(session: Session, tree: Tree) -> None:
    with pytest.raises(AlreadyExists):
        areas.create_area(session, data=AreaCreate(
            code="t-c1", level="community", name_zh="重复", name_en="Dup",
            parent_id=tree.street.id))
    with pytest.raises(InvalidInput) as err:
        areas.create_area(session, data=AreaCreate(
            code="t-x", level="planet", name_zh="x", name_en="x"))
    assert err.value.prompt_key == "profile.invalid.level"
    with pytest.raises(InvalidInput):  # a street cannot sit under a community
        areas.create_area(session, data=AreaCreate(
            code="t-x", level="street", name_zh="x", name_en="x", parent_id=tree.sunshine.id))
    with pytest.raises(InvalidInput) as err:
        areas.create_area(session, data=AreaCreate(
            code="t-x", level="community", name_zh="x", name_en="x", parent_id=9999))
    assert err.value.prompt_key == "profile.invalid.area"


def test_not_found(session: Session, tree: Tree) -> None:
    for call in (areas.get_area, areas.area_children, areas.area_ancestors,
                 areas.area_descendant_ids, areas.delete_area):
        with pytest.raises(NotFound):
            call(session, area_id=9999)


def test_delete_refuses_used_areas(session: Session, tree: Tree, volunteer: object) -> None:
    with pytest.raises(NotAllowed) as err:
        areas.delete_area(session, area_id=tree.street.id)  # children, and a service area
    assert "children" in err.value.values["uses"]
    assert "volunteers" in err.value.values["uses"]
    session.add(Resident(name="王芳", area_id=tree.riverside.id))
    session.commit()
    with pytest.raises(NotAllowed) as err:
        areas.delete_area(session, area_id=tree.riverside.id)
    assert err.value.values["uses"] == ["residents"]


def test_delete_unused_area(session: Session, tree: Tree) -> None:
    leaf = areas.create_area(session, data=AreaCreate(
        code="t-c3", level="community", name_zh="新社区", name_en="New Community",
        parent_id=tree.street.id))
    areas.delete_area(session, area_id=leaf.id)
    with pytest.raises(NotFound):
        areas.get_area(session, area_id=leaf.id)
