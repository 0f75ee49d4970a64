"""PolyU's cameras and ISOs, read from its file names, for the camera-profile benchmarks (#21).

A PolyU name is ``<camera>_<f-number>_<shutter>_<ISO>_<scene>_<n>.JPG``
(``NikonD800_6-3_125_5000_plant_10.JPG``); ``CAMERAS`` maps its camera names to darktable's.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

CAMERAS = {  # PolyU's camera names -> darktable's (Sony A7 II = ILCE-7M2)
    "Canon5D2": "Canon EOS 5D Mark II",
    "Canon600D": "Canon EOS 600D",
    "Canon80D": "Canon EOS 80D",
    "NikonD800": "NIKON D800",
    "Sony": "ILCE-7M2",
}


def polyu_groups(split_file: Path, split: str) -> dict[tuple[str, int], list[str]]:
    """The names of one list of PolyU's split file, grouped by (camera, ISO), sorted."""
    found: dict[tuple[str, int], list[str]] = collections.defaultdict(list)
    for name in json.loads(split_file.read_text(encoding="utf-8"))[split]:
        fields = name.split("_")
        found[fields[0], int(fields[3])].append(name)
    return dict(sorted(found.items()))
