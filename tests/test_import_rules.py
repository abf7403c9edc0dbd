"""Which package may import which (ARCHITECTURE.md "Packages"; jobs/__init__.py).

Every import statement counts, wherever it stands: at module level, inside a function, under
`if TYPE_CHECKING:`, in migrations. A rule that breaks names the file and the import.
"""

from __future__ import annotations

import ast
from fnmatch import fnmatch
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# package -> what it must never import: a package (and all below it) or a module pattern.
# devices may use dashboard's helpers (dashboard.when) but none of its pages.
NEVER = {
    "accounts": {"devices", "jobs"},
    "jobs": {"devices", "realtime", "dashboard"},
    "devices": {"dashboard.*views", "dashboard.urls", "dashboard.page_urls"},
    "ewelink": {"django", "accounts", "devices", "jobs", "realtime", "dashboard", "cloudsim"},
    "cloudsim": {"django", "accounts", "devices", "jobs", "realtime", "dashboard"},
}


def imported(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in a file, `from a import b` also as a.b; relative
    imports stay inside the package and are left out."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def forbidden(module: str, rules: set[str]) -> bool:
    return any(
        module == rule or module.startswith(rule + ".") or fnmatch(module, rule) for rule in rules
    )


def breaches(package: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, module in imported(path)
        if forbidden(module, NEVER[package])
    ]


@pytest.mark.parametrize("package", sorted(NEVER))
def test_package_imports_follow_the_dependency_direction(package):
    assert breaches(package) == []


def test_the_rule_sees_imports_inside_functions_and_named_modules(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from devices import sync\n    import jobs.base\n")
    assert imported(sample) == [(2, "devices"), (2, "devices.sync"), (3, "jobs.base")]
    assert forbidden("devices.sync", NEVER["accounts"])
    assert forbidden("dashboard.thing_views", NEVER["devices"])
    assert not forbidden("dashboard.when", NEVER["devices"])
