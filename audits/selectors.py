"""Read-only questions about audits, for services, views and the demo."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from ims.access import HEAD_ROLES
from ims.models import Membership

if TYPE_CHECKING:
    from audits.models import Audit
    from ims.models import User


def team_conflicts(audit: Audit, user: User) -> list[str]:
    """Why ``user`` is not independent of what ``audit`` covers (AUD-R1); empty when clear.

    Belonging to, heading or owning an audited unit (anywhere in its subtree) or an audited
    process is a conflict. Auditor roles held at the top of the tree are not.
    """
    reasons = []
    scope = list(audit.scope_units.all())
    memberships = (
        Membership.objects.active()
        .filter(user=user)
        .exclude(role__in=["auditor", "lead_auditor"])
        .select_related("unit")
    )
    for membership in memberships:
        for unit in scope:
            if membership.unit.is_within(unit):
                if membership.role in HEAD_ROLES:
                    reasons.append(
                        _("heads %(unit)s, an audited unit") % {"unit": membership.unit.label}
                    )
                else:
                    reasons.append(
                        _("belongs to %(unit)s, an audited unit") % {"unit": membership.unit.label}
                    )
                break
    for process in audit.processes.select_related("unit"):
        if process.owner_id == user.pk:
            reasons.append(_("owns the audited process %(process)s") % {"process": process})
        elif any(m.unit.is_within(process.unit) and m.role in HEAD_ROLES for m in memberships):
            reasons.append(
                _("heads the unit that runs the audited process %(process)s") % {"process": process}
            )
    return list(dict.fromkeys(str(r) for r in reasons))
