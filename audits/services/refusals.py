"""How the audit services refuse a step that breaks one of the audit rules (AUD-R1 … AUD-R5)."""

from __future__ import annotations

import re
from typing import Any

from django.utils.text import capfirst

from ims.workflow import Refusal


class AuditRuleError(Refusal):
    """A domain rule (AUD-R1 … AUD-R5) refused the step. People read only the reason: the rule's
    code that starts the message ("AUD-R3: …", in every language) is taken off and kept in
    ``rule`` for tests and logs, where ``str()`` shows it again."""

    def __init__(self, message: Any, *args: Any, **kwargs: Any) -> None:
        self.rule, message = split_rule_code(message)
        super().__init__(message, *args, **kwargs)

    def __str__(self) -> str:
        reason = " ".join(self.messages)
        return f"{self.rule}: {reason}" if self.rule else reason


_RULE_CODE = re.compile(r"\s*([A-Z]{2,4}-R\d+)\s*:\s*")


def split_rule_code(message: Any) -> tuple[str, Any]:
    """``("AUD-R3", "a finding cites …")`` from ``"AUD-R3: a finding cites …"``; ``("", text)``
    for a message without a rule code. Rule codes are for developers, not for the people reading."""
    text = str(message)
    match = _RULE_CODE.match(text)
    if match is None:
        return "", message
    return match[1], capfirst(text[match.end() :])
