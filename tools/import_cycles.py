"""Import cycles between the project's modules, and the imports made inside functions.

    python tools/import_cycles.py            # a summary; exits 1 on a cycle or an unexplained local import
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


def local_imports() -> list[tuple[str, int, str, bool]]:
    """(file, line, the import, whether a comment says why it is deferred) for every import inside
    a function. The reason says "deferred", on the import's line or above the run of imports it is in."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            lines = text.splitlines()
            for func in ast.walk(ast.parse(text, str(path))):
                if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for node in ast.walk(func):
                    if isinstance(node, (ast.Import, ast.ImportFrom)):
                        said = _says_why(lines, node.lineno - 1)
                        found.append((str(path.relative_to(ROOT)), node.lineno, ast.unparse(node), said))
    return sorted(set(found))


def _says_why(lines: list[str], i: int) -> bool:
    """Whether line i, or the imports and comments right above it, say "# deferred"."""
    while "# deferred" not in lines[i]:
        i -= 1
        if i < 0 or not lines[i].lstrip().startswith(("import ", "from ", "#")):
            return False
    return True


def main(argv: list[str]) -> int:
    groups, local = cycles(), local_imports()
    unsaid = [(file, line, text) for file, line, text, said in local if not said]
    print(f"import cycles: {len(groups)} ({sum(map(len, groups))} modules in them)")
    print(f"function-local imports: {len(local)} in {len({entry[0] for entry in local})} files, "
          f"{len(unsaid)} without a comment saying why they are deferred")
    for group in groups if "--list" in argv else []:
        print("cycle:", " ".join(group))
    for file, line, text, said in local:
        if "--list" in argv or not said:
            print(f"{file}:{line}: {text}{'' if said else '   <- no comment saying why it is deferred'}")
    return 1 if groups or unsaid else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
