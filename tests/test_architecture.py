"""The house rules of `app`'s package graph, checked on the source: parsed, never imported.

A "package" is a first-level name under `app` (`app.posts`, `app.db`, `app.errors`, `app.main`).
Every `import` counts, including those inside functions and under `TYPE_CHECKING`: an import that
only type checkers run still couples the two packages.
"""

import ast
import re
import textwrap
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FEATURES = frozenset(
    {"app.auth", "app.users", "app.posts", "app.comments", "app.health", "app.jobs"}
)
# Names that build SQL; importing one outside a repository or `app/db` means SQL lives there.
SQL_BUILDERS = frozenset(
    {
        "select",
        "insert",
        "update",
        "delete",
        "text",
        "func",
        "literal_column",
        "bindparam",
        "and_",
        "or_",
        "tuple_",
    }
)
SQL_STRING = re.compile(r"\b(SELECT|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b")
DOCUMENTABLE = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass(frozen=True, slots=True)
class Module:
    name: str
    path: Path
    tree: ast.Module

    @property
    def package(self) -> str:
        return package_of(self.name)

    @property
    def may_hold_sql(self) -> bool:
        """Repositories and everything under `app/db` (migrations included)."""
        return self.path.name == "repository.py" or self.package == "app.db"


@dataclass(frozen=True, slots=True)
class Import:
    module: Module
    target: str
    node: ast.Import | ast.ImportFrom

    def __str__(self) -> str:
        return f"{self.module.path}:{self.node.lineno}: {ast.unparse(self.node)}"


def package_of(name: str) -> str:
    return ".".join(name.split(".")[:2])


@cache
def app_modules() -> tuple[Module, ...]:
    modules = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        relative = path.relative_to(ROOT)
        parts = relative.with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(relative))
        modules.append(Module(name, relative, tree))
    return tuple(modules)


def absolute_base(module: Module, node: ast.ImportFrom) -> str:
    """The module a `from ... import` reads from, with relative imports resolved."""
    if node.level == 0:
        return node.module or ""
    package = module.name if module.path.name == "__init__.py" else module.name.rpartition(".")[0]
    base = package.rsplit(".", node.level - 1)[0]
    return f"{base}.{node.module}" if node.module else base


def imports_of(module: Module, known: frozenset[str]) -> Iterator[Import]:
    """Each imported module; `from app.posts import repository` names `app.posts.repository`."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, node)
        elif isinstance(node, ast.ImportFrom):
            base = absolute_base(module, node)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield Import(module, submodule if submodule in known else base, node)


@cache
def internal_imports() -> tuple[Import, ...]:
    known = frozenset(module.name for module in app_modules())
    return tuple(
        imported
        for module in app_modules()
        for imported in imports_of(module, known)
        if imported.target == "app" or imported.target.startswith("app.")
    )


@cache
def package_edges() -> Mapping[tuple[str, str], tuple[Import, ...]]:
    edges: defaultdict[tuple[str, str], list[Import]] = defaultdict(list)
    for imported in internal_imports():
        source, target = imported.module.package, package_of(imported.target)
        if source != target:
            edges[source, target].append(imported)
    return {edge: tuple(sites) for edge, sites in edges.items()}


def package_graph() -> dict[str, set[str]]:
    graph: defaultdict[str, set[str]] = defaultdict(set)
    for source, target in package_edges():
        graph[source].add(target)
    return graph


def reachable(graph: Mapping[str, Iterable[str]], start: str) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        for following in graph.get(stack.pop(), ()):
            if following not in seen:
                seen.add(following)
                stack.append(following)
    return seen


def strongly_connected(graph: Mapping[str, Iterable[str]]) -> list[frozenset[str]]:
    """The components with a cycle in them: each package that reaches itself, with its peers."""
    reach = {node: reachable(graph, node) for node in graph}
    return sorted(
        {
            frozenset(peer for peer in reach[node] if node in reach.get(peer, ()))
            for node in graph
            if node in reach[node]
        },
        key=sorted,
    )


def cycles_from(
    graph: Mapping[str, Iterable[str]], component: frozenset[str], path: list[str]
) -> Iterator[list[str]]:
    """Each elementary cycle through `path[0]` that visits only larger names of `component`."""
    for following in sorted(set(graph.get(path[-1], ())) & component):
        if following == path[0]:
            yield [*path, following]
        elif following > path[0] and following not in path:
            yield from cycles_from(graph, component, [*path, following])


def cycle_report(components: Iterable[frozenset[str]]) -> list[str]:
    """The cycles of each component, then the imports that close them."""
    graph = package_graph()
    cycles: list[str] = []
    sites: list[str] = []
    for component in components:
        for start in sorted(component):
            cycles += [" -> ".join(cycle) for cycle in cycles_from(graph, component, [start])]
        for (source, target), imports in sorted(package_edges().items()):
            if source in component and target in component:
                sites += [f"{source} -> {target}  {imported}" for imported in imports]
    return [*cycles, "imports that close them:", *sites] if cycles else []


def fail_with(heading: str, problems: Iterable[str]) -> None:
    listed = list(dict.fromkeys(problems))
    if listed:
        pytest.fail("\n".join([heading, *(f"  {problem}" for problem in listed)]), pytrace=False)


def docstrings(tree: ast.Module) -> set[ast.AST]:
    found: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, DOCUMENTABLE) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(first.value)
    return found


def fstring_text(node: ast.JoinedStr) -> str:
    """The f-string's text with `{...}` for each placeholder."""
    return "".join(
        str(part.value) if isinstance(part, ast.Constant) else "{...}" for part in node.values
    )


def string_literals(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Line and text of each string literal but docstrings; an f-string counts as one literal."""
    skipped = docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            skipped.update(node.values)
            yield node.lineno, fstring_text(node)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node not in skipped:
            yield node.lineno, node.value


def sql_strings(module: Module) -> Iterator[str]:
    for line, text in string_literals(module.tree):
        if SQL_STRING.search(text):
            yield f"{module.path}:{line}: SQL string {textwrap.shorten(text, 60)!r}"


def root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def sql_builders(module: Module) -> Iterator[str]:
    """`from sqlalchemy... import select`, or `sa.select` after `import sqlalchemy as sa`."""
    aliases: set[str] = set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            if names := [alias.name for alias in node.names if alias.name in SQL_BUILDERS]:
                yield f"{module.path}:{node.lineno}: imports {', '.join(names)} from {node.module}"
        elif isinstance(node, ast.Import):
            aliases |= {
                alias.asname or alias.name.split(".")[0]
                for alias in node.names
                if alias.name.split(".")[0] == "sqlalchemy"
            }
    for node in ast.walk(module.tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in SQL_BUILDERS
            and root_name(node.value) in aliases
        ):
            yield f"{module.path}:{node.lineno}: uses {ast.unparse(node)}"


def test_packages_import_each_other_without_cycles() -> None:
    fail_with(
        "Import cycles between app's packages (a package must sit below all it imports):",
        cycle_report(strongly_connected(package_graph())),
    )


@pytest.mark.parametrize(
    ("layer", "above"),
    [
        pytest.param("app.db", {"app.http", *FEATURES}, id="db-below-http-and-features"),
        pytest.param("app.http", FEATURES, id="http-below-features"),
    ],
)
def test_shared_layers_import_nothing_above_them(layer: str, above: set[str]) -> None:
    fail_with(
        f"{layer} must know nothing of {', '.join(sorted(above))}; it imports:",
        (
            str(imported)
            for imported in internal_imports()
            if imported.module.package == layer and package_of(imported.target) in above
        ),
    )


def test_errors_is_in_no_cycle() -> None:
    fail_with(
        "app.errors is part of an import cycle (it must sit below app.http and app.db):",
        cycle_report(
            component
            for component in strongly_connected(package_graph())
            if "app.errors" in component
        ),
    )


def test_repositories_import_nothing_from_http() -> None:
    fail_with(
        "Repositories and app/db must not import app.http:",
        (
            str(imported)
            for imported in internal_imports()
            if imported.module.may_hold_sql and package_of(imported.target) == "app.http"
        ),
    )


def test_features_call_other_features_services_not_repositories() -> None:
    fail_with(
        "A feature must call another feature's service, never its repository:",
        (
            str(imported)
            for imported in internal_imports()
            if imported.module.package in FEATURES
            and package_of(imported.target) in FEATURES - {imported.module.package}
            and imported.target.rpartition(".")[2] == "repository"
        ),
    )


@pytest.mark.parametrize("find_sql", [sql_builders, sql_strings], ids=["builders", "strings"])
def test_sql_only_in_repositories_and_db(find_sql: Callable[[Module], Iterator[str]]) -> None:
    fail_with(
        "SQL belongs in a repository.py or under app/db; found:",
        (
            problem
            for module in app_modules()
            if not module.may_hold_sql
            for problem in find_sql(module)
        ),
    )
