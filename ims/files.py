"""Uploaded files: type checked from the content, size limits, SHA-256, access-checked serving.

Every module stores uploads through ``check_upload`` and serves them through ``serve_file`` from a
view that has already found the owning object with ``get_object_for_user``: nothing uploaded is
ever reachable by a static URL.
"""

import hashlib
import mimetypes
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class FileKind:
    code: str
    label: str
    extension: str
    mime: str


PDF = FileKind("pdf", "PDF", "pdf", "application/pdf")
DOCX = FileKind(
    "docx",
    "Word (DOCX)",
    "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)
XLSX = FileKind(
    "xlsx",
    "Excel (XLSX)",
    "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
ODT = FileKind("odt", "OpenDocument text (ODT)", "odt", "application/vnd.oasis.opendocument.text")
JPEG = FileKind("jpeg", "JPEG", "jpg", "image/jpeg")
PNG = FileKind("png", "PNG", "png", "image/png")

DOCUMENT_KINDS = (PDF, DOCX, XLSX, ODT)
ATTACHMENT_KINDS = (PDF, DOCX, XLSX, ODT, JPEG, PNG)


def sniff(head: bytes, stream: IO[bytes] | None = None) -> FileKind | None:
    """The ``FileKind`` the content really is, or None. ``head`` is the first bytes."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"PK\x03\x04") and stream is not None:
        return _sniff_zip(stream)
    return None


# An Office file expands a few times at most; far more is a zip bomb.
ZIP_MAX_MEMBERS = 10000
ZIP_MAX_EXPANDED_BYTES = 100 * 1024 * 1024
ZIP_MAX_RATIO = 200


def zip_is_reasonable(archive: zipfile.ZipFile) -> bool:
    """Whether a zip's declared sizes are those of an office file rather than a zip bomb."""
    infos = archive.infolist()
    if len(infos) > ZIP_MAX_MEMBERS:
        return False
    expanded = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos) or 1
    return expanded <= ZIP_MAX_EXPANDED_BYTES and expanded / packed <= ZIP_MAX_RATIO


def _sniff_zip(stream: IO[bytes]) -> FileKind | None:
    try:
        with zipfile.ZipFile(stream) as archive:
            if not zip_is_reasonable(archive):
                return None
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                return ODT if mimetype == ODT.mime else None
            if "[Content_Types].xml" in names:
                if any(n.startswith("word/") for n in names):
                    return DOCX
                if any(n.startswith("xl/") for n in names):
                    return XLSX
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return None
    return None


@dataclass(frozen=True)
class CheckedUpload:
    kind: FileKind
    size: int
    sha256: str
    name: str


def check_upload(
    upload: File | None,
    *,
    kinds: Collection[FileKind] = DOCUMENT_KINDS,
    max_bytes: int | None = None,
) -> CheckedUpload:
    """Validate an uploaded file; raise ``ValidationError`` with a message the user can act on.

    The type comes from the content, never from the name; the name must still carry the
    matching extension so a downloaded copy opens in the right program.
    """
    max_bytes = max_bytes or settings.UPLOAD_MAX_BYTES
    allowed = ", ".join(k.label for k in kinds)
    if upload is None:
        raise ValidationError(_("Choose a file."), code="required")
    name = upload.name or ""
    if upload.size == 0:
        raise ValidationError(_("The file is empty (0 bytes)."), code="empty")
    if upload.size > max_bytes:
        raise ValidationError(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(upload.size / 1048576, 1), "limit": round(max_bytes / 1048576, 1)},
            code="too_large",
        )
    if "." not in name.strip("."):
        raise ValidationError(
            _("The file name has no extension. Accepted: %(kinds)s.") % {"kinds": allowed},
            code="no_extension",
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    kind = sniff(head, upload)
    upload.seek(0)
    if kind is None or kind not in kinds:
        raise ValidationError(
            _("The content of this file is not an accepted type. Accepted: %(kinds)s.")
            % {"kinds": allowed},
            code="bad_type",
        )
    extension = name.rsplit(".", 1)[-1].lower()
    if extension not in {kind.extension, "jpeg" if kind is JPEG else kind.extension}:
        raise ValidationError(
            _("The file is a %(kind)s but its name ends in .%(ext)s.")
            % {"kind": kind.label, "ext": extension},
            code="extension_mismatch",
        )
    return CheckedUpload(
        kind=kind, size=upload.size, sha256=sha256_of(upload), name=get_valid_filename(name)
    )


def sha256_of(fileobj: IO[bytes] | File) -> str:
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def serve_file(
    field_file: FieldFile, *, filename: str | None = None, inline: bool = False
) -> FileResponse:
    """Stream a stored file. Call only after the owning object passed the access check."""
    filename = filename or (field_file.name or "").rsplit("/", 1)[-1]
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    response = FileResponse(
        field_file.open("rb"),
        as_attachment=not inline,
        filename=filename,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def in_memory(data: bytes, name: str) -> SimpleUploadedFile:
    """An uploaded-file-like object from bytes (tests, demo data, generated files)."""
    return SimpleUploadedFile(name, data)
