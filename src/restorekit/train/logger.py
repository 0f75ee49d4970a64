"""What a run reports: a tqdm bar (it/s, loss, ETA), CSV logs and TensorBoard, on rank 0 only.

``train_log.csv`` has one row per logged step (``step, lr, loss, <each loss term>, seconds``;
floats written with ``repr`` so a resumed run's log compares exactly with an uninterrupted one),
``val_log.csv`` one row per validation (``step, psnr, ssim``, then ``<name>/psnr, <name>/ssim`` per
``val.also`` set). On resume, rows after the checkpoint's step are dropped
from both files and TensorBoard purges its events after that step.
"""

from __future__ import annotations

import csv
import io
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

from restorekit.io import atomic_write_text

TRAIN_LOG = "train_log.csv"
VAL_LOG = "val_log.csv"


class RunLogger:
    """Progress bar, CSV files and TensorBoard writer of one run (inert when ``enabled`` is
    False, i.e. on ranks other than 0)."""

    def __init__(
        self,
        run_dir: Path,
        *,
        terms: Sequence[str],
        val_sets: Sequence[str] = (),
        start_step: int,
        max_steps: int | None,
        enabled: bool,
        tensorboard: bool,
        progress: bool,
    ) -> None:
        self.enabled = enabled
        self.talk = enabled and progress  # status lines on stderr go with the bar
        self.start = time.monotonic()
        self.train_fields = ["step", "lr", "loss", *terms, "seconds"]
        extra = [f"{name}/{metric}" for name in val_sets for metric in ("psnr", "ssim")]
        self.val_fields = ["step", "psnr", "ssim", *extra]
        self.writer: SummaryWriter | None = None
        self.bar: tqdm | None = None
        if not enabled:
            return
        self.train_csv, self.val_csv = run_dir / TRAIN_LOG, run_dir / VAL_LOG
        for path, fields in ((self.train_csv, self.train_fields), (self.val_csv, self.val_fields)):
            _truncate_csv(path, fields, start_step)
        if tensorboard:
            purge = start_step + 1 if start_step > 0 else None
            self.writer = SummaryWriter(str(run_dir / "tb"), purge_step=purge)
        self.bar = tqdm(
            total=max_steps,
            initial=start_step,
            desc=run_dir.name,
            unit="it",
            dynamic_ncols=True,
            file=sys.stderr,
            disable=not progress or None,  # None: tqdm turns itself off when not on a terminal
        )

    def advance(self) -> None:
        """One training step done."""
        if self.bar is not None:
            self.bar.update(1)

    def train(self, step: int, lr: float, loss: float, terms: Mapping[str, float]) -> None:
        """Log the training loss (mean since the last log) and its terms after ``step``."""
        if not self.enabled:
            return
        row = {"step": step, "lr": lr, "loss": loss, **terms}
        row["seconds"] = round(time.monotonic() - self.start, 3)
        _append_csv(self.train_csv, self.train_fields, row)
        if self.writer is not None:
            self.writer.add_scalar("train/loss", loss, step)
            self.writer.add_scalar("train/lr", lr, step)
            for name, value in terms.items():
                self.writer.add_scalar(f"train/{name}", value, step)
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{loss:.4g}", lr=f"{lr:.2e}", refresh=False)

    def val(self, step: int, metrics: Mapping[str, float]) -> None:
        """Log a validation result after ``step``."""
        if not self.enabled:
            return
        _append_csv(self.val_csv, self.val_fields, {"step": step, **metrics})
        if self.writer is not None:
            for name, value in metrics.items():
                self.writer.add_scalar(f"val/{name}", value, step)
        self.message(f"step {step}: " + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()))

    def message(self, text: str) -> None:
        """A line on stderr that does not break the progress bar (with ``progress`` only)."""
        if self.talk:
            tqdm.write(text, file=sys.stderr)

    def __enter__(self) -> RunLogger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Flush and close the TensorBoard writer and the progress bar."""
        if self.writer is not None:
            self.writer.close()
        if self.bar is not None:
            self.bar.close()


def _truncate_csv(path: Path, fields: list[str], last_step: int) -> None:
    """Keep the rows of ``path`` up to ``last_step`` (all gone for a fresh start)."""
    rows: list[dict[str, str]] = []
    if path.is_file() and last_step > 0:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [r for r in csv.DictReader(handle) if int(r["step"]) <= last_step]
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, text.getvalue(), make_parents=True)


def _append_csv(path: Path, fields: list[str], row: Mapping[str, object]) -> None:
    with path.open("a", newline="", encoding="utf-8") as handle:
        csv.DictWriter(handle, fieldnames=fields, lineterminator="\n").writerow(row)
