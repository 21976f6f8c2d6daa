"""The three floors (CONTRIBUTING.md): imports only go down. The core imports no domain app;
between domain apps links run one way; nothing imports the dashboard or the benchmark app. Every
import counts, including those inside functions."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = {"documents", "audits", "nonconformities", "surveys"}
TOP = {"dashboard", "scale", "bench"}

# For each package: the first-party packages it must never import.
FORBIDDEN = {
    "ims": DOMAIN | TOP,
    "documents": (DOMAIN - {"documents"}) | TOP,
    "nonconformities": (DOMAIN - {"nonconformities"}) | TOP,
    "audits": {"surveys"} | TOP,
    "surveys": {"audits"} | TOP,
    "dashboard": {"scale", "bench"},
}


def _imported(path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def _violations(package):
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for name in _imported(path):
            if name in FORBIDDEN[package]:
                yield f"{path.relative_to(ROOT)} imports {name}"


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_only_go_down(package):
    assert list(_violations(package)) == []


def test_the_scan_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from surveys.public_views import csrf_failure\n")
    assert list(_imported(module)) == ["surveys"]
