"""People pickers: assigning a person is a search, never a list of everyone.

A form names who may be chosen with a ``PeopleScope`` (members of a unit subtree, of the units
above it, optionally with some roles) and binds it to its ``PersonField`` / ``PeopleField``. The
page then carries no list of people: the field renders a search box, the people already chosen
(checked), and asks ``ims:people_search`` (htmx) for at most ``PICKER_LIMIT`` matches as the user
types. The search box names the scope with a signed token bound to the user, so the endpoint
lists nobody the form would not accept. On submit the chosen ids are validated again against the
form's own scope: a forged id is a form error. Without JavaScript the box is a plain text field:
the typed name is resolved on the server (one match is chosen, several are offered).

Names are matched like every other search (``ims.search``): "nguyen van an" finds
"Nguyễn Văn An".
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Self

from django import forms
from django.core import signing
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.forms.renderers import BaseRenderer
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from ims.models import Membership, OrgUnit, User
from ims.models.org import ancestor_paths
from ims.search import search

PICKER_LIMIT = 20
MAX_CHOSEN = 200
SCOPE_SALT = "ims.pickers.scope"
# A page kept open longer than this asks to be reloaded before it searches again.
TOKEN_MAX_AGE = 12 * 3600


@dataclass(frozen=True)
class PeopleScope:
    """Who may be picked: active people with an active membership at a unit in ``subtrees``
    (tree paths, each with every unit below it), at one of ``units`` (paths, that unit only) or
    at an office (a unit that is not a school: the Department, its divisions, the communes) in
    the trees of ``offices`` (root paths), holding one of ``roles`` there when given; never
    anyone in ``exclude`` (ids). A school's staff are never in another school's scope.

    ``grants`` narrows further, when given, to memberships matching one of its ``(paths,
    roles)`` pairs: a role held at one of those units (an authority matrix, where each role
    counts at its own places)."""

    subtrees: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    offices: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    exclude: tuple[int, ...] = ()
    everyone: bool = False
    grants: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()

    # --- building scopes -----------------------------------------------------------------

    @classmethod
    def around(cls, actor: User, **kwargs: Any) -> Self:
        """The people ``actor`` works with: everyone in the subtrees of the actor's units, the
        members of the units above them and of the offices of their organisation (a school's
        staff name a division head or the director), never another school's staff."""
        if actor.is_superuser:
            return cls(everyone=True, **kwargs)
        paths = _actor_paths(actor)
        above = {p for path in paths for p in ancestor_paths(path) if p != path}
        return cls(
            subtrees=tuple(sorted(paths)),
            units=tuple(sorted(above)),
            offices=tuple(sorted({_root(path) for path in paths})),
            **kwargs,
        )

    @classmethod
    def within(cls, actor: User, **kwargs: Any) -> Self:
        """The people in the subtrees of ``actor``'s units (those the actor sees)."""
        if actor.is_superuser:
            return cls(everyone=True, **kwargs)
        return cls(subtrees=tuple(sorted(_actor_paths(actor))), **kwargs)

    @classmethod
    def of_unit(cls, unit: OrgUnit, **kwargs: Any) -> Self:
        """The people of ``unit`` and below it, the members of the units above it and of the
        offices of its organisation; never another school's staff."""
        above = tuple(p for p in ancestor_paths(unit.path) if p != unit.path)
        return cls(subtrees=(unit.path,), units=above, offices=(_root(unit.path),), **kwargs)

    @classmethod
    def organisation_of(cls, unit: OrgUnit, **kwargs: Any) -> Self:
        """Everyone in the organisation tree ``unit`` belongs to."""
        return cls(subtrees=(_root(unit.path),), **kwargs)

    def excluding(self, *people: User | int | None) -> Self:
        ids = {p if isinstance(p, int) else p.pk for p in people if p is not None}
        return replace(self, exclude=tuple(sorted({*self.exclude, *ids})))

    # --- queries ---------------------------------------------------------------------------

    def memberships(self) -> QuerySet[Membership]:
        """The active memberships that put a person in this scope (not correlated)."""
        memberships = Membership.objects.active()
        if not self.everyone:
            place = Q(pk__in=[])
            for path in self.subtrees:
                place |= Q(unit__path__startswith=path)
            if self.units:
                place |= Q(unit__path__in=list(self.units))
            for root in self.offices:
                place |= Q(unit__path__startswith=root, unit__kind__is_school=False)
            memberships = memberships.filter(place)
        if self.roles:
            memberships = memberships.filter(role__in=list(self.roles))
        if self.grants:
            granted = Q(pk__in=[])
            for paths, roles in self.grants:
                granted |= Q(unit__path__in=list(paths), role__in=list(roles))
            memberships = memberships.filter(granted)
        return memberships

    def people(self) -> QuerySet[User]:
        """Everyone this scope lets a form assign (one query, an ``EXISTS`` per person)."""
        people = User.objects.filter(is_active=True)
        if not self.everyone or self.roles or self.grants:
            people = people.filter(Exists(self.memberships().filter(user=OuterRef("pk"))))
        if self.exclude:
            people = people.exclude(pk__in=list(self.exclude))
        return people

    def with_units(self, people: QuerySet[User]) -> QuerySet[User]:
        """``people`` with ``scope_memberships`` (their active memberships in scope, with units)
        prefetched: what a result line shows to tell two people of the same name apart."""
        return people.prefetch_related(
            Prefetch(
                "memberships",
                queryset=self.memberships().select_related("unit").order_by("unit__path"),
                to_attr="scope_memberships",
            )
        )

    def search(self, query: str, limit: int = PICKER_LIMIT) -> list[User]:
        """At most ``limit`` + 1 people matching every word of ``query`` (the one extra says
        "there are more")."""
        if not query.strip():
            return []
        people = search(self.people(), query).order_by("full_name", "username", "pk")
        return list(self.with_units(people)[: limit + 1])

    # --- the token the search box carries ----------------------------------------------------

    def token(self, actor: User) -> str:
        data = [self.subtrees, self.units, self.offices, self.roles, self.exclude]
        payload = {"u": actor.pk, "s": data, "e": self.everyone}
        if self.grants:
            payload["g"] = self.grants
        return signing.dumps(payload, salt=SCOPE_SALT, compress=True)

    @classmethod
    def from_token(cls, token: str, actor: User) -> Self:
        """The scope a form signed for ``actor``; ``signing.BadSignature`` (or its subclass
        ``SignatureExpired``) when the token is forged, another user's, or too old."""
        data = signing.loads(token, salt=SCOPE_SALT, max_age=TOKEN_MAX_AGE)
        if not isinstance(data, dict) or data.get("u") != actor.pk:
            raise signing.BadSignature("another user's scope")
        subtrees, units, offices, roles, exclude = (tuple(part) for part in data["s"])
        grants = tuple((tuple(paths), tuple(roles)) for paths, roles in data.get("g", ()))
        return cls(subtrees, units, offices, roles, exclude, bool(data["e"]), grants)


def _actor_paths(actor: User) -> set[str]:
    cached = getattr(actor, "_ims_membership_paths", None)
    if cached is None:
        cached = set(
            Membership.objects.active().filter(user=actor).values_list("unit__path", flat=True)
        )
        actor._ims_membership_paths = cached  # type: ignore[attr-defined]
    return cached


def _root(path: str) -> str:
    return path.split("/", 1)[0] + "/"


def _ids(values: Iterable[object]) -> list[int] | None:
    """Positive integer ids from submitted strings; ``None`` when one is not an id."""
    ids: list[int] = []
    for item in values:
        value = getattr(item, "pk", item)
        if value in (None, ""):
            continue
        try:
            pk = int(str(value).strip())
        except (TypeError, ValueError):
            return None
        if not 0 < pk < 2**63:
            return None
        if pk not in ids:
            ids.append(pk)
    return ids


# --- the widget and the fields ---------------------------------------------------------------


class PersonPicker(forms.Widget):
    """A search box (``<name>_q``), the chosen people as checked radio buttons or checkboxes
    named ``<name>``, and the matches the search endpoint returns below them."""

    template_name = "ims/widgets/person_picker.html"

    def __init__(self, attrs: dict[str, Any] | None = None, many: bool = False) -> None:
        super().__init__(attrs)
        self.many = many
        self.scope: PeopleScope | None = None
        self.actor: User | None = None
        self.candidates: list[User] = []  # offered after a typed name matched several people

    def value_from_datadict(self, data: Mapping[str, Any], files: Any, name: str) -> dict[str, Any]:
        values = data.getlist(name) if hasattr(data, "getlist") else _as_list(data.get(name))
        return {"ids": [v for v in values if v not in (None, "")], "q": data.get(f"{name}_q", "")}

    def value_omitted_from_data(self, data: Mapping[str, Any], files: Any, name: str) -> bool:
        return name not in data and f"{name}_q" not in data

    def _chosen(self, value: object) -> list[User]:
        if isinstance(value, dict):
            # Submitted ids: only those the scope allows are shown again (a forged id never
            # reveals a name).
            ids = (_ids(value.get("ids", ())) or [])[:MAX_CHOSEN]
            people = self.scope.people() if self.scope else User.objects.none()
        else:
            # The record's current value: shown as it is, even if it could not be chosen now.
            ids = (_ids(_as_list(value)) or [])[:MAX_CHOSEN]
            people = User.objects.all()
        if not ids:
            return []
        scope = self.scope or PeopleScope(everyone=True)
        found = {p.pk: p for p in scope.with_units(people.filter(pk__in=ids))}
        return [found[pk] for pk in ids if pk in found]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        chosen = self._chosen(value)
        chosen_ids = {p.pk for p in chosen}
        hx_vals = {"picker_name": name, "picker_many": "1" if self.many else ""}
        if self.scope is not None and self.actor is not None:
            hx_vals["picker_scope"] = self.scope.token(self.actor)
        context["widget"].update(
            {
                "query": value.get("q", "") if isinstance(value, dict) else "",
                "chosen": chosen,
                "matches": [p for p in self.candidates if p.pk not in chosen_ids],
                "many": self.many,
                "input_type": "checkbox" if self.many else "radio",
                "hx_vals": json.dumps(hx_vals),
            }
        )
        return context

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        # The project's template directory, not the form renderer's app directories.
        return render_to_string(self.template_name, self.get_context(name, value, attrs))


class PersonField(forms.Field):
    """One person among those a ``PeopleScope`` allows; cleans to the ``User``.

    The form calls ``bind(actor, scope)`` in its ``__init__``; an unbound field accepts nobody.
    """

    many = False
    default_error_messages = {
        "invalid": _("Choose a person from the search results."),
        "not_assignable": _(
            "Choose a person from the search results; this one cannot be chosen here."
        ),
        "no_match": _("Nobody who can be chosen here matches “%(query)s”."),
        "several": _("Several people match “%(query)s”: choose one."),
    }

    widget: PersonPicker

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", PersonPicker(many=self.many))
        super().__init__(**kwargs)
        self.scope: PeopleScope | None = None

    def bind(self, actor: User, scope: PeopleScope) -> None:
        self.scope = scope
        self.widget.actor = actor
        self.widget.scope = scope

    def __deepcopy__(self, memo: dict[int, Any]) -> "PersonField":
        result = super().__deepcopy__(memo)  # type: ignore[misc]
        result.widget.candidates = []
        return result

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, (list, tuple, set)):
            return [getattr(v, "pk", v) for v in value]
        return getattr(value, "pk", value)

    def to_python(self, value: Any) -> tuple[list[int], str]:
        if not isinstance(value, dict):
            value = {"ids": _as_list(value), "q": ""}
        ids = _ids(value.get("ids") or [])
        if ids is None or len(ids) > MAX_CHOSEN:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        query = str(value.get("q") or "").strip()[:100]
        return ids, query

    def validate(self, value: Any) -> None:
        pass  # ``clean`` knows whether anyone was chosen

    def clean(self, value: Any) -> User | list[User] | None:
        ids, query = self.to_python(value)
        people = self.scope.people() if self.scope is not None else User.objects.none()
        chosen = list(people.filter(pk__in=ids)) if ids else []
        if len(chosen) != len(ids):
            raise forms.ValidationError(
                self.error_messages["not_assignable"], code="not_assignable"
            )
        order = {pk: i for i, pk in enumerate(ids)}
        chosen.sort(key=lambda p: order[p.pk])
        # A typed name is the choice unless it is the search that found the chosen people
        # (with JavaScript, the box keeps the words the person was found by).
        if query and not (chosen and search(people.filter(pk__in=ids), query).exists()):
            person = self._resolve(query, exclude=chosen)
            chosen = [*chosen, person] if self.many else [person]
        if not chosen:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return [] if self.many else None
        return chosen if self.many else chosen[0]

    def _resolve(self, query: str, exclude: list[User]) -> User:
        found = self.scope.search(query) if self.scope is not None else []
        found = [p for p in found if p.pk not in {c.pk for c in exclude}]
        if len(found) == 1:
            return found[0]
        if not found:
            raise forms.ValidationError(
                self.error_messages["no_match"], code="no_match", params={"query": query}
            )
        self.widget.candidates = found[:PICKER_LIMIT]
        raise forms.ValidationError(
            self.error_messages["several"], code="several", params={"query": query}
        )

    def has_changed(self, initial: Any, data: Any) -> bool:
        before = set(_ids(_as_list(initial)) or [])
        if isinstance(data, dict):
            submitted = set(_ids(data.get("ids") or []) or [])
            return bool(str(data.get("q") or "").strip()) or submitted != before
        return set(_ids(_as_list(data)) or []) != before


def _as_list(value: object) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple, set)) else [value]


class PeopleField(PersonField):
    """Several people among those a ``PeopleScope`` allows; cleans to a list of ``User``."""

    many = True
