"""The ``register`` PDF: the document register with the register page's filters applied."""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ims.models import User
from ims.reports import ReportKind

from .forms import RegisterFilterForm
from .models import Document
from .register import register_queryset

MAX_ROWS = 2000


@dataclass(frozen=True)
class Register:
    """The register has no row of its own: the report's "object" is the register itself."""

    user: User | None
    pk: int = 0


def clean_params(
    params: dict[str, Any] | None, user: User | None
) -> tuple[RegisterFilterForm, dict[str, Any], list[str]]:
    """Validate report params (``f_type=procedure`` from the page, or ``type=procedure`` from the
    command line) with the register's own filter form. Returns (cleaned data, ignored keys):
    unknown keys and invalid values are left out and listed, never rendered blindly."""
    data: dict[str, str] = {}
    ignored: list[str] = []
    for key, value in (params or {}).items():
        name = key[2:] if key.startswith("f_") else key
        if name in RegisterFilterForm.FIELDS and isinstance(value, str):
            data[name] = value[:200]
        else:
            ignored.append(str(key)[:40])
    form = RegisterFilterForm(data, user=user)
    form.is_valid()
    ignored += list(form.errors)
    cleaned = {k: v for k, v in form.cleaned_data.items() if k not in form.errors}
    return form, cleaned, ignored


class RegisterReport(ReportKind):
    code = "register"
    label = _("Document register")
    template = "reports/register.html"

    def queryset(self, user: User | None) -> QuerySet[Document]:
        documents = Document.objects.all()
        return documents if user is None else documents.for_user(user)

    def get_object(self, user: User | None, object_id: object) -> Register:
        if str(object_id) not in ("0", ""):
            raise Http404
        return Register(user=user)

    def get_context(self, obj: Register, params: dict[str, Any]) -> dict[str, Any]:
        form, cleaned, ignored = clean_params(params, obj.user)
        documents = register_queryset(obj.user, cleaned, today=timezone.localdate())
        rows = list(documents[: MAX_ROWS + 1])
        return {
            "documents": rows[:MAX_ROWS],
            "truncated": len(rows) > MAX_ROWS,
            "total": len(rows[:MAX_ROWS]),
            "filters": form.applied() if form.is_bound else [],
            "ignored": ignored,
        }

    def filename(self, obj: Register, params: dict[str, Any]) -> str:
        return f"so-dang-ky-tai-lieu-{timezone.localdate():%Y%m%d}.pdf"
