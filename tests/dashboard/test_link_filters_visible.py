"""A register opened from a dashboard number shows every filter the link applies as a visible,
editable field holding that value; submitting the form as it stands ("Lọc") keeps them, so the
register still counts the same rows."""

from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.models import Audit
from ims.schoolyear import SchoolYear
from tests.dashboard import factories as f

pytestmark = pytest.mark.django_db

IGNORED = {"format", "page"}


class _Forms(HTMLParser):
    """The GET forms of a page: {field name: [(type, value, selected)]} per form."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select, self._option = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method", "get").lower() == "get":
            self._form = {"action": a.get("action", ""), "fields": {}}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("submit", "button"):
                return
            on = kind not in ("checkbox", "radio") or "checked" in a
            self._form["fields"].setdefault(a["name"], []).append(
                (kind, a.get("value", "on" if kind == "checkbox" else ""), on)
            )
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form["fields"].setdefault(self._select, [])
        elif tag == "option" and self._select:
            self._form["fields"][self._select].append(
                ("select", a.get("value", ""), "selected" in a)
            )

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def filter_form(html):
    parser = _Forms()
    parser.feed(html)
    forms = [form for form in parser.forms if form["fields"]]
    assert forms, "the register has no filter form"
    return forms[0]


def submitted(form):
    """What the browser sends when the form is submitted as it stands."""
    data = []
    for name, options in form["fields"].items():
        chosen = [value for _kind, value, on in options if on]
        if options and options[0][0] == "select" and not chosen:
            chosen = [options[0][1]]  # a select sends its first option
        data += [(name, value) for value in chosen]
    return data


def register_count(response):
    context = response.context
    if "page" in context:
        return context["page"].paginator.count
    return None


def dashboard_links(client, unit):
    response = client.get(reverse("dashboard:index"), {"unit": unit.pk})
    assert response.status_code == 200
    context = response.context
    found = []
    for value in context["cards"].values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            found += [part for part in item if hasattr(part, "url")]
    for row in context["board"].units:
        found += list(row.links.values())
    return {link.url for link in found}


@pytest.fixture
def data(world):
    year = SchoolYear.current()
    f.nc(world.school, world.iso, severity="major", age=120, overdue_actions=1)
    f.nc(world.school2, world.iso, age=40)
    f.nc(world.commune, world.iso, age=5)
    f.document(world.school, world.principal, next_review=timezone.localdate())
    prog = f.programme(world.root, world.iso, year)
    record = f.audit(prog, world.school, world.iso, status=Audit.Status.REPORTING)
    f.finding(record, world.school, world.iso)
    return world


def test_every_dashboard_link_shows_its_filters_and_keeps_them_when_filtering_again(
    data, client_for
):
    client = client_for(data.director)
    urls = dashboard_links(client, data.root) | dashboard_links(client, data.commune)
    assert any("age=gt90" in url for url in urls)
    checked = 0
    for url in sorted(urls):
        path, query = urlsplit(url).path, parse_qsl(urlsplit(url).query)
        response = client.get(url)
        assert response.status_code == 200, url
        form = filter_form(response.content.decode())
        fields = form["fields"]
        for name, value in query:
            if name in IGNORED:
                continue
            assert name in fields, f"{url}: the filter {name} is not on the form"
            kinds = {kind for kind, _v, _on in fields[name]}
            assert "hidden" not in kinds, f"{url}: the filter {name} is hidden"
            assert (name, value) in submitted(form), f"{url}: {name}={value} not shown"
        # Pressing the filter button again keeps every filter: the same rows.
        again = client.get(form["action"] or path, submitted(form))
        assert register_count(again) == register_count(response), url
        checked += 1
    assert checked >= 10
