"""Training checkpoints: complete, atomic, and loadable with ``torch.load(weights_only=True)``.

A checkpoint is one ``.pt`` file, ``<run>/checkpoints/step-NNNNNNNN.pt``, holding the step, the
data-stream position, model, optimiser, schedule, EMA and GradScaler states, the Python/NumPy/
torch(/CUDA) RNG states, the best validation result and the resolved config; the same config is
written beside it as ``step-NNNNNNNN.yaml``. RNG states are stored as tensors and plain types so
the safe unpickler accepts them. Files are written to a temporary name in the same folder,
flushed to disk, then renamed over the final name, so a killed run leaves either the previous
checkpoint or the new one, never a torn file (stray temporaries are ignored and cleaned).
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from restorekit.errors import RestoreKitError
from restorekit.io import atomic_write, atomic_write_text
from restorekit.weights.official import read_torch_file

CHECKPOINT_DIR = "checkpoints"
_NAME = re.compile(r"^step-(\d+)\.pt$")


def checkpoint_path(run_dir: Path, step: int) -> Path:
    """Where the checkpoint of ``step`` lives."""
    return run_dir / CHECKPOINT_DIR / f"step-{step:08d}.pt"


def list_checkpoints(run_dir: Path) -> list[Path]:
    """The complete checkpoints of a run, oldest first."""
    folder = run_dir / CHECKPOINT_DIR
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _NAME.match(p.name))]
    return [p for _, p in sorted(found)]


def find_resume(run_dir: Path, resume: str | None) -> Path | None:
    """The checkpoint to continue from: ``None`` (fresh start), ``'auto'`` (the newest one in
    ``run_dir``, if any) or an explicit path."""
    if resume is None:
        return None
    if resume == "auto":
        found = list_checkpoints(run_dir)
        return found[-1] if found else None
    path = Path(resume)
    if not path.is_file():
        raise RestoreKitError("no such checkpoint", path)
    return path


def save_checkpoint(path: Path, state: dict[str, Any], config_yaml: str, keep_last: int) -> None:
    """Write ``state`` to ``path`` and the resolved config beside it, then keep only the newest
    ``keep_last`` checkpoints (and remove temporaries left by killed runs)."""
    atomic_write(path, lambda handle: torch.save(state, handle), make_parents=True)
    atomic_write_text(path.with_suffix(".yaml"), config_yaml, make_parents=True)
    for old in list_checkpoints(path.parent.parent)[:-keep_last]:
        old.unlink(missing_ok=True)
        old.with_suffix(".yaml").unlink(missing_ok=True)
    for stray in path.parent.glob(".step-*.tmp"):
        stray.unlink(missing_ok=True)


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint with the safe (weights-only) unpickler, by content whatever its name
    (``restorekit.weights.read_torch_file``)."""
    state = read_torch_file(path)
    if not isinstance(state, dict) or "step" not in state or "model" not in state:
        raise RestoreKitError("not a restorekit training checkpoint", path)
    return state


def rng_state() -> dict[str, Any]:
    """Python, NumPy, torch and CUDA global RNG states as tensors and plain values."""
    version, mt, gauss = random.getstate()
    np_kind, np_keys, np_pos, np_has_gauss, np_cached = np.random.get_state()
    return {
        "python": {
            "version": version,
            "state": torch.tensor(mt, dtype=torch.int64),
            "gauss": gauss,
        },
        "numpy": {
            "kind": np_kind,
            "keys": torch.from_numpy(np_keys.astype(np.int64)),
            "pos": int(np_pos),
            "has_gauss": int(np_has_gauss),
            "cached": float(np_cached),
        },
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what ``rng_state`` returned."""
    py = state["python"]
    random.setstate((py["version"], tuple(py["state"].tolist()), py["gauss"]))
    npy = state["numpy"]
    np.random.set_state(
        (
            npy["kind"],
            npy["keys"].numpy().astype(np.uint32),
            npy["pos"],
            npy["has_gauss"],
            npy["cached"],
        )
    )
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
