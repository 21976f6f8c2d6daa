from typing import Any

from django.utils.translation import get_language


def localized(obj: object, field: str) -> Any:
    """The value of ``field`` in the active language, falling back to the Vietnamese one.

    A model keeps its Vietnamese text in ``field`` and optional translations in
    ``field_en`` and ``field_lo``; a blank translation never shows as a blank.
    """
    language = (get_language() or "vi").split("-")[0]
    if language != "vi":
        value = getattr(obj, f"{field}_{language}", "")
        if value:
            return value
    return getattr(obj, field)
