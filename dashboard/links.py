"""Where each number leads: the register it summarises, with the same filters.

A link is *exact* when the register's filters select exactly the rows the number counts; the
test suite follows every exact link on the seeded demo and compares counts. A link is not exact
where a register lacks the filter (noted on each function); it then opens the narrowest list
that contains those rows.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from ims.schoolyear import recent_years


@dataclass(frozen=True)
class Link:
    url: str
    exact: bool = True


def _url(name, params, args=None):
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse(name, args=args) + (f"?{query}" if query else "")


# Nonconformities register: q, status, source, severity, unit (subtree), clause, overdue.
# It has no "every status but closed" filter nor an age filter, so open counts are not exact.


def nc_open(unit, severity=""):
    return Link(_url("nonconformities:register", {"unit": unit.pk, "severity": severity}), False)


def nc_age(unit):
    return Link(_url("nonconformities:register", {"unit": unit.pk}), False)


def nc_overdue(unit):
    """NCs with at least one open corrective action past its due date."""
    return Link(_url("nonconformities:register", {"unit": unit.pk, "overdue": "on"}))


# Audit list: q, status, kind, year, overdue (report). No unit filter: exact only over the
# user's whole subtree (``at_root``), where the list shows the same audits.


def audits_year(year, at_root, **params):
    # The list offers the last five school years; an older one is ignored there.
    exact = at_root and year in recent_years(5)
    return Link(_url("audits:audit_list", {"year": year.start_year, **params}), exact)


def audits_done(year):
    # Report issued or closed: two statuses, the list filters one.
    return Link(_url("audits:audit_list", {"year": year.start_year}), False)


def audits_overdue(year, at_root):
    return audits_year(year, at_root, overdue="on")


def findings(year):
    # There is no findings register; the year's audits list their findings.
    return Link(_url("audits:audit_list", {"year": year.start_year}), False)


# Document register: q, type, unit (subtree), status, clause, review (due, overdue).


def documents_review(unit, review):
    return Link(_url("documents:register", {"unit": unit.pk, "review": review}))


def documents_effective(unit):
    return Link(_url("documents:register", {"unit": unit.pk, "status": "effective"}))


def documents_coverage(unit):
    """The documents app's coverage page for the unit (its rows' totals are the number)."""
    return Link(_url("documents:unit_coverage", {"unit": unit.pk}))


# Survey results of one campaign over a unit's subtree (n is the page's n).


def survey_results(campaign_id, unit):
    return Link(_url("surveys:results", {"unit": unit.pk}, args=[campaign_id]))


def dashboard(unit, year, **params):
    return _url("dashboard:index", {"unit": unit.pk, "year": year.slug, **params})
