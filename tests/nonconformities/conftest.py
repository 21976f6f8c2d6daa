from datetime import timedelta

import pytest
from django.utils import timezone

from nonconformities import services
from nonconformities.models import CauseCategory
from tests.nonconformities.factories import raise_nc


class Loop:
    """Takes an NC through the loop step by step, as the right people."""

    def __init__(self, world):
        self.world = world

    def raised(self, **kwargs):
        return raise_nc(kwargs.pop("actor", self.world.iso), self.world.school, **kwargs)

    def contained(self, **kwargs):
        nc = self.raised(**kwargs)
        return services.nonconformity_contain(
            nc, actor=self.world.principal, containment="Đã bổ sung biên bản còn thiếu."
        )

    def analysed(self, **kwargs):
        nc = self.contained(**kwargs)
        return services.nonconformity_analyse(
            nc,
            actor=self.world.principal,
            root_cause="Quy trình chưa phân công người lưu biên bản.",
            whys=["Biên bản không được lưu", "Không ai được giao lưu"],
            fishbone=[(CauseCategory.objects.get(code="methods"), "Quy trình thiếu bước lưu")],
        )

    def extent_checked(self, **kwargs):
        nc = self.analysed(**kwargs)
        return services.nonconformity_check_extent(
            nc, actor=self.world.principal, extent_check="Đã kiểm tra các khối lớp khác."
        )

    def in_action(self, **kwargs):
        nc = self.extent_checked(**kwargs)
        self.action = services.action_add(
            nc,
            actor=self.world.principal,
            description="Sửa quy trình, giao thư ký lưu biên bản.",
            owner=self.world.teacher,
            due=timezone.localdate() + timedelta(days=10),
        )
        nc.refresh_from_db()
        return nc

    def awaiting_verification(self, **kwargs):
        nc = self.in_action(**kwargs)
        services.action_complete(
            self.action, actor=self.world.teacher, evidence="Quy trình sửa đổi lần 2 đã ban hành."
        )
        nc.refresh_from_db()
        return nc

    def verified(self, **kwargs):
        nc = self.awaiting_verification(**kwargs)
        return services.nonconformity_verify(
            nc,
            actor=self.world.director,
            result="effective",
            notes="Kiểm tra 3 tháng: không lặp lại.",
        )

    def closed(self, **kwargs):
        nc = self.verified(**kwargs)
        return services.nonconformity_close(nc, actor=self.world.principal, password="demo")


@pytest.fixture
def loop(world):
    return Loop(world)
