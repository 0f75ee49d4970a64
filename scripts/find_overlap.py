"""Find the images of a training pool that are (nearly) images of a test set, to leave them out.

    python scripts/find_overlap.py ../shared/data/CBSD432 ../shared/data/Rain100L/target

Both folders are compared at thumbnail size (each image turned landscape, greyscale, resized to
48x32): for every test image, the pool image with the smallest mean absolute difference in grey
levels (0-255) over the flips and the half turn (so any quarter turn matches). Rain100L, for
example, was synthesised over BSD images: 75 of its 100 clean targets are CBSD432 images
(difference 0.0), one more is at 10.4, the next at 17.1 (a different photo). Prints one line
per test image, closest first, and with ``--threshold`` the JSON list of pool file names at or
below it (what a split file excludes).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from restorekit.io import list_images

THUMB = (48, 32)


def thumbnail(path: Path) -> np.ndarray:
    """The image as a landscape 48x32 greyscale float array."""
    with Image.open(path) as image:
        grey = image.convert("L")
        if grey.height > grey.width:
            grey = grey.transpose(Image.Transpose.ROTATE_90)
        return np.asarray(grey.resize(THUMB, Image.Resampling.BILINEAR), dtype=np.float32)


def closest(pool: list[Path], tests: list[Path]) -> list[tuple[float, Path, Path]]:
    """(difference, test image, closest pool image) for each test image, closest first."""
    stack = np.stack([thumbnail(p) for p in pool])
    found = []
    for test in tests:
        thumb = thumbnail(test)
        flips = (thumb, thumb[::-1], thumb[:, ::-1], thumb[::-1, ::-1])
        diff = np.min([np.abs(stack - f).mean(axis=(1, 2)) for f in flips], axis=0)
        best = int(np.argmin(diff))
        found.append((float(diff[best]), test, pool[best]))
    return sorted(found, key=lambda item: item[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pool", type=Path, help="training images (folder)")
    parser.add_argument("test", type=Path, help="test images (folder)")
    parser.add_argument("--threshold", type=float, help="print pool names at or below this")
    args = parser.parse_args()
    for folder in (args.pool, args.test):
        if not folder.is_dir():
            print(f"find_overlap: {folder}: not a folder", file=sys.stderr)
            return 2
    found = closest(list_images(args.pool), list_images(args.test))
    for diff, test, match in found:
        print(f"{diff:7.2f}  {test.name}  {match.name}")
    if args.threshold is not None:
        names = sorted({match.name for diff, _, match in found if diff <= args.threshold})
        print(json.dumps(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
