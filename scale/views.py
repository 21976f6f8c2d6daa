"""Baselines the benchmark compares pages with: the cost of Django itself, and of one INSERT.

Both go through the full middleware stack (sessions, CSRF, authentication, language), as every
page does; neither touches the session, so the bare view runs no query at all.
"""

from django.http import HttpResponse
from django.views.decorators.http import require_GET, require_POST

from scale.models import BaselineInsert


@require_GET
def bare(request):
    """A bare Django view with no database access."""
    return HttpResponse("ok", content_type="text/plain")


@require_POST
def insert(request):
    """A bare view that stores one row (one INSERT in autocommit), then redirects like a form."""
    BaselineInsert.objects.create()
    response = HttpResponse(status=302)
    response["Location"] = "/_bench/bare/"
    return response
