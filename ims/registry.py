"""Where domain apps register with the core, so the core never imports them.

An app calls ``register_nav`` and ``register_reference_data`` from its ``AppConfig.ready()``;
``seed_demo`` finds each app's ``demo`` module by convention (a ``seed(context)`` function and an
``ORDER`` number).
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class NavItem:
    key: str
    label: object
    url_name: str
    order: int = 100
    roles: frozenset = field(default_factory=frozenset)  # empty: every signed-in user


_nav = {}


def register_nav(key, label, url_name, order=100, roles=()):
    _nav[key] = NavItem(key, label, url_name, order, frozenset(roles))


def nav_items():
    return sorted(_nav.values(), key=lambda item: item.order)


_reference_loaders = {}


def register_reference_data(key, loader):
    """``loader(apps)`` creates or refreshes an app's reference rows idempotently.

    Data migrations call the same loader with historical models; ``load_reference_data`` (and the
    test suite, after a transactional test has flushed the tables) calls every registered loader.
    """
    _reference_loaders[key] = loader


def reference_loaders():
    return list(_reference_loaders.values())
