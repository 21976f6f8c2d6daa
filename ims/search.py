"""Search that ignores case and Vietnamese diacritics, the same on SQLite and PostgreSQL.

Searchable models keep a folded copy of their searchable text in an indexed column (see
``fold``); a query is folded the same way and every word must occur. Vietnamese users often type
without diacritics: "quy trinh" finds "Quy trình", "dao tao" finds "Đào tạo".
"""

import unicodedata
from typing import Any

from django.db import models

_SPECIAL = str.maketrans({"đ": "d", "Đ": "d", "ð": "d"})


def fold(text: object) -> str:
    """Lower-case ``text`` and strip diacritics (đ becomes d)."""
    if not text:
        return ""
    text = str(text).translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def fold_join(*parts: object) -> str:
    return fold(" ".join(str(p) for p in parts if p))


def search[Q: models.QuerySet[Any]](queryset: Q, query: object, field: str = "search_text") -> Q:
    """Rows of ``queryset`` whose folded ``field`` contains every word of ``query``."""
    words = fold(query).split()
    condition = models.Q()
    for word in words[:10]:
        condition &= models.Q(**{f"{field}__contains": word})
    return queryset.filter(condition) if words else queryset


class SearchTextField(models.TextField):
    """The folded text a model is searched by; the model fills it in ``save()``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)
