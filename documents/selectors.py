"""Read-only queries shared by pages and the task list."""

from django.db.models import Exists, OuterRef

from .models import Acknowledgement, Opening, Revision, RevisionStatus, recipient_condition


def revisions_to_acknowledge(user):
    """Effective revisions distributed to ``user`` that they may open and have not yet
    acknowledged (the "To acknowledge" page and the task list). ``opened``: whether they have
    opened it yet (acknowledging needs it)."""
    acknowledged = Acknowledgement.objects.filter(revision=OuterRef("pk"), user=user)
    opened = Opening.objects.filter(revision=OuterRef("pk"), user=user)
    return (
        Revision.objects.filter(status=RevisionStatus.EFFECTIVE)
        .for_user(user)
        .filter(recipient_condition(user))
        .exclude(Exists(acknowledged))
        .annotate(opened=Exists(opened))
        .select_related("document", "document__owner_unit")
        .order_by("-effective_date", "document__code")
    )
