"""The house's layout rules: the library never loads streamlit, and no two modules import each other in a circle
(imports inside functions included)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "risklens"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def library_modules() -> list[str]:
    return sorted(_module_name(p) for p in PACKAGE.rglob("*.py")
                  if "ui" not in p.relative_to(PACKAGE).parts[:1] and p.name != "__main__.py")


def test_library_never_imports_streamlit():
    code = ("import importlib, sys\n"
            f"for name in {library_modules()!r}:\n"
            "    importlib.import_module(name)\n"
            "    assert 'streamlit' not in sys.modules, name\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def _imports(path: Path, modules: set[str]) -> set[str]:
    """risklens modules a module imports anywhere: at module level and inside functions and classes (an import
    deferred into a function still makes the two modules depend on each other)."""
    tree = ast.parse(path.read_text())
    me = _module_name(path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        found |= {n for n in names if n in modules and n != me}
    return found


def import_cycles() -> list[list[str]]:
    files = {(_module_name(p)): p for p in PACKAGE.rglob("*.py")}
    graph = {m: _imports(p, set(files)) for m, p in files.items()}
    # a package's __init__ that imports its own sub-modules is not a cycle of two modules
    graph = {m: {d for d in deps if not d.startswith(m + ".")} for m, deps in graph.items()}
    cycles, state = [], {}

    def visit(m, stack):
        state[m] = 1
        stack.append(m)
        for d in graph.get(m, ()):
            if state.get(d) == 1:
                cycles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d, stack)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])
    return cycles


def test_no_import_cycles():
    assert import_cycles() == []


def test_cycle_finder_finds_a_planted_cycle(tmp_path, monkeypatch):
    pkg = tmp_path / "risklens"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from risklens import b\n")
    (pkg / "b.py").write_text("import risklens.a\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", pkg)
    assert import_cycles() and set(import_cycles()[0]) == {"risklens.a", "risklens.b"}


def test_cycle_finder_sees_imports_inside_functions(tmp_path, monkeypatch):
    """A cycle hidden by deferring one import into a function (or a method) is still a cycle."""
    pkg = tmp_path / "risklens"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from risklens.sub import c\n")
    (pkg / "sub" / "c.py").write_text("class C:\n    def go(self):\n        from risklens import a\n        return a\n")
    (pkg / "d.py").write_text("def f():\n    import risklens.a\n")  # d -> a only: no cycle of its own
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", pkg)
    cycles = import_cycles()
    assert len(cycles) == 1 and set(cycles[0]) == {"risklens.a", "risklens.sub.c"}
