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


def _unit(unit, only):
    """The unit filter of a register: ``unit``'s subtree, or ``unit`` alone (``only``: the
    records of a scope's own row, counted without the units below it)."""
    return {"unit": unit.pk, "unit_only": "on" if only else ""}


# Nonconformities register: q, status, source, severity, unit (subtree, or alone with
# unit_only), clause, overdue, open, age (the buckets of ``nonconformities.models.AGE_BUCKETS``).


def nc_open(unit, severity="", only=False):
    params = {**_unit(unit, only), "open": "on", "severity": severity}
    return Link(_url("nonconformities:register", params))


def nc_age(unit, bucket):
    return Link(_url("nonconformities:register", {"unit": unit.pk, "open": "on", "age": bucket}))


def nc_overdue(unit, only=False):
    """NCs with at least one open corrective action past its due date."""
    return Link(_url("nonconformities:register", {**_unit(unit, only), "overdue": "on"}))


# Audit list: q, status (one status, or "done": report issued or closed), kind, year (the last
# five school years), unit (audits with a scope unit or their programme's unit in the subtree,
# the dashboard's condition), overdue (report).


def audits_year(year, unit, **params):
    # The list offers the last five school years; an older one is ignored there.
    exact = year in recent_years(5)
    params = {"year": year.start_year, "unit": unit.pk, **params}
    return Link(_url("audits:audit_list", params), exact)


def audits_done(year, unit):
    return audits_year(year, unit, status="done")


def audits_overdue(year, unit, only=False):
    """``only``: the scope's own row, which the list cannot select (it has no filter for a unit
    without the units below it): not exact."""
    link = audits_year(year, unit, overdue="on")
    return Link(link.url, link.exact and not only)


# Findings register: q, year (any school year), unit (subtree of the finding's unit), grade
# (code), status, age, audit_unit (the audit's scope or programme unit in the subtree),
# programme. The dashboard counts findings by the finding's unit, whatever the audit's scope.


def findings(year, unit, grade="", status="", only=False):
    """Findings of ``year``'s audits about ``unit``'s subtree (or ``unit`` alone)."""
    params = {"year": year.start_year, **_unit(unit, only), "grade": grade, "status": status}
    return Link(_url("audits:finding_list", params))


# Document register: q, type, unit (subtree, or alone with unit_only), status, clause, review
# (due, overdue).


def documents_review(unit, review, only=False):
    return Link(_url("documents:register", {**_unit(unit, only), "review": review}))


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
