"""On the seeded demo, every card number equals the count of the register it links to.

The test follows every link the dashboard marks exact (``data-exact="1"``) for several users and
scopes, and reads the count the register itself shows (its paginator, or the survey results' n).
Links marked not exact lead to registers that lack a filter (see ``dashboard/links.py``).
"""

import html
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from dashboard.scope import dashboard_roots
from documents import services
from ims.models import Membership, OrgUnit, Role, User

LINK = re.compile(r'<a [^>]*href="([^"]+)"[^>]*data-count="(\d+)"[^>]*data-exact="1"')


def register_count(response):
    context = response.context
    if "page" in context:
        return context["page"].paginator.count
    if "rows" in context:  # acknowledgement coverage: expected acknowledgements
        return sum(row["total"] for row in context["rows"])
    return context["results"].n


def exact_links(client, **params):
    response = client.get(reverse("dashboard:index"), params)
    assert response.status_code == 200
    return [(html.unescape(url), int(n)) for url, n in LINK.findall(response.content.decode())]


@pytest.mark.django_db
def test_every_exact_number_equals_its_register_on_the_demo(
    client, settings, django_capture_on_commit_callbacks
):
    settings.DEBUG = True  # seed_demo refuses to run with DEBUG off
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.DEBUG = False
    # The demo's campaign titles name the school year of their dates, whatever today is.
    from surveys.models import Campaign, named_school_years

    for campaign in Campaign.objects.all():
        assert named_school_years(campaign.title) == {campaign.school_year}, campaign.title
    # Coverage: someone who also works in a second, unrelated unit counts once per revision, at
    # their home unit (the deepest; documents.coverage), on the dashboard and on the coverage
    # page alike. teacher3 (a school) joins a division too: the division's numbers leave them
    # out, the root's count them once; the links below compare both sides.
    teacher3 = User.objects.get(username="teacher3")
    director = User.objects.get(username="director")
    division, root = OrgUnit.objects.get(code="SL-GDTH"), OrgUnit.objects.get(parent=None)

    def totals():
        return [
            sum(row["total"] for row in services.unit_coverage(unit, viewer=director))
            for unit in (division, root)
        ]

    before = totals()
    with django_capture_on_commit_callbacks(execute=True):
        Membership.objects.create(user=teacher3, unit=division, role=Role.STAFF)
    assert before[1] > 0 and totals() == before
    # Every demo account: those the dashboard is for compare their numbers below; the others
    # are refused it.
    from ims.demo import ACCOUNTS

    usernames = [username for username, _name, _memberships in ACCOUNTS]
    board_users = [u for u in usernames if dashboard_roots(User.objects.get(username=u))]
    assert {"director", "iso", "head", "principal", "principal2"} <= set(board_users)
    for username in set(usernames) - set(board_users):
        client.force_login(User.objects.get(username=username))
        assert client.get(reverse("dashboard:index")).status_code == 403, username
    views = [(username, None) for username in board_users] + [
        ("director", "SL-TH"),  # a commune
        ("director", "SL-TH-TH"),  # a school in it
        ("director", "SL-GDTH"),  # a division
    ]
    checked = 0
    nonzero = 0
    audits_checked = {"audit_list": 0, "finding_list": 0}
    audits_nonzero = {"audit_list": 0, "finding_list": 0}
    for username, unit_code in views:
        client.force_login(User.objects.get(username=username))
        params = {"unit": OrgUnit.objects.get(code=unit_code).pk} if unit_code else {}
        links = exact_links(client, **params)
        assert links, (username, unit_code)
        for url, number in links:
            response = client.get(url)
            assert response.status_code == 200, url
            assert register_count(response) == number, (username, unit_code, url)
            checked += 1
            nonzero += number > 0
            for register, path in (
                ("audit_list", reverse("audits:audit_list")),
                ("finding_list", reverse("audits:finding_list")),
            ):
                if url.split("?")[0] == path:
                    audits_checked[register] += 1
                    audits_nonzero[register] += number > 0
    # The demo has overdue actions, reviews due and effective documents: not only zeros.
    assert checked > 50 and nonzero > 10
    # Audits planned, done and overdue, and findings by grade (all and open), per view.
    assert audits_checked["audit_list"] >= 3 * len(views), audits_checked
    assert audits_checked["finding_list"] >= 2 * len(views), audits_checked
    assert audits_nonzero["audit_list"] > 5 and audits_nonzero["finding_list"] > 10
