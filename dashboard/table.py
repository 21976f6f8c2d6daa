"""The comparison table of the units below the scope: its columns and its sort, shared by the
page, its XLSX export and the printed report so that all three list the units in one order."""

from django.utils.translation import gettext_lazy

# Comparison table columns: (key, label, attribute).
COLUMNS = [
    ("name", gettext_lazy("Unit"), None),
    ("nc_open", gettext_lazy("Open NCs"), "nc_open"),
    ("nc_major", gettext_lazy("Major open NCs"), "nc_major"),
    ("nc_overdue", gettext_lazy("NCs with overdue actions"), "nc_overdue"),
    ("doc_overdue", gettext_lazy("Reviews overdue"), "doc_overdue"),
    ("doc_due", gettext_lazy("Reviews due"), "doc_due"),
    ("audit_overdue", gettext_lazy("Audit reports overdue"), "audit_overdue"),
    ("findings_open", gettext_lazy("Open findings"), "findings_open"),
    ("ack", gettext_lazy("Acknowledged"), "ack_coverage"),
    ("satisfaction", gettext_lazy("Satisfaction index"), "satisfaction_index"),
]
SORT_KEYS = {key for key, _label, _attr in COLUMNS}
DEFAULT_SORT = "-nc_open"


def clean_sort(raw):
    """``raw`` (a column key, ``-`` first for descending) if valid, else the default."""
    raw = raw or ""
    return raw if raw.lstrip("-") in SORT_KEYS else DEFAULT_SORT


def sort_rows(rows, sort):
    """``rows`` in the order of ``sort`` (see ``clean_sort``); the scope's own row stays last."""
    sort = clean_sort(sort)
    attr = {k: a for k, _l, a in COLUMNS}[sort.lstrip("-")]

    def value(row):
        if attr is None:
            return row.unit.label.casefold()
        v = getattr(row, attr)
        return (v is not None, v or 0)

    ordered = sorted(rows, key=value, reverse=sort.startswith("-"))
    return sorted(ordered, key=lambda r: r.is_scope)
