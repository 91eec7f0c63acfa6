"""Digests of code and content for cache keys: :func:`content_hash` of any parts, and
:func:`code_digest` of modules with everything they import from the project (AST-normalised,
so formatting and comments do not change a key) and the versions of the libraries they use."""

from __future__ import annotations

import ast
import functools
import json
import sys
from pathlib import Path

from rdmc.digests import sha256_bytes, sha256_chunks


def content_hash(*parts: object) -> str:
    """SHA-256 over bytes and JSON-serialisable parts, each followed by a separator."""
    return sha256_chunks(
        chunk
        for part in parts
        for chunk in (
            part if isinstance(part, bytes) else json.dumps(part, sort_keys=True).encode(),
            b"\0",
        )
    )


def code_of(source: bytes, filename: str = "<source>") -> bytes:
    """What a module computes: its syntax tree without comments, docstrings or layout, so
    that editing those does not re-key a cache (a re-derain of the bench's images takes
    minutes)."""
    tree = ast.parse(source, filename=filename)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                node.body = node.body[1:] or [ast.Pass()]
    return ast.dump(tree).encode()


def _parsed(path: Path) -> tuple[bytes, list[tuple[str, int, tuple[str, ...]]]]:
    """(code_of, the imports) of one source file, remembered while the file is unchanged."""
    source = path.read_bytes()
    key = (str(path), sha256_bytes(source))
    if key not in _PARSED:
        tree = ast.parse(source, filename=str(path))
        imports = []  # (module, relative level, names imported from it)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imports += [(a.name, 0, ()) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                imports.append((node.module or "", node.level, tuple(a.name for a in node.names)))
        _PARSED[key] = (code_of(source, str(path)), imports)
    return _PARSED[key]


_PARSED: dict[tuple[str, str], tuple[bytes, list]] = {}


# This project's packages: followed wherever they are installed (a non-editable install puts
# them in site-packages, where an edit and reinstall would not change their version).
PROJECT_PACKAGES = ("rdmc", "downstream", "reports")


def _installed_roots() -> tuple[str, ...]:
    """Where the standard library and installed distributions live: modules found there are
    pinned by their version, not followed."""
    import sysconfig

    paths = sysconfig.get_paths()
    return tuple(
        str(Path(paths[k]).resolve()) for k in ("stdlib", "platstdlib", "purelib", "platlib")
    )


class _Finder:
    """Module name -> source file, found the way ``import`` would, without importing."""

    def __init__(self, search_path: tuple[str, ...]) -> None:
        self.search_path = list(search_path)
        self.found: dict[str, object] = {}

    def spec(self, name: str):
        if name not in self.found:
            import importlib.machinery
            import importlib.util

            parent, _, _ = name.rpartition(".")
            if parent:
                outer = self.spec(parent)
                where = getattr(outer, "submodule_search_locations", None)
                spec = (
                    importlib.machinery.PathFinder.find_spec(name, list(where)) if where else None
                )
            else:
                spec = importlib.machinery.PathFinder.find_spec(name, self.search_path + sys.path)
                if spec is None:
                    try:
                        spec = importlib.util.find_spec(name)  # e.g. an editable install's finder
                    except (ImportError, ValueError):
                        spec = None
            self.found[name] = spec
        return self.found[name]

    def source(self, name: str) -> Path | None:
        spec = self.spec(name)
        origin = getattr(spec, "origin", None)
        return Path(origin) if origin and origin.endswith(".py") else None


def import_closure(
    roots: tuple[str, ...], search_path: tuple[str, ...] = ()
) -> tuple[dict[str, Path], set[str]]:
    """The source files of ``roots`` and of every module they import, at module level or
    inside a function, followed through the project's own code and a user's (anything not
    in site-packages or the standard library); and the top-level names of the installed
    modules reached. Found from the import statements, never from a list. ``search_path``
    goes before sys.path (tests)."""
    finder, installed = _Finder(search_path), _installed_roots()
    files: dict[str, Path] = {}
    outside: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if not name or name in files:
            continue
        top = name.partition(".")[0]
        path = finder.source(name)
        if path is None:
            if name in roots:
                raise ValueError(f"no source for module {name!r}")
            if finder.spec(top) is not None or top in sys.stdlib_module_names:
                outside.add(top)
            continue
        if top not in PROJECT_PACKAGES and str(path.resolve()).startswith(installed):
            outside.add(top)
            continue
        files[name] = path
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        todo += [name.rpartition(".")[0]] if "." in name else []  # parents run on import
        for module, level, names in _parsed(path)[1]:
            if level:
                base = package.rsplit(".", level - 1)[0] if level > 1 else package
                module = f"{base}.{module}" if module else base
            todo.append(module)
            todo += [
                f"{module}.{n}"
                for n in names
                if finder.spec(module) is not None
                and getattr(finder.spec(module), "submodule_search_locations", None)
                and finder.spec(f"{module}.{n}") is not None
            ]
    return files, outside - set(sys.stdlib_module_names)


@functools.cache
def _distributions_by_module() -> dict[str, list[str]]:
    from importlib.metadata import packages_distributions

    return packages_distributions()


def _distribution_versions(top_names: set[str]) -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    by_module = _distributions_by_module()
    versions = {}
    for top in sorted(top_names):
        for dist in by_module.get(top, [top]):
            try:
                versions[dist] = version(dist)
            except PackageNotFoundError:
                versions[dist] = None
    return versions


def code_digest(
    roots: tuple[str, ...], libraries: tuple[str, ...] = (), search_path: tuple[str, ...] = ()
) -> str:
    """What a cached value's code is, for cache keys: the SHA-256 of the code (:func:`code_of`)
    of every module in the import closure of ``roots`` (:func:`import_closure`) and the
    installed versions of the libraries that closure imports, plus ``libraries`` (those used
    only through another library, such as pycocotools under mmdet)."""
    files, outside = import_closure(roots, search_path)
    code = sha256_chunks(
        name.encode() + b"\0" + _parsed(files[name])[0] + b"\0" for name in sorted(files)
    )
    return content_hash(code, _distribution_versions(outside | set(libraries)))
