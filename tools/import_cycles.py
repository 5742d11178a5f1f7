"""Import cycles between the project's modules, and the imports made inside functions.

    python tools/import_cycles.py            # a summary; exits 1 when there is a cycle
    python tools/import_cycles.py --list     # also every cycle's modules and every local import

A cycle here is a strongly connected group of modules in grimp's import graph of ``models`` and
``explorer``, which counts imports made inside functions as well as those at the top of a file:
a function-local import hides a circle from Python at start-up, not from the design. Local
imports are found with :mod:`ast`; the only ones that belong are those deferring a heavy optional
import, and each says so in a comment on its line or the line above.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import grimp
import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("models", "explorer")


def cycles() -> list[list[str]]:
    """Each group of modules that import one another in a circle, largest first."""
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    g = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            g.add_edge(module, imported)
    groups = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    return sorted(groups, key=len, reverse=True)


def local_imports() -> list[tuple[str, int, str]]:
    """(file, line, the import) for every import inside a function."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for func in ast.walk(tree):
                if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for node in ast.walk(func):
                    if isinstance(node, (ast.Import, ast.ImportFrom)):
                        found.append((str(path.relative_to(ROOT)), node.lineno, ast.unparse(node)))
    return sorted(set(found))


def main(argv: list[str]) -> int:
    groups, local = cycles(), local_imports()
    print(f"import cycles: {len(groups)} ({sum(map(len, groups))} modules in them)")
    print(f"function-local imports: {len(local)} in {len({f for f, _, _ in local})} files")
    if "--list" in argv:
        for group in groups:
            print("cycle:", " ".join(group))
        for file, line, text in local:
            print(f"{file}:{line}: {text}")
    return 1 if groups else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
