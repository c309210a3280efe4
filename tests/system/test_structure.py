"""Structure guards (issue 13; ../shared/guides/ARCHITECTURE.md, "Guarding it").

No database: the source is read (``ast``) and its import graph built (``grimp``, which
import-linter installs). Each failure names the file and line. What is guarded:

- no import circle between project modules, except an app's Celery task module
  (``<app>.tasks``) with modules of the same app (a module enqueues the task, the task
  calls back into the module). Imports under ``if TYPE_CHECKING:`` never run and are how
  a type is named without a circle: they do not count;
- no module imports another module's ``_private`` name;
- no ``ProgramKind.<MEMBER>`` in the kernel and the capabilities (grants, workflows,
  finance, letters, rules) outside ``grants/models.py`` and ``grants/kinds.py``: they ask
  the kind's hooks (``grants.kinds``) instead of branching on the kind;
- ``Application.status`` is written only by ``grants/transitions.py``;
- the award epilogue (approved notice + award letter) is written once, in
  ``workflows/lifecycle.py``.

The project's packages are ``config`` and every ``INSTALLED_APPS`` entry that is a folder of
this repository, so a new app is guarded without being listed here.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import grimp
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]  # the repository

# The kernel and the capabilities: they never name a programme kind.
KIND_BLIND = ("grants", "workflows", "finance", "letters", "rules")
KIND_OWNERS = {"grants/models.py", "grants/kinds.py"}
STATUS_WRITER = "grants/transitions.py"
LIFECYCLE = "workflows/lifecycle.py"

# Known exceptions, each with its way out. Tolerated while they exist; one that is gone is
# reported as a warning, so that its entry is deleted.
KNOWN_PRIVATE_IMPORTS: set[tuple[str, str, str]] = set()
KNOWN_KIND_NAMES: set[str] = set()

# Calls that write the keyword ``status=`` (``filter(status=...)`` only reads).
WRITING_CALLS = {"update", "create", "get_or_create", "update_or_create", "Application"}


# ---------------------------------------------------------------- the project's sources


@cache
def packages() -> tuple[str, ...]:
    names = ["config"]
    for entry in settings.INSTALLED_APPS:
        top = entry.split(".")[0]
        if (ROOT / top / "__init__.py").is_file() and top not in names:
            names.append(top)
    return tuple(names)


@dataclass(frozen=True)
class Source:
    path: str  # relative to the repository, with "/"
    module: str
    tree: ast.Module


@cache
def sources() -> tuple[Source, ...]:
    found = []
    for package in packages():
        for file in sorted((ROOT / package).rglob("*.py")):
            rel = file.relative_to(ROOT)
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(rel))
            found.append(Source(rel.as_posix(), ".".join(parts), tree))
    return tuple(found)


def project_module(name: str) -> bool:
    return name.split(".")[0] in packages()


def absolute(source: Source, node: ast.ImportFrom) -> str:
    """The module an ``from … import`` names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    is_package = source.path.endswith("__init__.py")
    base = source.module.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def where(source: Source, node: ast.AST) -> str:
    return f"{source.path}:{getattr(node, 'lineno', '?')}"


def fail_if(problems: list[str], what: str) -> None:
    assert not problems, f"{what}:\n  " + "\n  ".join(problems)


def warn_stale(known: set, seen: set, what: str) -> None:
    for entry in sorted(known - seen):
        warnings.warn(f"{what}: {entry} is no longer there; delete it from the list", stacklevel=2)


# ---------------------------------------------------------------- import circles


@cache
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*packages(), exclude_type_checking_imports=True, cache_dir=None)


def strongly_connected(nodes: set[str], edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative; components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    counter = 0
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next((c for c in children if c in nodes), None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(component)
    return components


def allowed_task_circle(component: set[str], edges: dict[str, set[str]]) -> bool:
    """Only ``<app>.tasks`` with modules of its own app, and no circle without the task module."""
    apps = {name.split(".")[0] for name in component}
    if len(apps) != 1:
        return False
    tasks = f"{apps.pop()}.tasks"
    rest = component - {tasks}
    return tasks in component and not strongly_connected(rest, edges)


def shortest_circle(start: str, component: set[str], edges: dict[str, set[str]]) -> list[str]:
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(edges.get(node, ())):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if child in component and child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    return [start]


def import_lines(importer: str, imported: str) -> str:
    details = graph().get_import_details(importer=importer, imported=imported)
    path = importer.replace(".", "/")
    path += "/__init__.py" if (ROOT / path).is_dir() else ".py"
    return "; ".join(f"{path}:{d['line_number']} {d['line_contents']}" for d in details)


def test_no_import_circles() -> None:
    g = graph()
    nodes = set(g.modules)
    edges = {m: g.find_modules_directly_imported_by(m) for m in nodes}
    problems = []
    for component in strongly_connected(nodes, edges):
        if allowed_task_circle(component, edges):
            continue
        circle = shortest_circle(min(component), component, edges)
        steps = [import_lines(a, b) for a, b in zip(circle, circle[1:], strict=False)]
        problems.append(
            f"{' -> '.join(circle)} (circle of {len(component)} modules: "
            f"{', '.join(sorted(component))})\n      " + "\n      ".join(steps)
        )
    fail_if(problems, "import circles between project modules")


def test_strongly_connected_finds_circles() -> None:
    """The guard's own algorithm, on a small graph."""
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "x.tasks": {"x.m"}, "x.m": {"x.tasks"}}
    found = strongly_connected(set(edges), edges)
    assert sorted(sorted(c) for c in found) == [["a", "b", "c"], ["x.m", "x.tasks"]]
    assert allowed_task_circle({"x.m", "x.tasks"}, edges)
    assert not allowed_task_circle({"a", "b", "c"}, edges)
    assert shortest_circle("a", {"a", "b", "c"}, edges) == ["a", "b", "c", "a"]


# ---------------------------------------------------------------- private names


def test_no_private_names_imported_from_other_modules() -> None:
    problems = []
    seen = set()
    for source in sources():
        for node in ast.walk(source.tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            module = absolute(source, node)
            if not project_module(module) or module == source.module:
                continue
            for alias in node.names:
                name = alias.name
                if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
                    if (source.path, module, name) in KNOWN_PRIVATE_IMPORTS:
                        seen.add((source.path, module, name))
                        continue
                    problems.append(f"{where(source, node)} from {module} import {name}")
    fail_if(problems, "private names imported from another module (make them public or move them)")
    warn_stale(KNOWN_PRIVATE_IMPORTS, seen, "KNOWN_PRIVATE_IMPORTS")


# ---------------------------------------------------------------- programme kinds


def kind_members() -> set[str]:
    from grants.models import ProgramKind

    return set(ProgramKind.names)


def test_no_programme_kind_named_outside_its_owners() -> None:
    members = kind_members()
    problems = []
    seen = set()
    for source in sources():
        if source.module.split(".")[0] not in KIND_BLIND or source.path in KIND_OWNERS:
            continue
        if source.path in KNOWN_KIND_NAMES:
            seen.add(source.path)
            continue
        for node in ast.walk(source.tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "ProgramKind"
                and node.attr in members
            ):
                problems.append(f"{where(source, node)} ProgramKind.{node.attr}")
    fail_if(
        problems,
        "a programme kind named in the kernel or a capability (ask grants.kinds' hooks instead)",
    )
    warn_stale(KNOWN_KIND_NAMES, seen, "KNOWN_KIND_NAMES")


# ---------------------------------------------------------------- Application.status


def grants_status_names(source: Source) -> tuple[set[str], set[str]]:
    """(names bound to grants.models.Status, names bound to the grants.models module)."""
    status = {"Status"} if source.module == "grants.models" else set()
    modules = set()
    for node in ast.walk(source.tree):
        if isinstance(node, ast.ImportFrom):
            module = absolute(source, node)
            for alias in node.names:
                if module == "grants.models" and alias.name == "Status":
                    status.add(alias.asname or alias.name)
                if module == "grants" and alias.name == "models":
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "grants.models":
                    modules.add(alias.asname or "grants.models")
    return status, modules


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return ""


def refers_to_status(value: ast.AST, status: set[str], modules: set[str]) -> bool:
    for node in ast.walk(value):
        if isinstance(node, ast.Name) and node.id in status:
            return True
        if isinstance(node, ast.Attribute) and node.attr == "Status":
            if dotted(node.value) in modules:
                return True
    return False


def call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def status_writes(source: Source) -> Iterator[tuple[ast.AST, str]]:
    status, modules = grants_status_names(source)
    for node in ast.walk(source.tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            flat = [t for target in targets for t in ast.walk(target)]
            if (
                node.value is not None
                and any(isinstance(t, ast.Attribute) and t.attr == "status" for t in flat)
                and refers_to_status(node.value, status, modules)
            ):
                yield node, "<obj>.status = … Status …"
        elif isinstance(node, ast.Call):
            name = call_name(node)
            if name == "setattr" and len(node.args) >= 2:
                attr = node.args[1]
                if isinstance(attr, ast.Constant) and attr.value == "status":
                    yield node, 'setattr(…, "status", …)'
            if name not in WRITING_CALLS:
                continue
            for keyword in node.keywords:
                if keyword.arg == "status" and refers_to_status(keyword.value, status, modules):
                    yield node, f".{name}(status=… Status …)"
                if keyword.arg in ("defaults", "create_defaults") and isinstance(
                    keyword.value, ast.Dict
                ):
                    for key, value in zip(keyword.value.keys, keyword.value.values, strict=True):
                        if (
                            isinstance(key, ast.Constant)
                            and key.value == "status"
                            and refers_to_status(value, status, modules)
                        ):
                            yield node, f'.{name}({keyword.arg}={{"status": … Status …}})'


def test_application_status_written_only_by_transitions() -> None:
    problems = [
        f"{where(source, node)} {what}"
        for source in sources()
        if source.path != STATUS_WRITER
        for node, what in status_writes(source)
    ]
    fail_if(problems, f"Application.status written outside {STATUS_WRITER} (call transition())")


def test_status_scan_sees_the_ways_of_writing() -> None:
    """The scan on a made-up module: each way of writing is found, reads and other Status are not."""
    code = """
from grants.models import Status as S
from finance.models import Tranche
app.status = S.APPROVED
app.status, other = (S.PAID, 1)
Application.objects.filter(pk=1).update(status=S.PAID)
Application.objects.update_or_create(pk=1, defaults={"status": S.DRAFT})
setattr(app, "status", value)
Application.objects.filter(status=S.DRAFT)
tranche.status = Tranche.Status.PAID
"""
    source = Source("x/made_up.py", "x.made_up", ast.parse(code))
    lines = sorted(node.lineno for node, _what in status_writes(source))
    assert lines == [4, 5, 6, 7, 8]


# ---------------------------------------------------------------- the award epilogue


AWARD_KIND = ("award", "LetterKind.AWARD")
APPROVED_NOTICE = ("approved", "Notification.Kind.APPROVED", "Kind.APPROVED")


def named(value: ast.AST, names: tuple[str, ...]) -> bool:
    if isinstance(value, ast.Constant):
        return value.value in names
    return dotted(value) in names


def epilogue_steps(source: Source) -> Iterator[tuple[ast.AST, str]]:
    for node in ast.walk(source.tree):
        if not isinstance(node, ast.Call):
            continue
        func = dotted(node.func)
        arguments = [*node.args, *(k.value for k in node.keywords)]
        letter_call = call_name(node) in ("letter_enqueue", "issue_letter") or func.startswith(
            "issue_letter."
        )
        if letter_call and any(named(a, AWARD_KIND) for a in arguments):
            yield node, f"{func}(… award …): the award letter"
        if call_name(node) == "notify" and any(
            k.arg == "kind" and named(k.value, APPROVED_NOTICE) for k in node.keywords
        ):
            yield node, 'notify(kind="approved"): the approval notice'


def test_award_epilogue_written_once() -> None:
    problems = [
        f"{where(source, node)} {what}"
        for source in sources()
        if source.path != LIFECYCLE
        for node, what in epilogue_steps(source)
    ]
    fail_if(problems, f"the award epilogue outside {LIFECYCLE} (call lifecycle.award_approved)")
    in_lifecycle = [s for s in sources() if s.path == LIFECYCLE]
    assert in_lifecycle and any(epilogue_steps(in_lifecycle[0])), (
        f"{LIFECYCLE} no longer enqueues the award letter: update this guard"
    )
