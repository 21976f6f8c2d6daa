"""Where domain apps register with the core, so the core never imports them.

An app calls ``register_nav``, ``register_reference_data``, ``register_csrf_failure`` and
``register_api_router`` from its ``AppConfig.ready()``;
``seed_demo`` finds each app's ``demo`` module by convention (a ``seed(context)`` function and an
``ORDER`` number).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    order: int = 100
    roles: frozenset[str] = field(default_factory=frozenset)  # empty: every signed-in user


_nav: dict[str, NavItem] = {}


def register_nav(
    key: str, label: str | Promise, url_name: str, order: int = 100, roles: Iterable[str] = ()
) -> None:
    _nav[key] = NavItem(key, label, url_name, order, frozenset(roles))


def nav_items() -> list[NavItem]:
    return sorted(_nav.values(), key=lambda item: item.order)


# ``loader(apps)``: ``apps`` is the app registry, or a migration's historical one.
ReferenceLoader = Callable[[Any], None]
_reference_loaders: dict[str, ReferenceLoader] = {}


def register_reference_data(key: str, loader: ReferenceLoader) -> None:
    """``loader(apps)`` creates or refreshes an app's reference rows idempotently.

    Data migrations call the same loader with historical models; ``load_reference_data`` (and the
    test suite, after a transactional test has flushed the tables) calls every registered loader.
    """
    _reference_loaders[key] = loader


def reference_loaders() -> list[ReferenceLoader]:
    return list(_reference_loaders.values())


# A failed CSRF check on the pages of one URL namespace, answered by the app that owns them (a
# respondent's page, in the respondent's language, rather than the staff error page).
CsrfFailureView = Callable[[Any], Any]
_csrf_failure_views: dict[str, CsrfFailureView] = {}


def register_csrf_failure(namespace: str, view: CsrfFailureView) -> None:
    _csrf_failure_views[namespace] = view


def csrf_failure_view(namespace: str | None) -> CsrfFailureView | None:
    return _csrf_failure_views.get(namespace or "")


# Routers of the API (``ims.api``): each app's django-ninja ``Router`` and its path prefix.
_api_routers: dict[str, tuple[str, Any]] = {}


def register_api_router(key: str, prefix: str, router: Any) -> None:
    _api_routers[key] = (prefix, router)


def api_routers() -> list[tuple[str, Any]]:
    return list(_api_routers.values())
