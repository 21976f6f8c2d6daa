"""Every write to a nonconformity: one function per step of the loop, each atomic, through the
workflow kit (``ims.workflow``) and the steps declared in ``Nonconformity.workflow``.

By concern: raising and numbering (``raising``), containment and analysis (``analysis``),
corrective actions (``actions``), verification and closure (``closing``), files
(``attachments``). Read-only helpers are in ``nonconformities.selectors``.
"""

from nonconformities.selectors import closure_problems
from nonconformities.services.actions import (
    action_add,
    action_cancel,
    action_complete,
    action_reassign,
    action_redate,
)
from nonconformities.services.analysis import (
    nonconformity_analyse,
    nonconformity_assign_containment,
    nonconformity_check_extent,
    nonconformity_contain,
    nonconformity_revise_analysis,
)
from nonconformities.services.attachments import attachment_add
from nonconformities.services.closing import (
    nonconformity_close,
    nonconformity_plan_verification,
    nonconformity_verify,
)
from nonconformities.services.raising import nonconformity_raise

__all__ = [
    "action_add",
    "action_cancel",
    "action_complete",
    "action_reassign",
    "action_redate",
    "attachment_add",
    "closure_problems",
    "nonconformity_analyse",
    "nonconformity_assign_containment",
    "nonconformity_check_extent",
    "nonconformity_close",
    "nonconformity_contain",
    "nonconformity_plan_verification",
    "nonconformity_raise",
    "nonconformity_revise_analysis",
    "nonconformity_verify",
]
