from ims.models.criteria import Clause, CriteriaSet
from ims.models.notifications import Notification
from ims.models.org import Membership, OrgUnit, Role, SchoolLevel, UnitKind
from ims.models.records import Signature, TransitionEvent, WorkerHeartbeat
from ims.models.reports import ReportJob
from ims.models.tokens import ApiToken
from ims.models.users import User

__all__ = [
    "ApiToken",
    "Clause",
    "CriteriaSet",
    "Membership",
    "Notification",
    "OrgUnit",
    "ReportJob",
    "Role",
    "SchoolLevel",
    "Signature",
    "TransitionEvent",
    "UnitKind",
    "User",
    "WorkerHeartbeat",
]
