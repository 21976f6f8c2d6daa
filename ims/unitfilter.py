"""The unit filter of the registers: one light ``<select>`` of the units a user may see.

At province scale a user sees 1,000 units. Rendered as a ``ModelChoiceField``, that is 1,000
model instances and 1,000 passes through Django's option template on every register page. Here
the options are built once, as plain markup, from a ``values_list`` query, and kept in Django's
cache per (units the user's visibility starts from, language). Any save or delete of an
``OrgUnit`` changes a version token that is part of every key, so a renamed, added, moved or
removed unit shows at once (``ims.apps`` connects the signal receivers).

It is a native ``<select>``: it works without JavaScript and uses the phone's own picker. The
tree shows as indentation. The submitted id is checked on the server against the units the user
may see; anything else is a form error, never a 500 and never a hint that the unit exists.
"""

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import SimpleNamespace
from typing import Any

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.forms.models import ModelChoiceIterator
from django.forms.renderers import BaseRenderer
from django.forms.utils import flatatt
from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermission

from ims.access import AnyUser
from ims.cache import replace_token, tokens
from ims.models import Membership, OrgUnit
from ims.models.i18n import localized

VERSION_KEY = "unitfilter:version"
OPTIONS_TIMEOUT = 24 * 3600
INDENT = "\u00a0\u00a0\u00a0"


@receiver(post_save, sender=OrgUnit, dispatch_uid="ims.unitfilter.saved")
@receiver(post_delete, sender=OrgUnit, dispatch_uid="ims.unitfilter.deleted")
def units_changed(sender: type[OrgUnit], **kwargs: Any) -> None:
    """Every cached option list is stale."""
    replace_token(VERSION_KEY)


def _scope(user: AnyUser | None) -> str:
    """What the user's visible units are derived from: their active memberships' unit paths
    (each covers its subtree) and their per-unit grants. One query."""
    if user is None or user.is_superuser:
        return "all"
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return "none"
    paths = (
        Membership.objects.active()
        .filter(user=user)
        .order_by()
        .values_list("unit__path", flat=True)
    )
    grants = (
        UserObjectPermission.objects.filter(
            user=user,
            permission__codename="view_orgunit",
            permission__content_type__app_label="ims",
            content_type=ContentType.objects.get_for_model(OrgUnit),
        )
        .order_by()
        .values_list("object_pk", flat=True)
    )
    # Paths end with "/", ids do not: the two kinds cannot be confused in the key.
    return "|".join(sorted(set(paths.union(grants, all=True))))


def _units(user: AnyUser | None) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.all() if user is None else OrgUnit.objects.for_user(user)


def _build_options(user: AnyUser | None) -> str:
    rows = list(_units(user).order_by("path").values_list("pk", "depth", "name", "name_en"))
    top = min((depth for _pk, depth, _name, _name_en in rows), default=0)
    return "".join(
        format_html(
            '<option value="{}">{}{}</option>',
            pk,
            INDENT * (depth - top),
            localized(SimpleNamespace(name=name, name_en=name_en), "name"),
        )
        for pk, depth, name, name_en in rows
    )


def unit_options(user: AnyUser | None) -> str:
    """The ``<option>`` markup of the units ``user`` may see, in tree order (cached)."""
    (version,) = tokens(VERSION_KEY)
    scope = _scope(user)
    if version is None:  # no cache (or it is down): build every time
        return _build_options(user)
    digest = hashlib.sha256(scope.encode()).hexdigest()[:32]
    key = f"unitfilter:{version}:{get_language() or ''}:{digest}"
    options = cache.get(key)
    if options is None:
        options = _build_options(user)
        cache.set(key, options, OPTIONS_TIMEOUT)
    return options


class UnitSelect(forms.Widget):
    """A ``<select>`` whose options come from ``unit_options`` (cached markup)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.user: AnyUser | None = None
        self.empty_label: str | Promise = ""

    def format_value(self, value: Any) -> str:
        value = getattr(value, "pk", value)
        return "" if value in (None, "") else str(value)

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        selected = self.format_value(value)
        options = unit_options(self.user)
        if selected:
            needle = f'<option value="{conditional_escape(selected)}">'
            options = options.replace(needle, needle[:-1] + " selected>", 1)
        empty = format_html(
            '<option value=""{}>{}</option>', "" if selected else " selected", self.empty_label
        )
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        # ``options`` is markup built by ``format_html`` in ``_build_options``; ``flatatt`` and
        # ``format_html`` escape the rest.
        return mark_safe(f"<select{flatatt(final_attrs)}>{empty}{options}</select>")  # noqa: S308

    def value_from_datadict(self, data: Mapping[str, Any], files: Any, name: str) -> Any:
        return data.get(name)


class LightSelect(forms.Select):
    """A ``Select`` that writes its options directly, without the template engine.

    For the registers' longer static lists (the clause filter's ~160 options cost more than
    the rest of the page through the per-option widget templates).
    """

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        choices = list(iter(self.choices))  # iter(): no COUNT query for list()'s length hint
        if any(isinstance(label, (list, tuple)) for _value, label in choices):
            return super().render(name, value, attrs, renderer)  # option groups
        selected = set(self.format_value(value))
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((key, " selected" if str(key) in selected else "", label) for key, label in choices),
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)


class RowChoiceIterator(ModelChoiceIterator):
    """Choices from ``values_list`` rows: no model instance per option."""

    field: "LightModelChoiceField"

    def __iter__(self) -> Iterator[tuple[Any, str]]:
        if self.field.empty_label is not None:
            # Lazy, as Django's own iterator yields it (the stubs say str).
            yield ("", self.field.empty_label)  # type: ignore[misc]
        for row in self.queryset.values_list("pk", *self.field.label_fields):
            yield (row[0], self.field.label_from_row(*row[1:]))


class LightModelChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` for a long filter list: options built from ``label_fields``
    rows by ``label_from_row(*values)`` and written by ``LightSelect``. Cleans to the instance,
    like its parent."""

    iterator = RowChoiceIterator
    widget = LightSelect

    def __init__(
        self,
        *args: Any,
        label_fields: Iterable[str],
        label_from_row: Callable[..., str],
        **kwargs: Any,
    ) -> None:
        self.label_fields = tuple(label_fields)
        self.label_from_row = label_from_row
        super().__init__(*args, **kwargs)


class UnitFilterField(forms.Field):
    """An optional unit among those the user may see; cleans to the ``OrgUnit``.

    Call ``bind(user)`` in the form's ``__init__``. Unbound (``user`` None) means every unit,
    for trusted callers only.
    """

    widget = UnitSelect
    default_error_messages = {
        "invalid_choice": _("Choose a unit from the list; this one is not available to you."),
    }

    def __init__(self, *, empty_label: str | Promise | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.user: AnyUser | None = None
        self.widget.empty_label = _("All units") if empty_label is None else empty_label

    def bind(self, user: AnyUser | None) -> None:
        self.user = user
        self.widget.user = user

    def prepare_value(self, value: Any) -> Any:
        return getattr(value, "pk", value)

    def to_python(self, value: Any) -> OrgUnit | None:
        value = getattr(value, "pk", value)
        if value in self.empty_values:
            return None
        try:
            pk = int(str(value).strip())
        except (TypeError, ValueError):
            pk = 0
        unit = _units(self.user).filter(pk=pk).first() if 0 < pk < 2**63 else None
        if unit is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return unit

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.prepare_value(initial) != self.prepare_value(data)


def unit_only_field() -> forms.BooleanField:
    """The registers' "this unit only" box: without it, a unit filter selects its subtree."""
    return forms.BooleanField(label=_("This unit only, not the units below it"), required=False)


def unit_condition(field: str, unit: OrgUnit, only: bool = False) -> dict[str, Any]:
    """Filter keywords selecting the records whose ``field`` (a foreign key to ``OrgUnit``) is
    ``unit`` itself (``only``) or any unit of its subtree."""
    return {field: unit} if only else {f"{field}__path__startswith": unit.path}
