"""`restorekit info FILE...`: format, size, channels, bit depth, EXIF orientation and camera per
file; `--camera-profile`: the darktable noise profile of each photo's camera and ISO;
`restorekit info --system`: CPU, threads, OpenMP wait policy, native bf16, auto precision."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from restorekit.adapt.profiles import NoiseProfiles
from restorekit.errors import RestoreKitError
from restorekit.infer.system import system_info
from restorekit.io import describe_image, image_info

HELP = (
    "show format, size, channels, bit depth, EXIF orientation and camera of image files "
    "(or --system)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """FILE..., --system, --camera-profile, --profiles and --json."""
    parser.add_argument("files", nargs="*", metavar="FILE", help="image files to describe")
    parser.add_argument(
        "--system",
        action="store_true",
        help="show the CPU, torch threads, OpenMP wait policy, native bf16 and what "
        "--precision auto picks on this machine",
    )
    parser.add_argument(
        "--camera-profile",
        action="store_true",
        help="also show the darktable noise profile (raw variance a*x+b per channel) of each "
        "photo's EXIF camera and ISO, interpolated between the nearest profiled ISOs",
    )
    parser.add_argument(
        "--profiles",
        metavar="PATH",
        help="darktable's noiseprofiles.json (implies --camera-profile; default: the one a "
        "darktable installation has)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object per file instead of text"
    )


def run(args: argparse.Namespace) -> int:
    """Describe the system and/or every file; a bad file prints one error line and makes the
    exit code 2."""
    if not args.files and not args.system:
        print("restorekit info: error: give FILE... or --system", file=sys.stderr)
        return 2
    if args.system:
        info = system_info(args.threads)
        print(json.dumps(info) if args.json else "\n".join(f"{k}: {v}" for k, v in info.items()))
    profiles = None
    if args.files and (args.camera_profile or args.profiles):
        profiles = NoiseProfiles.load(args.profiles)
    failed = False
    for path in args.files:
        try:
            if args.json:
                print(json.dumps(_info(path, profiles)), flush=True)
                continue
            print(describe_image(path), flush=True)
            if profiles is not None:
                print(f"  darktable noise profile: {profiles.for_photo(path).describe()}")
        except RestoreKitError as err:
            print(f"restorekit info: error: {err}", file=sys.stderr)
            failed = True
    return 2 if failed else 0


def _info(path: str, profiles: NoiseProfiles | None) -> dict[str, Any]:
    """``image_info`` plus, with ``profiles``, the photo's ``noise_profile``."""
    info = image_info(path)
    if profiles is not None:
        info["noise_profile"] = profiles.for_photo(path).as_dict()
    return info
