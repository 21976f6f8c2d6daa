"""Every main page works under the Content-Security-Policy: the browser reports no violation
(no inline script, style attribute or handler, nothing from another host), htmx included."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from audits.models import Audit, Finding
from documents.models import Document
from nonconformities.models import Nonconformity
from surveys.models import Campaign, Instrument, SurveyLink
from tests.browser.helpers import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def main_pages():
    audit = Audit.objects.filter(findings__isnull=False).first() or Audit.objects.first()
    campaign = Campaign.objects.exclude(status="draft").first() or Campaign.objects.first()
    return [
        reverse("home"),
        reverse("ims:tasks"),
        reverse("dashboard:index"),
        reverse("documents:register"),
        reverse("documents:document_detail", args=[Document.objects.first().pk]),
        reverse("documents:document_create"),
        reverse("audits:audit_list"),
        reverse("audits:audit_detail", args=[audit.pk]),
        reverse("audits:report", args=[audit.pk]),
        reverse("audits:finding_list"),
        reverse("audits:finding_detail", args=[Finding.objects.first().pk]),
        reverse("nonconformities:register"),
        reverse("nonconformities:detail", args=[Nonconformity.objects.first().pk]),
        reverse("surveys:campaign_list"),
        reverse("surveys:campaign_detail", args=[campaign.pk]),
        reverse("surveys:results", args=[campaign.pk]),
        reverse("surveys:instrument_detail", args=[Instrument.objects.first().pk]),
        reverse("ims:unit_list"),
        reverse("ims:user_list"),
        reverse("ims:notification_list"),
        reverse("ims:profile"),
        reverse("ims:import"),
        "/admin/",
    ]


def test_main_pages_raise_no_csp_violation(live_server, page, settings):
    settings.DEBUG = True  # seed_demo refuses to run with DEBUG off
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.DEBUG = False
    page.add_init_script(WATCH)
    messages = []
    page.on("console", lambda m: messages.append(m.text))
    login(page, live_server.url, "director")
    violations = {}
    for path in main_pages():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "default-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        found = page.evaluate("window.__csp")
        if found:
            violations[path] = found
    # htmx at work: the report button's job page polls with htmx.
    page.goto(f"{live_server.url}{main_pages()[7]}")
    page.locator("form.inline-form button").first.click()
    page.wait_for_load_state("networkidle")
    if page.evaluate("window.__csp"):
        violations["report job"] = page.evaluate("window.__csp")
    # The public survey pages, answered as a respondent.
    link = SurveyLink.objects.filter(campaign__status="published", is_active=True).first()
    if link is not None:
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/s/{link.code}")
        page.wait_for_load_state("networkidle")
        if page.evaluate("window.__csp"):
            violations["survey"] = page.evaluate("window.__csp")
    assert not violations, violations
    assert not [m for m in messages if "Content Security Policy" in m], messages
