import factory

from nonconformities.models import Nonconformity
from nonconformities.services import nonconformity_raise


def raise_nc(actor, unit, **kwargs):
    """An NC raised through the service, as every module does."""
    kwargs.setdefault("title", "Hồ sơ tuyển sinh thiếu biên bản xét duyệt")
    kwargs.setdefault("description", "Không tìm thấy biên bản họp xét duyệt tuyển sinh năm học.")
    kwargs.setdefault("source", Nonconformity.Source.COMPLAINT)
    return nonconformity_raise(actor=actor, unit=unit, **kwargs)


class NonconformityFactory(factory.Factory):
    """Builds through ``nonconformity_raise`` so numbering and events are real."""

    class Meta:
        model = Nonconformity

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        actor = kwargs.pop("actor")
        unit = kwargs.pop("unit")
        return raise_nc(actor, unit, **kwargs)
