"""Read-only queries shared by the register ("your items") and the task list."""

from .models import CorrectiveAction, Nonconformity


def open_actions_of(user):
    """Corrective actions ``user`` owns that are still to do in a running loop."""
    return (
        CorrectiveAction.objects.filter(
            owner=user,
            status=CorrectiveAction.Status.OPEN,
            nonconformity__status=Nonconformity.Status.IN_ACTION,
        )
        .select_related("nonconformity", "nonconformity__unit")
        .order_by("due", "pk")
    )


def verifications_of(user):
    """NCs awaiting the effectiveness check that ``user`` is planned to do."""
    return (
        Nonconformity.objects.for_user(user)
        .filter(planned_verifier=user, status=Nonconformity.Status.AWAITING_VERIFICATION)
        .select_related("unit")
        .order_by("verification_due", "pk")
    )
