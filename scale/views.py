"""The benchmark's baseline: the cost of Django itself, through the full middleware stack
(sessions, CSRF, authentication, language) as every page, with no database access.
"""

from django.http import HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def bare(request):
    """A bare Django view with no database access."""
    return HttpResponse("ok", content_type="text/plain")
