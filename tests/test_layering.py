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
ROOT_HELPERS = {"errors", "registry", "runtime", "__init__"}


def _imported_layers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "restorekit" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_lower_layers(layer: str) -> None:
    folder = PKG / layer
    if not folder.is_dir():
        pytest.skip(f"{layer} not present")
    bad = {}
    for path in folder.rglob("*.py"):
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
