"""The commit-message hook: a subject of at most 72 characters, then a blank line."""

import importlib.machinery
import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check-commit-message"


def _check():
    loader = importlib.machinery.SourceFileLoader("check_commit_message", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module.problems


def test_a_short_subject_with_a_body_after_a_blank_line_passes():
    assert _check()("audits: the list reads across a phone\n\nWhy it changed.\n") == []


def test_a_long_subject_or_a_body_glued_to_it_is_refused():
    problems = _check()
    assert problems("x" * 73) == ["the subject has 73 characters; at most 72"]
    assert problems("subject\nbody right below") == [
        "leave a blank line between the subject and the body"
    ]
    assert problems("# only a comment\n") == ["the message has no subject"]
