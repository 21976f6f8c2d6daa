"""Compare two revisions of a document: their metadata side by side, and their text as a diff.

Text comes from the stored file where it is text-based: DOCX and ODT (the XML inside the zip),
PDF (pypdf's text extraction), plain text. Everything is bounded so a huge or hostile file
cannot stall the request: the file size read, the pages extracted, the XML expanded, the
characters kept and the lines diffed. Past a bound the comparison says so instead of guessing.
"""

import difflib
import io
import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

from django.utils.translation import gettext_lazy as _

from ims.files import zip_is_reasonable

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_PDF_PAGES = 200
MAX_XML_BYTES = 10 * 1024 * 1024
MAX_CHARS = 400_000
MAX_LINES = 4000

WORD_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
ODF_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


@dataclass
class Extracted:
    lines: list
    note: str = ""  # why there is no text, or that it was cut


def _docx_lines(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if not zip_is_reasonable(archive):
            return None
        info = archive.getinfo("word/document.xml")
        if info.file_size > MAX_XML_BYTES:
            return None
        root = ElementTree.fromstring(archive.read(info))  # noqa: S314 — no DTDs in OOXML
    lines = []
    for paragraph in root.iter(f"{WORD_NS}p"):
        lines.append(
            "".join(
                node.text or ("\t" if node.tag == f"{WORD_NS}tab" else "")
                for node in paragraph.iter()
                if node.tag in (f"{WORD_NS}t", f"{WORD_NS}tab")
            )
        )
    return lines


def _odt_lines(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if not zip_is_reasonable(archive):
            return None
        info = archive.getinfo("content.xml")
        if info.file_size > MAX_XML_BYTES:
            return None
        root = ElementTree.fromstring(archive.read(info))  # noqa: S314
    return [
        "".join(node.itertext())
        for node in root.iter()
        if node.tag in (f"{ODF_TEXT}p", f"{ODF_TEXT}h")
    ]


def _pdf_lines(data):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        return None
    text = []
    size = 0
    for page in reader.pages[:MAX_PDF_PAGES]:
        chunk = page.extract_text() or ""
        text.append(chunk)
        size += len(chunk)
        if size > MAX_CHARS:
            break
    return "\n".join(text).splitlines()


EXTRACTORS = {"docx": _docx_lines, "odt": _odt_lines, "pdf": _pdf_lines}


def extract_text(revision):
    """The revision's text as lines, bounded (``Extracted``)."""
    kind = revision.file_kind
    if kind == "txt" or revision.file_name.lower().endswith(".txt"):
        extractor = lambda data: data.decode("utf-8", "replace").splitlines()  # noqa: E731
    else:
        extractor = EXTRACTORS.get(kind)
    if extractor is None:
        return Extracted([], str(_("No text can be read from this type of file.")))
    if revision.file_size > MAX_FILE_BYTES:
        return Extracted([], str(_("The file is too large to compare its text.")))
    try:
        with revision.file.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        lines = extractor(data)
    except Exception:  # noqa: BLE001 — a damaged file has many ways to fail; say so
        lines = None
    if lines is None:
        return Extracted([], str(_("The text of this file could not be read.")))
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in lines]
    lines = [line for line in lines if line]
    note = ""
    total = 0
    for index, line in enumerate(lines):
        total += len(line)
        if total > MAX_CHARS or index >= MAX_LINES:
            lines = lines[:index]
            note = str(_("Only the beginning of the text is compared (the file is long)."))
            break
    return Extracted(lines, note)


def text_diff(old, new):
    """Rows for the template: ``(kind, old_line, new_line)`` with kind in equal / removed /
    added / changed, from ``difflib.SequenceMatcher`` (no junk heuristics: documents repeat
    lines)."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    rows = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(("equal", line, line) for line in old[i1:i2])
        elif tag == "delete":
            rows.extend(("removed", line, "") for line in old[i1:i2])
        elif tag == "insert":
            rows.extend(("added", "", line) for line in new[j1:j2])
        else:
            left, right = old[i1:i2], new[j1:j2]
            for k in range(max(len(left), len(right))):
                a = left[k] if k < len(left) else ""
                b = right[k] if k < len(right) else ""
                rows.append(("changed" if a and b else "removed" if a else "added", a, b))
    return rows


def collapse(rows, context=2):
    """Keep changed rows and ``context`` equal rows around them; long equal runs become one
    ``("skip", count, "")`` row."""
    keep = set()
    for index, row in enumerate(rows):
        if row[0] != "equal":
            keep.update(range(max(0, index - context), min(len(rows), index + context + 1)))
    out, skipped = [], 0
    for index, row in enumerate(rows):
        if index in keep:
            if skipped:
                out.append(("skip", skipped, ""))
                skipped = 0
            out.append(row)
        else:
            skipped += 1
    if skipped:
        out.append(("skip", skipped, ""))
    return out
