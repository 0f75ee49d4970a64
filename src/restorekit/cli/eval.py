"""`restorekit eval`: benchmark protocols with baselines side by side, or a DND submission export.

Examples::

    restorekit eval --protocol gaussian --dataset data/Set12 --sigma 15,25,50 \\
        --methods noisy,bm3d,runs/gray/model.safetensors --out runs/set12
    restorekit eval --protocol pairs --dataset data/PolyU --split-file data/PolyU/split.json \\
        --split test --methods noisy,bm3d,model.safetensors --out runs/polyu
    restorekit eval --protocol derain --dataset data/Rain100L --methods input,model.safetensors \\
        --out runs/rain100l
    restorekit eval --protocol deblur --dataset data/GoPro/test --methods input,model.safetensors \\
        --out runs/gopro
    restorekit eval --protocol sidd-val --noisy-mat ValidationNoisyBlocksSrgb.mat \\
        --gt-mat ValidationGtBlocksSrgb.mat --methods noisy,model.safetensors --out runs/sidd
    restorekit eval --protocol dnd-export --dnd-root dnd_2017 --methods model.safetensors \\
        --out runs/dnd
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from restorekit.cli.options import add_inference_options
from restorekit.eval.runner import PROTOCOLS, EvalSpec

SPEC = {f.name: f.default for f in dataclasses.fields(EvalSpec)}  # the defaults, read once

HELP = (
    "score methods on a benchmark protocol (Gaussian, real pairs, deraining, deblurring, "
    "SIDD val) or export DND"
)


def _numbers(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 15,25,50, got {text!r}") from None


def _words(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.split(",") if v.strip())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Protocol, data, methods, output and inference options."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "examples:" + __doc__.split("Examples::", 1)[1]
    parser.add_argument("--protocol", required=True, choices=PROTOCOLS.names(), help="what to run")
    parser.add_argument(
        "--methods",
        type=_words,
        metavar="LIST",
        default=SPEC["methods"],
        help="comma-separated: noisy (or input: the degraded input); bm3d or ffdnet (sigma: "
        "the protocol's, else estimated), bm3d:SIGMA / ffdnet:SIGMA (8-bit units), "
        "bm3d:oracle / ffdnet:oracle (best sigma per image from a grid, scored against the "
        "clean image: an upper bound); a bundled model name or a checkpoint path (default: "
        "noisy)",
    )
    parser.add_argument(
        "--out",
        required=True,
        help="output folder for the report / export (checked before any work: it must be a "
        "folder that can be created or written in)",
    )
    parser.add_argument("--limit", type=int, help="only the first N images (sorted by name)")

    data = parser.add_argument_group("data")
    data.add_argument(
        "--dataset",
        help="gaussian: clean image folder/glob; pairs: folder with "
        "noisy/ and gt/ (pairs by file name); derain: folder with input/ (rainy) and target/ "
        "(Rain100L layout, scored on Y); deblur: folder with input/ (blurry) and target/, or "
        "GoPro's split folder of <sequence>/blur and <sequence>/sharp (scored on RGB)",
    )
    data.add_argument(
        "--sigma",
        dest="sigmas",
        type=_numbers,
        metavar="LIST",
        default=SPEC["sigmas"],
        help="gaussian: noise levels in 8-bit units (default "
        f"{','.join(f'{s:g}' for s in SPEC['sigmas'])})",
    )
    data.add_argument(
        "--input",
        dest="inputs",
        type=_words,
        metavar="LIST",
        default=SPEC["inputs"],
        help="gaussian: input variants, float (noise added in float, unclipped, as papers "
        "score) and/or uint8 (clipped and rounded to 8 bits, as a noisy file holds it); "
        "default both, side by side",
    )
    data.add_argument(
        "--seed", type=int, default=SPEC["seed"], help="gaussian: noise seed (default %(default)s)"
    )
    data.add_argument(
        "--split-file",
        help="gaussian, pairs, derain, deblur: JSON file of named lists of file names",
    )
    data.add_argument("--split", help="gaussian, pairs, derain, deblur: which list of --split-file")
    data.add_argument("--noisy-mat", help="sidd-val: ValidationNoisyBlocksSrgb.mat")
    data.add_argument("--gt-mat", help="sidd-val: ValidationGtBlocksSrgb.mat")
    data.add_argument("--noisy-key", default=SPEC["noisy_key"], help="sidd-val key")
    data.add_argument("--gt-key", default=SPEC["gt_key"], help="sidd-val key")
    data.add_argument("--dnd-root", help="dnd-export: folder with info.mat and images_srgb/")
    data.add_argument(
        "--dnd-margin",
        type=int,
        default=SPEC["dnd_margin"],
        help="dnd-export: context pixels around each box (default %(default)s, AINDNet's "
        "test_dnd.py; 0 = the box alone, HINet/Restormer)",
    )

    metric = parser.add_argument_group("metric (gaussian, pairs, derain, deblur)")
    metric.add_argument(
        "--border",
        dest="crop_border",
        metavar="PX",
        type=int,
        default=SPEC["crop_border"],
        help="pixels cropped on every side",
    )
    metric.add_argument(
        "--y-channel", action="store_true", help="score BT.601 Y of RGB (derain always does)"
    )

    infer = parser.add_argument_group("inference (models)")
    add_inference_options(infer, SPEC)
    infer.add_argument(
        "--local-stats",
        type=int,
        metavar="PX",
        help="instance norms use the statistics of a PX-pixel window around each pixel (TLC) "
        "instead of the whole input; --tile auto then tiles for memory only (default: off)",
    )

    report = parser.add_argument_group("report")
    report.add_argument(
        "--figure-images",
        type=int,
        default=SPEC["figure_images"],
        help="images in each crop figure (default %(default)s)",
    )
    report.add_argument(
        "--crop-size",
        type=int,
        default=SPEC["crop_size"],
        help="figure crop side in pixels (default %(default)s)",
    )
    report.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Check --out, build the spec, run it, print the table (or the export folder)."""
    from restorekit.eval import EvalReport, run_eval
    from restorekit.io.targets import check_output_folder

    check_output_folder(args.out, "the output folder (--out)")
    given = {k: v for k, v in vars(args).items() if k in SPEC}  # progress: --no-progress
    spec = EvalSpec(**given, progress=not args.no_progress)
    result = run_eval(spec)
    if isinstance(result, EvalReport):
        print(result.markdown_table())
        print(f"\nreport: {args.out}/report.md (also report.json, per_image.csv, figures)")
    else:
        files = sum(len(v) for v in result["files"].values())
        print(f"wrote {files} DND submission files under {args.out} (see dnd_export.json)")
    sys.stdout.flush()
    return 0
