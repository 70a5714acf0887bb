"""A small area tree and a volunteer for the service tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import Session

from core.models import Area, AreaCreate, Volunteer, VolunteerCreate
from core.services.areas import create_area
from core.services.registration import register_volunteer


@dataclass
class Tree:
    city: Area
    district: Area
    street: Area
    sunshine: Area
    riverside: Area


@pytest.fixture
def tree(session: Session) -> Tree:
    """光明市 → 星河区 → 星光街道 → 阳光社区 / 滨江社区."""
    city = create_area(session, data=AreaCreate(
        code="t-city", level="city", name_zh="光明市", name_en="Guangming City"))
    district = create_area(session, data=AreaCreate(
        code="t-xh", level="district", name_zh="星河区", name_en="Xinghe District",
        parent_id=city.id))
    street = create_area(session, data=AreaCreate(
        code="t-s1", level="street", name_zh="星光街道", name_en="Xingguang Street",
        parent_id=district.id))
    sunshine = create_area(session, data=AreaCreate(
        code="t-c1", level="community", name_zh="阳光社区", name_en="Yangguang Community",
        aliases=["阳光小区", "Sunshine Community"], parent_id=street.id))
    riverside = create_area(session, data=AreaCreate(
        code="t-c2", level="community", name_zh="滨江社区", name_en="Binjiang Community",
        aliases=["滨江公园"], parent_id=street.id))
    return Tree(city, district, street, sunshine, riverside)


@pytest.fixture
def volunteer(session: Session, tree: Tree) -> Volunteer:
    """An on-duty sign-language volunteer living in 阳光社区."""
    return register_volunteer(session, data=VolunteerCreate(
        name="李明", languages=["zh", "en"], skills=["sign_language", "escort"],
        home_area_id=tree.sunshine.id, service_area_ids=[tree.sunshine.id, tree.street.id],
        on_duty=True, phone="139-0000-0001"))
