from collections.abc import Collection
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from ims.access import member_roles
from ims.notifications import unread_summary
from ims.registry import nav_items


def ims(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    context: dict[str, Any] = {
        "ORGANISATION_NAME": settings.ORGANISATION_NAME,
        "LANGUAGE_CHOICES": settings.LANGUAGES,
    }
    if not user.is_authenticated:
        return context
    roles = member_roles(user)
    items = []
    for item in nav_items():
        if item.roles and not (item.roles & roles):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append(
            {
                "key": item.key,
                "label": item.label,
                "url": url,
                "active": request.path.startswith(url) and (url != "/" or request.path == "/"),
            }
        )
    context["nav"] = items
    # Opening the page a notification is about marks it read (GET only: a page, not an action).
    paths: Collection[str] = ()
    if request.method == "GET":
        paths = {request.path, request.get_full_path()}
    unread = unread_summary(user, paths)
    context["unread_count"] = unread["total"]
    context["unread_action_count"] = unread["action"]
    return context
