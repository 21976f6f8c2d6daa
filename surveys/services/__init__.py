"""Every write in the surveys app, one function per step, each atomic, by concern:

- ``instruments``: instruments from templates, their versions, sections and questions;
- ``campaigns``: a campaign created, published (its open links), closed;
- ``codes``: link and one-time codes, how a typed code is read, a unit's one-time codes;
- ``submission``: storing and counting an anonymous response (read its docstring first);
- ``results``: a nonconformity raised from a low result, the free-text permission.

``from surveys import services; services.campaign_close(...)`` and ``from surveys.services
import campaign_close`` both work: the public names are re-exported here.
"""

from surveys.services.campaigns import campaign_close, campaign_create, campaign_publish
from surveys.services.codes import (
    CROCKFORD,
    LINK_CODE_LENGTH,
    MAX_CODES_PER_BATCH,
    ONE_TIME_CODE_LENGTH,
    code_candidates,
    codes_generate,
    new_code,
    normalize_code,
    plain_code,
)
from surveys.services.instruments import (
    EDITABLE_QUESTION_FIELDS,
    instrument_create_from_template,
    question_add,
    question_delete,
    question_update,
    section_add,
    version_new,
)
from surveys.services.results import free_text_grant, free_text_revoke, result_raise
from surveys.services.submission import (
    AlreadySubmitted,
    CampaignNotOpen,
    CodeAlreadyUsed,
    response_submit,
    responses_import,
    tally_rebuild,
)

__all__ = [
    "CROCKFORD",
    "EDITABLE_QUESTION_FIELDS",
    "LINK_CODE_LENGTH",
    "MAX_CODES_PER_BATCH",
    "ONE_TIME_CODE_LENGTH",
    "AlreadySubmitted",
    "CampaignNotOpen",
    "CodeAlreadyUsed",
    "campaign_close",
    "campaign_create",
    "campaign_publish",
    "code_candidates",
    "codes_generate",
    "free_text_grant",
    "free_text_revoke",
    "instrument_create_from_template",
    "new_code",
    "normalize_code",
    "plain_code",
    "question_add",
    "question_delete",
    "question_update",
    "response_submit",
    "responses_import",
    "result_raise",
    "section_add",
    "tally_rebuild",
    "version_new",
]
