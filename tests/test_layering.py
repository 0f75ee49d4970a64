"""DESIGN's layering rule: a lower layer never imports a higher one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "restorekit"

# Each layer may import only the layers listed for it (plus itself and the package root helpers).
ALLOWED: dict[str, set[str]] = {
    "io": set(),
    "metrics": set(),
    "noise": {"io"},
    "models": set(),
    "weights": {"io", "models"},
    "data": {"io", "noise"},
    "infer": {"io", "models", "weights"},
    "train": {"io", "metrics", "noise", "data", "models", "weights", "infer"},
    "eval": {"io", "metrics", "noise", "data", "models", "weights", "infer"},
    "adapt": {"io", "metrics", "noise", "data", "models", "weights", "infer", "train", "eval"},
    # the web page sits at the top, like cli/ (which may import it)
    "serve": {
        "io",
        "metrics",
        "noise",
        "data",
        "models",
        "weights",
        "infer",
        "train",
        "eval",
        "adapt",
    },
}
LIBRARY = {"io", "metrics", "noise", "data", "models", "weights", "infer", "train", "eval", "adapt"}
# the face layer: the Python API and the demo use the library; cli/ uses everything
ALLOWED |= {
    "api": LIBRARY,
    "demo": LIBRARY | {"api"},
    "synth": LIBRARY,
    "cli": LIBRARY | {"api", "demo", "synth", "serve"},
}
ROOT_HELPERS = {"errors", "registry", "runtime", "__init__"}


def _top(name: str) -> str:
    """The layer a name imported from the package root belongs to: a subpackage or module by its
    own name, ``__version__`` to the root helpers, anything else (a re-exported API function)
    to ``api``."""
    if (PKG / name).is_dir() or (PKG / f"{name}.py").is_file():
        return name
    return "__init__" if name.startswith("__") else "api"


def _imported_layers(path: Path) -> set[str]:
    """Every restorekit layer ``path`` imports, at any depth (function-level imports too):
    ``import restorekit.x``, ``from restorekit.x import ...``, ``from restorekit import x``
    and relative imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = path.relative_to(PKG).parent.parts
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [a.name.split(".") for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = (node.module or "").split(".") if node.module else []
            if node.level:
                base = ["restorekit", *package[: len(package) - node.level + 1], *base]
            modules = [[*base, a.name] for a in node.names] if base == ["restorekit"] else [base]
        else:
            continue
        for parts in modules:
            if parts[0] == "restorekit" and len(parts) > 1:
                found.add(_top(parts[1]))
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_lower_layers(layer: str) -> None:
    folder = PKG / layer
    files = list(folder.rglob("*.py")) if folder.is_dir() else [PKG / f"{layer}.py"]
    bad = {}
    for path in files:
        forbidden = _imported_layers(path) - ALLOWED[layer] - ROOT_HELPERS - {layer}
        if forbidden:
            bad[str(path.relative_to(PKG))] = sorted(forbidden)
    assert not bad, f"layering violations: {bad}"


def test_cli_modules_do_not_import_torch_directly() -> None:
    """cli/ only parses arguments; the work (and torch) lives in the library."""
    offenders = [
        p.name
        for p in (PKG / "cli").glob("*.py")
        if any(
            isinstance(n, (ast.Import, ast.ImportFrom))
            and any(
                (getattr(n, "module", None) or a.name).split(".")[0] == "torch" for a in n.names
            )
            for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        )
    ]
    assert not offenders


def test_imports_of_every_form_are_seen(tmp_path: Path) -> None:
    probe = PKG / "noise" / "_layering_probe.py"
    code = (
        "import restorekit.models\n"
        "from restorekit import build_model, __version__\n"
        "from restorekit import weights\n"
        "def f():\n    from ..infer import restore\n    from . import jpeg\n"
    )
    probe.write_text(code, encoding="utf-8")
    try:
        assert _imported_layers(probe) == {"models", "api", "__init__", "weights", "infer", "noise"}
    finally:
        probe.unlink()
