"""The shape the next engineer can read: no production module over 400 lines unless its opening
docstring says why (a paragraph starting "Long because"), and no function over 80 lines.
Migrations are exempt: each is one frozen step, read once."""

import ast
from pathlib import Path

import pytest

from testkit import ROOT

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80
REASON = "Long because"


def production_modules() -> list[Path]:
    return sorted(
        path
        for path in (ROOT / "services").rglob("*.py")
        if "alembic" not in path.parts and ".egg-info" not in str(path)
    )


@pytest.fixture(scope="module")
def trees() -> dict[Path, tuple[ast.Module, int]]:
    parsed = {}
    for path in production_modules():
        text = path.read_text(encoding="utf-8")
        parsed[path] = (ast.parse(text), len(text.splitlines()))
    return parsed


def long_modules_without_a_reason(trees) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for path, (tree, lines) in trees.items()
        if lines > MAX_MODULE_LINES and REASON not in (ast.get_docstring(tree) or "")
    ]


def long_functions(trees) -> list[str]:
    found = []
    for path, (tree, _) in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length}")
    return found


def test_there_is_code_to_look_at(trees):
    assert len(trees) > 100


def test_no_module_is_long_without_saying_why(trees):
    assert long_modules_without_a_reason(trees) == []


def test_no_function_is_over_80_lines(trees):
    assert long_functions(trees) == []


def test_the_checks_find_what_they_look_for():
    long_body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    source = f'"""A module."""\n\ndef f():\n{long_body}\n' + "\n" * MAX_MODULE_LINES
    tree = ast.parse(source)
    fake = {ROOT / "services" / "x.py": (tree, len(source.splitlines()))}
    assert long_functions(fake) == [f"services/x.py:3 f: {MAX_FUNCTION_LINES + 1}"]
    assert long_modules_without_a_reason(fake) == [
        f"services/x.py: {len(source.splitlines())} lines"
    ]
    reasoned = f'"""A module.\n\n{REASON} it is one table."""\n' + "\n" * MAX_MODULE_LINES
    fake = {ROOT / "services" / "y.py": (ast.parse(reasoned), len(reasoned.splitlines()))}
    assert long_modules_without_a_reason(fake) == []
