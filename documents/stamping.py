"""Stamped copies of a revision's PDF: what a reader downloads or views, never what is stored.

Every page gets a header naming the copy (an effective revision: its code, revision and
effective date; a working revision: "DRAFT"; a replaced or withdrawn one: its state) and a
footer saying the copy is uncontrolled when printed. WeasyPrint renders the stamp once per page
size as a transparent overlay page, with the vendored Noto fonts (Vietnamese and Lao glyphs);
pypdf lays it over each page of a copy. The stored original is only read: its bytes, and so
its SHA-256, never change.

Only PDFs are stamped. Other types (DOCX, XLSX, ODT) are served as stored, and the pages say so.
A PDF that cannot be read (encrypted, damaged) or is too large to stamp within a request is
served as stored too, and logged.
"""

import io
import logging

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _

from .models import RevisionStatus

logger = logging.getLogger(__name__)

# Bounds for stamping inside a request: beyond these the stored file is served unstamped.
STAMP_MAX_BYTES = 30 * 1024 * 1024
STAMP_MAX_PAGES = 500


def can_stamp(revision):
    return revision.file_kind == "pdf"


def stamp_lines(revision):
    """(header, footer) for ``revision``, in the organisation's language (the copy's reader may
    print it for anyone)."""
    with translation.override(settings.LANGUAGE_CODE):
        name = str(revision)  # "QT-07 lần ban hành 3"
        if revision.status == RevisionStatus.EFFECTIVE:
            date = formats.date_format(revision.effective_date, "d/m/Y")
            header = f"{name} · {_('Effective date')}: {date}"
        elif revision.status in (RevisionStatus.SUPERSEDED, RevisionStatus.OBSOLETE):
            header = f"{name} · {revision.get_status_display().upper()}"
        else:
            header = f"{str(RevisionStatus.DRAFT.label).upper()} · {name}"
        footer = str(_("Uncontrolled when printed"))
    return header, footer


def _overlay(width, height, header, footer, draft):
    """A one-page transparent PDF of ``width`` × ``height`` points carrying the stamp."""
    from ims.pdf import render_pdf

    html = render_to_string(
        "documents/stamp.html",
        {"width": width, "height": height, "header": header, "footer": footer, "draft": draft},
    )
    return render_pdf(html)


def stamped_pdf(revision):
    """The stamped copy of ``revision``'s PDF as bytes, or None when it cannot be stamped (the
    caller then serves the stored file as it is)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PdfReadError

    if not can_stamp(revision) or revision.file_size > STAMP_MAX_BYTES:
        return None
    header, footer = stamp_lines(revision)
    draft = revision.status not in (
        RevisionStatus.EFFECTIVE,
        RevisionStatus.SUPERSEDED,
        RevisionStatus.OBSOLETE,
    )
    try:
        with revision.file.open("rb") as handle:
            reader = PdfReader(io.BytesIO(handle.read()))
        if reader.is_encrypted or len(reader.pages) > STAMP_MAX_PAGES:
            return None
        overlays = {}
        writer = PdfWriter(clone_from=reader)
        for page in writer.pages:
            if page.rotation:
                page.transfer_rotation_to_content()  # the stamp reads upright on screen
            box = page.mediabox
            size = (round(float(box.width), 1), round(float(box.height), 1))
            if size not in overlays:
                pdf = _overlay(size[0], size[1], header, footer, draft)
                overlays[size] = PdfReader(io.BytesIO(pdf)).pages[0]
            page.merge_translated_page(overlays[size], float(box.left), float(box.bottom))
        writer.add_metadata({"/Subject": header})
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        logger.warning(
            "Revision %s could not be stamped (%s): served as stored", revision.pk, error
        )
        return None
