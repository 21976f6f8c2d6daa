"""A file chosen before a validation error is kept: nobody chooses it again.

A browser never sends a file twice: when a form fails (a missing change summary, a clause not
ticked), the file input comes back empty and the person must find the file again, on a phone
often a photo taken a minute ago. Here the upload is stored on the server as a temporary file
(``kept-uploads/<user id>/<random>``, in the private media that no URL serves) and the form
shows it back as a ticked box, "Kept: name.pdf", carrying a signed token. Submitting again with
the box ticked (and no new file chosen) uses the kept file; choosing a new file replaces it;
unticking drops it.

- Owned: the token names the user it was made for; another user's token (or a forged one) is
  ignored, never opened. The file is never served to anyone: only its name is shown back.
- Checked like any upload: a kept file goes through the field's validation again, and a file
  that failed validation is never kept.
- Expires: a token older than ``KEEP_SECONDS`` is ignored, and each new kept file removes every
  kept file older than that.

A form opts in with ``KeepsUploads`` (it needs ``self.user``) and lists its file fields in
``kept_upload_fields``; their widgets are ``KeptFileInput``.
"""

import logging
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core import signing
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.forms.renderers import BaseRenderer
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from ims.models import User

logger = logging.getLogger(__name__)

KEPT_DIR = "kept-uploads"
SALT = "ims.keptuploads"
KEEP_SECONDS = 6 * 3600
MAX_KEPT_PER_FIELD = 10


def _user_dir(user: "User") -> str:
    return f"{KEPT_DIR}/{int(user.pk)}/"


def keep(upload: UploadedFile, user: "User") -> str:
    """Store ``upload`` for ``user``; the signed token that names it."""
    purge_expired()
    upload.seek(0)
    path = default_storage.save(_user_dir(user) + uuid.uuid4().hex, upload)
    upload.seek(0)
    data = {
        "u": user.pk,
        "p": path,
        "n": upload.name or "",
        "c": getattr(upload, "content_type", "") or "",
    }
    return signing.dumps(data, salt=SALT, compress=True)


def restore(token: object, user: "User") -> UploadedFile | None:
    """The kept file ``token`` names, as an upload, if it is ``user``'s and not expired;
    otherwise None."""
    try:
        data = signing.loads(str(token), salt=SALT, max_age=KEEP_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != user.pk:
        return None
    path = str(data.get("p") or "")
    if not path.startswith(_user_dir(user)) or ".." in path or not default_storage.exists(path):
        return None
    handle = default_storage.open(path, "rb")
    upload = UploadedFile(
        file=handle,
        name=data.get("n") or "upload",
        content_type=data.get("c") or None,
        size=default_storage.size(path),
    )
    upload.kept_token = str(token)  # type: ignore[attr-defined]
    return upload


def purge_expired(now: datetime | None = None) -> int:
    """Remove every kept file older than ``KEEP_SECONDS``."""
    limit = (now or timezone.now()) - timedelta(seconds=KEEP_SECONDS)
    try:
        owners, _files = default_storage.listdir(KEPT_DIR)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    removed = 0
    for owner in owners:
        folder = f"{KEPT_DIR}/{owner}/"
        for name in default_storage.listdir(folder)[1]:
            try:
                if default_storage.get_modified_time(folder + name) < limit:
                    default_storage.delete(folder + name)
                    removed += 1
            except OSError:  # removed meanwhile by another request
                logger.debug("kept upload %s vanished", folder + name)
    return removed


class KeptFileInput(forms.ClearableFileInput):
    """A file input followed by the files kept from the previous submit, each a ticked box
    named ``<name>_kept`` whose value is its token."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.owner: User | None = None
        self.kept: list[UploadedFile] = []  # uploads restored from tokens: shown again as they are
        self.pending: list[
            UploadedFile
        ] = []  # new uploads that passed validation: kept when the form is shown

    def __deepcopy__(self, memo: dict[int, Any]) -> "KeptFileInput":
        result = super().__deepcopy__(memo)
        result.owner, result.kept, result.pending = None, [], []
        return result

    def kept_files(self) -> list[tuple[str, str | None]]:
        """(token, name) of every file to show back; new ones are stored now, once."""
        if self.pending and self.owner is not None:
            for upload in self.pending:
                upload.kept_token = keep(upload, self.owner)  # type: ignore[attr-defined]
            self.kept = [*self.kept, *self.pending]
            self.pending = []
        return [(upload.kept_token, upload.name) for upload in self.kept]  # type: ignore[attr-defined]

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        html = super().render(name, None, attrs, renderer)
        kept = self.kept_files()
        if not kept:
            return html
        lines = format_html_join(
            "",
            '<label class="choice kept-file"><input type="checkbox" name="{}_kept" value="{}" '
            'checked data-testid="kept-file"> <span>{} <strong>{}</strong></span></label>',
            ((name, token, _("Kept:"), filename) for token, filename in kept),
        )
        return format_html(
            '<div class="kept-files">{}<p class="help">{}</p></div>{}',
            lines,
            _("Choose another file only to replace it; untick to drop it."),
            html,
        )


if TYPE_CHECKING:
    _FormBase = forms.BaseForm
else:
    _FormBase = object


class KeepsUploads(_FormBase):
    """A form mixin: the files of ``kept_upload_fields`` survive a failed submit (see above).

    Call ``restore_kept()`` at the end of ``__init__`` (after ``self.user`` is set)."""

    kept_upload_fields: tuple[str, ...] = ()
    user: Any

    def restore_kept(self) -> None:
        if isinstance(self.files, MultiValueDict):
            files = self.files.copy()
        else:
            files = MultiValueDict[str, Any](
                {k: v if isinstance(v, list) else [v] for k, v in dict(self.files or {}).items()}
            )
        for name in self.kept_upload_fields:
            widget = cast(KeptFileInput, self.fields[name].widget)
            widget.owner = self.user
            key = self.add_prefix(name)
            if any(files.getlist(key)):
                continue  # a newly chosen file replaces what was kept
            if hasattr(self.data, "getlist"):
                tokens = self.data.getlist(f"{key}_kept")
            else:
                value = (self.data or {}).get(f"{key}_kept")
                tokens = value if isinstance(value, (list, tuple)) else [value] if value else []
            tokens = tokens[:MAX_KEPT_PER_FIELD]
            restored = [u for u in (restore(t, self.user) for t in tokens) if u is not None]
            if restored:
                files.setlist(key, restored)
                widget.kept = restored
        self.files = files

    def _clean_fields(self) -> None:
        super()._clean_fields()  # type: ignore[misc]
        for name in self.kept_upload_fields:
            if name not in self.cleaned_data:
                continue  # refused: a bad file is never kept
            value = self.cleaned_data[name]
            uploads = value if isinstance(value, (list, tuple)) else [value]
            widget = cast(KeptFileInput, self.fields[name].widget)
            widget.pending = [u for u in uploads if u and not getattr(u, "kept_token", None)]
