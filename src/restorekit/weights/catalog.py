"""What a restorekit model file is, read from its header alone: for `restorekit models`.

Nothing is unpickled and no weights are loaded: the parameter count comes from the tensor
shapes in the safetensors header, the rest from restorekit's metadata.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from restorekit.weights.checkpoint import (
    SUFFIX,
    PathArg,
    bundled_models,
    read_header,
    resolve_model_file,
)


def model_summary(
    name_or_path: PathArg, *, search_dirs: Iterable[PathArg] | None = None
) -> dict[str, Any]:
    """Name, file, network, parameters, size, training and card of a model file or bundled name.

    ``card`` is the ``<stem>.md`` beside the file, or the card its ``source`` names ("model card:
    X.md", as the bundled models write it) when that file is beside it; ``None`` otherwise.
    """
    path = resolve_model_file(name_or_path, search_dirs)
    meta, shapes = read_header(path)
    parameters = sum(math.prod(shape) for shape in shapes.values())
    training = meta.get("training") or {}
    return {
        "name": path.name.removesuffix(SUFFIX),
        "file": str(path),
        "network": meta.get("name"),
        "kwargs": meta.get("kwargs"),
        "parameters": parameters,
        "size_bytes": path.stat().st_size,
        "max_tile": meta.get("max_tile"),
        "training_steps": _training_steps(training),
        "recipe": training.get("recipe"),
        "source": meta.get("source"),
        "licence": meta.get("licence"),
        "card": _card(path, meta.get("source")),
        "metadata": meta,
    }


def list_model_summaries(search_dirs: Iterable[PathArg] | None = None) -> list[dict[str, Any]]:
    """``model_summary`` of every bundled name (package models and ``RESTOREKIT_MODEL_DIR``)."""
    return [model_summary(path) for path in bundled_models(search_dirs).values()]


def _training_steps(training: dict[str, Any]) -> int | None:
    """Total steps: ``steps``, or the sum over named phases (``{"sn": {...}, "tf": {...}}``)."""
    if isinstance(training.get("steps"), int):
        return training["steps"]
    phases = [v["steps"] for v in training.values() if isinstance(v, dict) and "steps" in v]
    return sum(phases) if phases else None


def _card(path: Path, source: Any) -> str | None:
    names = [path.with_suffix(".md").name]
    if isinstance(source, str):
        names += re.findall(r"model card: (\S+\.md)", source)
    cards = [path.parent / n for n in names if (path.parent / n).is_file()]
    return str(cards[0]) if cards else None
