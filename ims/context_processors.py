from django.conf import settings
from django.urls import NoReverseMatch, reverse

from ims.access import member_roles
from ims.models import Notification
from ims.registry import nav_items


def ims(request):
    user = request.user
    context = {
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
    context["unread_count"] = Notification.objects.for_user(user).unread().count()
    return context
