"""The API docs (Swagger UI) work under the site's Content-Security-Policy in a real browser,
from this server's static files only."""

from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def test_the_docs_render_every_endpoint_with_no_csp_violation_and_no_other_host(live_server, page):
    own = urlsplit(live_server.url).netloc
    elsewhere = []

    def watch(route):
        host = urlsplit(route.request.url).netloc
        if host and host != own:
            elsewhere.append(route.request.url)
            return route.abort()
        return route.continue_()

    page.route("**/*", watch)
    page.add_init_script(WATCH)
    response = page.goto(f"{live_server.url}/api/v1/docs")
    assert response.status == 200
    assert "default-src 'self'" in response.headers["content-security-policy"]
    page.locator(".opblock").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert page.locator(".opblock").count() == 8
    assert page.evaluate("window.__csp") == []
    assert elsewhere == []
