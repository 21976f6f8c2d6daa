"""Every page, rendered in Vietnamese with demo-like records, reads as Vietnamese: no English
history words ("Changed", "Created"), no "rev. 1" nor "0 minutes", no bare "— →" workflow rows, no
raw state codes ("open → contained"), no rule codes ("AUD-R3:") and no clause slugs
("iso-9001-2015 7.2"; say "ISO 9001:2015 — 7.2").

The pages and their records come from the access table (``tests/test_access_completeness.py``):
every named URL answered with GET, as the person who owns its record. A new msgid that nobody has
translated yet shows here as English: that is intended, the catalogues are then due.
"""

import re

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from tests.test_access_completeness import CASES, DEFAULT_PEOPLE
from tests.test_access_completeness import objects as objects  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

# What a Vietnamese reader must never see, each with why.
FORBIDDEN = {
    r"\b(Changed|Created|Deleted)\b": "English history words",
    r"\brev\. ?\d": "“rev. 1”: say “lần ban hành 1”",
    r"\b0 (minutes|phút)\b": "“0 minutes”: say “vừa xong”",
    r"— →": "a workflow or history row without its step",
    r"\b[a-z]+(_[a-z]+)* → [a-z]+(_[a-z]+)*\b": "raw state codes (open → contained)",
    r"\b[A-Z]{2,4}-R\d+\b": "a rule code (AUD-R3)",
    r"\b(iso|IWA)-\d{4,5}(-\d{4})?\b": "a criteria-set slug (iso-9001-2015)",
}

PAGES = sorted(
    name
    for name, case in CASES.items()
    if case.method == "get" and not name.endswith(("_png", "_svg", "_thumb", "photo", "download"))
)


def visible_text(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    html = body.decode(errors="replace")
    html = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    return " ".join(strip_tags(html).split())


def problems(text):
    """What ``text`` shows that it must not: at most three examples of each kind."""
    found = []
    for pattern, why in FORBIDDEN.items():
        for match in list(re.finditer(pattern, text))[:3]:
            start = max(match.start() - 40, 0)
            found.append(f"{why}: …{text[start : match.end() + 40]}…")
    return found


@pytest.mark.parametrize("name", PAGES)
def test_page_reads_as_vietnamese(name, world, objects, client_for):  # noqa: F811
    case = CASES[name]
    user = getattr(world, case.people.get("owner", DEFAULT_PEOPLE["owner"]))
    user.language = "vi"
    user.save(update_fields=["language"])
    url = reverse(name, kwargs=case.kwargs(objects) if case.kwargs else {})
    response = client_for(user).get(url, case.data(objects) if case.data else {})
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        pytest.skip(f"{name}: {response.status_code} {response.get('Content-Type')}")
    found = problems(visible_text(response))
    assert not found, f"{name} ({url}):\n" + "\n".join(found)
