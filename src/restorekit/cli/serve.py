"""`restorekit serve`: a local web page for denoising (drop images, compare, download)."""

from __future__ import annotations

import argparse
import math

from restorekit.serve import serve

HELP = "a local web page for denoising: drop images, compare before/after, download"


def _positive(text: str) -> float:
    """A finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got '{text}'") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got '{text}'")
    return value


def _port(text: str) -> int:
    """A TCP port, 1-65535."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got '{text}'")
    return int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Address, browser and limits."""
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 opens it to "
        "the network)",
    )
    parser.add_argument("--port", type=_port, default=8000, help="TCP port (default 8000)")
    parser.add_argument("--open", action="store_true", help="open the page in the web browser")
    parser.add_argument(
        "--max-upload-mb",
        type=_positive,
        default=50.0,
        metavar="MB",
        help="largest upload, an image and its reference together (default 50 MB)",
    )
    parser.add_argument(
        "--max-megapixels",
        type=_positive,
        default=24.0,
        metavar="MP",
        help="largest image in megapixels (default 24)",
    )
    parser.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:N, mps")


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl+C."""
    serve(
        host=args.host,
        port=args.port,
        open_browser=args.open,
        max_upload_mb=args.max_upload_mb,
        max_megapixels=args.max_megapixels,
        device=args.device,
    )
    return 0
