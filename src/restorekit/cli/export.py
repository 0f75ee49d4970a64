"""`restorekit export --onnx`: export a model to ONNX, checked in onnxruntime."""

from __future__ import annotations

import argparse

from restorekit.infer.loading import DEFAULT_MODEL
from restorekit.infer.onnx import OPSET, export_model_file

HELP = "export a model to ONNX (checked against PyTorch in onnxruntime)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Model, output file and export options."""
    parser.add_argument("--onnx", required=True, metavar="FILE.onnx", help="ONNX file to write")
    parser.add_argument(
        "-m",
        "--model",
        metavar="NAME_OR_PATH",
        help=f"bundled model name, restorekit .safetensors or official HINet .pth "
        f"(default: {DEFAULT_MODEL})",
    )
    parser.add_argument(
        "--static",
        action="store_true",
        help="fixed input size (--size) instead of dynamic batch/height/width",
    )
    parser.add_argument(
        "--size",
        nargs=2,
        type=int,
        default=(256, 256),
        metavar=("H", "W"),
        help="input size of a fixed-size export (256 256)",
    )
    parser.add_argument("--opset", type=int, default=OPSET, help=f"ONNX opset ({OPSET})")
    parser.add_argument(
        "--no-check", action="store_true", help="skip the onnxruntime comparison with PyTorch"
    )


def run(args: argparse.Namespace) -> int:
    """Export and say what was written."""
    result = export_model_file(
        args.model,
        args.onnx,
        dynamic=not args.static,
        size=(args.size[0], args.size[1]),
        opset=args.opset,
        check=not args.no_check,
    )
    shape = (
        "dynamic batch/height/width"
        if result.dynamic
        else f"fixed {result.size[0]}x{result.size[1]}"
    )
    error = "" if result.max_error is None else f"; max |onnx - torch| {result.max_error:.1e}"
    print(f"wrote {result.path} ({shape}; outputs {', '.join(result.outputs)}{error})")
    if result.note:
        print(f"note: {result.note}")
    return 0
