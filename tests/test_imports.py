"""Who may import whom, proved by walking the source (every import statement, lazy ones inside
functions too) of every module under services/, migrations included:

- the kit (`sanbao_common`) imports no service package and not the CLI;
- the CLI (`sanbao_cli`) imports only the kit, contract packages, itself and third-party code;
- no service package (nor its migrations) imports another service package or the CLI; contract
  packages, its own and others', are allowed (decision 0011);
- a contract package imports only the standard library;
- no package's modules import each other in a circle at module level;
- no module borrows another's private name (`from x import _helper`): what is shared is public.

The checker is plain functions over source text, so the last tests feed it violations and expect
it to find them: a rule that cannot fail proves nothing."""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"
KIT = "sanbao_common"
CLI = "sanbao_cli"
SERVICES = ("registry", "dispatch", "fund", "settlement", "notify")
# The packages others may build on without a service's code: one per service, standard library
# only (decision 0011). Named here, not matched by pattern, so a new one is a visible change.
CONTRACTS = frozenset(f"{service}_contract" for service in SERVICES)
STANDARD_LIBRARY = frozenset(sys.stdlib_module_names)


@dataclass(frozen=True)
class Module:
    path: Path
    owner: str  # the package whose rules apply: sanbao_cli, registry, fund_contract, ...
    name: str | None  # dotted module name; None for migrations (nothing imports them)
    source: str


@dataclass(frozen=True)
class Import:
    name: str  # dotted, absolute
    line: int
    module_level: bool  # executed when the module is imported (not inside a function)


def imports_of(source: str, package: str | None = None) -> list[Import]:
    """Every import in SOURCE: statements anywhere (relative ones resolved against PACKAGE, the
    importing module's package) and `importlib.import_module("...")` with a literal name."""
    tree = ast.parse(source)
    found: list[Import] = []

    def visit(node: ast.AST, module_level: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend(Import(a.name, node.lineno, module_level) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, package)
            if base is not None:
                # `from a import b` may name the submodule a.b: keep both, rules see the package.
                found.append(Import(base, node.lineno, module_level))
                found.extend(
                    Import(f"{base}.{a.name}", node.lineno, module_level)
                    for a in node.names
                    if a.name != "*"
                )
        elif (
            isinstance(node, ast.Call)
            and _called_name(node.func) in ("import_module", "importlib.import_module")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append(Import(node.args[0].value, node.lineno, module_level))
        inside = module_level and not isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
        )
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(tree, True)
    return found


def _absolute(module: str | None, level: int, package: str | None) -> str | None:
    if level == 0:
        return module
    if package is None:
        return None
    parts = package.split(".")
    base = parts[: len(parts) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _called_name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return ""


def rule_findings(owner: str, imports: list[Import], first_party: frozenset[str]) -> list[str]:
    """What OWNER's imports break, one line each; empty when it keeps to its rules."""
    findings = []
    for imported in imports:
        top = imported.name.split(".")[0]
        problem = _forbidden(owner, top, first_party)
        if problem:
            findings.append(f"line {imported.line}: imports {imported.name}: {problem}")
    return findings


def _forbidden(owner: str, top: str, first_party: frozenset[str]) -> str | None:
    if top == owner:
        return None
    if owner in CONTRACTS:
        if top in STANDARD_LIBRARY:
            return None
        return "a contract package imports only the standard library"
    if top in CONTRACTS or top == KIT:
        return None
    if top in SERVICES:
        if owner == KIT:
            return "the kit imports no service package"
        if owner == CLI:
            return "the CLI imports no service package, only contracts"
        return f"a service imports no other service ({top}); use its contract package or RPC"
    if top == CLI:
        return "nothing imports the CLI"
    if top in first_party:
        return f"{top} is nobody's to import"
    return None  # the standard library or a third-party distribution


def private_names(imports: list[Import], first_party: frozenset[str]) -> list[str]:
    """First-party names imported although private to their module (`_name`, not `__name__`)."""
    return [
        f"line {imported.line}: imports {imported.name}, private to its module"
        for imported in imports
        if imported.name.split(".")[0] in first_party
        and any(
            part.startswith("_") and not part.endswith("__") for part in imported.name.split(".")
        )
    ]


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each cycle of GRAPH (module -> the modules it imports), once, as the path round it."""
    cycles, done, path = [], set(), []
    on_path: set[str] = set()

    def visit(node: str) -> None:
        path.append(node)
        on_path.add(node)
        for target in sorted(graph.get(node, ())):
            if target in on_path:
                cycles.append(path[path.index(target) :] + [target])
            elif target not in done:
                visit(target)
        on_path.discard(node)
        path.pop()
        done.add(node)

    for node in sorted(graph):
        if node not in done:
            visit(node)
    return cycles


def module_graph(modules: list[Module]) -> dict[str, set[str]]:
    """Module-level imports between the given modules: importing a.b.c runs a and a.b first."""
    known = {m.name for m in modules if m.name}
    graph: dict[str, set[str]] = {name: set() for name in known}
    for module in modules:
        if module.name is None:
            continue
        for imported in imports_of(module.source, _package_of(module)):
            if not imported.module_level:
                continue
            parts = imported.name.split(".")
            for end in range(1, len(parts) + 1):
                target = ".".join(parts[:end])
                if target in known and target != module.name:
                    graph[module.name].add(target)
    return graph


def _package_of(module: Module) -> str | None:
    if module.name is None:
        return None
    if module.path.name == "__init__.py":
        return module.name
    return module.name.rpartition(".")[0]


# -- the tree ---------------------------------------------------------------------------------


def _collect() -> list[Module]:
    modules = []
    for path in sorted(SERVICES_DIR.rglob("*.py")):
        relative = path.relative_to(SERVICES_DIR)
        if "__pycache__" in relative.parts or any(p.endswith(".egg-info") for p in relative.parts):
            continue
        distribution, top = relative.parts[0], relative.parts[1]
        if top == "alembic":
            owner, name = distribution, None
        else:
            owner = top
            parts = list(relative.parts[1:])
            parts[-1] = parts[-1].removesuffix(".py")
            if parts[-1] == "__init__":
                parts.pop()
            name = ".".join(parts)
        modules.append(Module(path, owner, name, path.read_text(encoding="utf-8")))
    return modules


MODULES = _collect()
FIRST_PARTY = frozenset(m.owner for m in MODULES if m.name is not None)
PACKAGES = sorted(FIRST_PARTY)


def test_every_module_under_services_belongs_to_a_known_package():
    assert MODULES, SERVICES_DIR
    expected = {KIT, CLI, *SERVICES} | CONTRACTS
    assert not FIRST_PARTY - expected, f"unknown packages under services/: {FIRST_PARTY - expected}"
    assert {KIT, CLI, *SERVICES} <= FIRST_PARTY


def _findings_in(owner: str, check) -> list[str]:
    """CHECK(module, its imports) over OWNER's modules, each finding prefixed with its file."""
    return [
        f"{module.path.relative_to(SERVICES_DIR.parent)} {finding}"
        for module in MODULES
        if module.owner == owner
        for finding in check(module, imports_of(module.source, _package_of(module)))
    ]


@pytest.mark.parametrize("owner", PACKAGES)
def test_package_imports_only_what_it_may(owner):
    findings = _findings_in(owner, lambda m, imports: rule_findings(owner, imports, FIRST_PARTY))
    assert not findings, "\n".join(findings)


@pytest.mark.parametrize("owner", PACKAGES)
def test_no_module_borrows_a_private_name(owner):
    findings = _findings_in(owner, lambda m, imports: private_names(imports, FIRST_PARTY))
    assert not findings, "\n".join(findings)


@pytest.mark.parametrize("owner", PACKAGES)
def test_no_import_cycle_within_package(owner):
    graph = module_graph([m for m in MODULES if m.owner == owner])
    cycles = [" -> ".join(cycle) for cycle in import_cycles(graph)]
    assert not cycles, "\n".join(cycles)


# -- the checker finds what it must ------------------------------------------------------------

FAKE_FIRST_PARTY = frozenset({KIT, CLI, *SERVICES} | CONTRACTS)


@pytest.mark.parametrize(
    ("owner", "source"),
    [
        (KIT, "from registry.rosters import samples"),
        (KIT, "import fund.domain.accounts"),
        (KIT, "def later():\n    from sanbao_cli import output\n"),
        (CLI, "def template():\n    from registry.rosters.samples import roster_bytes\n"),
        (CLI, "from fund.domain import accounts"),
        (CLI, "import importlib\nimportlib.import_module('dispatch.service')"),
        ("dispatch", "from registry.people.domain import Person"),
        ("fund", "import registry"),
        ("registry", "from sanbao_cli.session import Session"),
        ("fund_contract", "import click"),
        ("fund_contract", "from sanbao_common.money import format_yuan"),
        ("registry_contract", "from registry.people import domain"),
    ],
)
def test_checker_finds_a_forbidden_import(owner, source):
    assert rule_findings(owner, imports_of(source, owner), FAKE_FIRST_PARTY)


@pytest.mark.parametrize(
    ("owner", "source"),
    [
        (KIT, "import json\nimport sqlalchemy\nfrom sanbao_common.money import format_yuan"),
        (CLI, "import click\nfrom fund_contract.signing import TERMS_FIELDS"),
        (CLI, "from registry_contract.vocabularies import EMPLOYMENT_STATUSES"),
        ("dispatch", "from registry_contract import vocabularies\nfrom dispatch import handlers"),
        ("registry", "from . import domain\nfrom .people import repository"),
        ("fund_contract", "from __future__ import annotations\nimport json"),
    ],
)
def test_checker_allows_what_is_allowed(owner, source):
    assert rule_findings(owner, imports_of(source, owner), FAKE_FIRST_PARTY) == []


def _fake(name: str, source: str, init: bool = False) -> Module:
    path = Path(*name.split("."), "__init__.py" if init else "x.py")
    return Module(path, name.split(".")[0], name, source)


def test_checker_finds_a_module_level_cycle():
    modules = [
        _fake("pkg", "", init=True),
        _fake("pkg.main", "from pkg import commands\n"),
        _fake("pkg.commands", "from pkg.main import cli\n"),
        _fake("pkg.other", "def f():\n    from pkg import main\n"),
    ]
    assert import_cycles(module_graph(modules)) == [["pkg.commands", "pkg.main", "pkg.commands"]]


def test_checker_ignores_imports_inside_functions_for_cycles():
    modules = [
        _fake("pkg.main", "from pkg import commands\n"),
        _fake("pkg.commands", "def f():\n    from pkg.main import cli\n"),
    ]
    assert import_cycles(module_graph(modules)) == []


def test_checker_resolves_relative_imports():
    found = imports_of("from ..people import domain\n", "registry.rosters")
    assert {i.name for i in found} == {"registry.people", "registry.people.domain"}


def test_checker_finds_a_borrowed_private_name():
    borrowed = "from sanbao_cli.directory import KEY, _load_key\nfrom fund import __version__"
    found = private_names(imports_of(borrowed, CLI), FAKE_FIRST_PARTY)
    assert found == ["line 1: imports sanbao_cli.directory._load_key, private to its module"]
