"""Files on an NC, or on one of its actions (completion evidence)."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ims.files import ATTACHMENT_KINDS, CheckedUpload, check_upload
from ims.models import User
from ims.workflow import lock, refuse
from nonconformities.models import Attachment, CorrectiveAction, Nonconformity


def store_attachment(
    nc: Nonconformity,
    *,
    actor: User,
    upload: UploadedFile,
    checked: CheckedUpload,
    action: CorrectiveAction | None = None,
) -> Attachment:
    """Store a checked upload on ``nc`` (and ``action``), in the caller's transaction."""
    attachment = Attachment(
        nonconformity=nc,
        action=action,
        name=checked.name,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    attachment.file.save(checked.name, upload, save=False)
    attachment.save()
    return attachment


def attachment_add(nc: Nonconformity, *, actor: User, upload: UploadedFile) -> Attachment:
    """Attach a file to an NC (same rules as documents: type from content, size, SHA-256)."""
    checked = check_upload(upload, kinds=ATTACHMENT_KINDS)
    with transaction.atomic():
        nc = lock(nc, "unit")
        if not nc.can_attach(actor):
            refuse(_("You cannot add files to this NC."))
        return store_attachment(nc, actor=actor, upload=upload, checked=checked)
