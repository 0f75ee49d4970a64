"""The restoration tasks `restorekit restore --task` knows: each one's default model and the
suffix its results get (``photo.jpg`` -> ``photo_derained.jpg``)."""

from __future__ import annotations

from dataclasses import dataclass

from restorekit.errors import RestoreKitError


@dataclass(frozen=True)
class Task:
    """A task's bundled default model and output-name suffix."""

    model: str
    suffix: str


TASKS: dict[str, Task] = {
    "denoise": Task("hinet-nf-real", "_denoised"),
    "derain": Task("hinet-derain", "_derained"),
    "deblur": Task("hinet-deblur", "_deblurred"),
}


def get_task(name: str) -> Task:
    """The task called ``name``; a one-line error lists the known ones."""
    try:
        return TASKS[name]
    except KeyError:
        raise RestoreKitError(f"unknown task '{name}'; choose one of {', '.join(TASKS)}") from None
