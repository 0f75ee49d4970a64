"""`restorekit denoise`: denoise image files, folders or glob patterns."""

from __future__ import annotations

import argparse
import sys

from restorekit.cli.options import add_inference_options, gigabytes
from restorekit.errors import RestoreKitError
from restorekit.infer.backend import BACKENDS
from restorekit.infer.files import restore_files
from restorekit.infer.loading import DEFAULT_MODEL

HELP = "denoise photos (files, folders, globs); keeps format, bit depth and alpha"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Inputs, output, model(s) and inference options."""
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders or globs")
    parser.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="output file (one input; an image extension picks the format) or folder (no "
        "extension, or a trailing /); default: <name>_denoised.<ext> (restore: the task's "
        "suffix) beside each input",
    )
    models = parser.add_mutually_exclusive_group()
    models.add_argument(
        "-m",
        "--model",
        metavar="NAME_OR_PATH",
        help=f"bundled model name, restorekit .safetensors or official HINet .pth "
        f"(default: {DEFAULT_MODEL}; restore: the task's model)",
    )
    models.add_argument(
        "--ensemble", metavar="A,B,...", help="average several models (names or paths)"
    )
    add_inference_options(parser)
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="torch",
        help="torch (default), or onnx: ONNX Runtime on the CPU, fp32, exported into the cache "
        "on first use (needs restorekit[onnx]; benchmarks/onnx_backend.py compares them)",
    )
    parser.add_argument(
        "--noise-map",
        metavar="PATH",
        help="also save the estimated noise-level map (AINDNet) as a PNG file or into a folder",
    )
    parser.add_argument(
        "--max-memory",
        type=gigabytes,
        metavar="GB",
        help="memory budget for --tile auto (default: half the free RAM, at most 2 GB on CPU)",
    )
    camera = parser.add_argument_group("camera-aware denoising (zero pairs)")
    camera.add_argument(
        "--camera",
        choices=("auto",),
        help="auto (experimental): adapt a model to each photo's camera and ISO (EXIF + "
        "darktable noise profile) on first use, about --adapt-minutes per camera/ISO, cached for "
        "later runs; the model adapted is -m, else aindnet-sn; photos without EXIF or profile use "
        "-m (else the default model) as is, with a note",
    )
    camera.add_argument("--profiles", metavar="PATH", help="darktable noiseprofiles.json to read")
    camera.add_argument(
        "--adapt-minutes",
        type=float,
        metavar="MIN",
        help="time budget of each new camera adaptation (default 5)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar or listing")


def run(args: argparse.Namespace) -> int:
    """Denoise (or, from `restore`, the chosen task) and list the files written."""
    model = args.ensemble.split(",") if args.ensemble else args.model
    task = getattr(args, "task", "denoise")
    names = ("tile", "overlap", "tta", "precision", "device", "noise_map", "max_memory", "backend")
    options = {k: getattr(args, k) for k in names}
    options["progress"] = False if args.quiet else None
    if args.camera is None:
        if args.profiles is not None:
            raise RestoreKitError("--profiles needs --camera auto")
        written = restore_files(args.inputs, args.output, task=task, model=model, **options)
    else:
        if task != "denoise" or args.ensemble:
            raise RestoreKitError("--camera auto adapts one denoising model, not an ensemble")
        from restorekit.adapt.camera_cache import restore_by_camera

        written, notes = restore_by_camera(
            args.inputs,
            args.output,
            base=model,
            profiles=args.profiles,
            **({} if args.adapt_minutes is None else {"minutes": args.adapt_minutes}),
            **options,
        )
        for note in notes:
            print(f"restorekit denoise: note: {note}", file=sys.stderr)
    if not args.quiet:
        for path in written:
            print(path)
    return 0
