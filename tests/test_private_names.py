"""No module imports another module's private (underscore) name: what is shared gets a public name."""

from __future__ import annotations

import ast

from tests.support import ROOT

FOLDERS = ("edi", "parsers", "rules", "writers", "tests", "benchmarks", "fuzz")


def private_imports() -> list[tuple[str, int, str]]:
    found = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            module = path.relative_to(ROOT).as_posix()
            modules = set()  # names bound to imported modules, for `module._name`
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom):
                    for alias in node.names:
                        if alias.name.startswith("_") and not alias.name.startswith("__"):
                            found.append((module, node.lineno, alias.name))
                        modules.add(alias.asname or alias.name)
                elif isinstance(node, ast.Import):
                    modules.update((a.asname or a.name).split(".")[0] for a in node.names)
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Attribute)
                    and node.attr.startswith("_")
                    and not node.attr.startswith("__")
                    and isinstance(node.value, ast.Name)
                    and node.value.id in modules - {"os", "sys"}  # os._exit is the standard library's own
                ):
                    found.append((module, node.lineno, f"{node.value.id}.{node.attr}"))
    return found


def test_no_private_name_imported_across_modules():
    offenders = [f"{m}:{line} {name}" for m, line, name in private_imports()]
    assert offenders == [], "give these a public name: " + "; ".join(offenders)
