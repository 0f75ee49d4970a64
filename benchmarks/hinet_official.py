"""restorekit's HINet against the official implementation, same weights, side by side (issue #18).

The official network is read from a checkout of megvii-model/HINet that you provide
(``basicsr/models/archs/hinet_arch.py``; it needs only torch); restorekit ships none of it.
Both get the same random weights (the state-dict keys are the official ones), the same input
(a multiple of 16: the official forward does not pad) and run in one process, alternating
rounds so a change in machine load hits all alike: the official module as it is, restorekit's
model as ``restorekit denoise`` runs it (eval, channels-last), and restorekit's ONNX Runtime
back end (``--backend onnx``). Prints megapixels per second, the speed-up over the official code
and the largest difference of the final image from the official output.

    git clone https://github.com/megvii-model/HINet /tmp/HINet
    python benchmarks/hinet_official.py --official /tmp/HINet/basicsr/models/archs/hinet_arch.py
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from pathlib import Path

import torch

from restorekit.infer.backend import onnx_runner
from restorekit.infer.loading import prepare_model
from restorekit.models import build_model
from restorekit.runtime import cpu_model, read_cpuinfo

WIDTHS = {"hinet-0.5x": 32, "hinet-1x": 64}


def _official(path: Path, wf: int) -> torch.nn.Module:
    spec = importlib.util.spec_from_file_location("official_hinet_arch", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.HINet(wf=wf).eval()


def _image(out: object) -> torch.Tensor:
    if isinstance(out, list | tuple):
        return out[-1]
    return out.image if hasattr(out, "image") else out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--official", type=Path, required=True, help="path to hinet_arch.py")
    parser.add_argument("--models", nargs="+", default=list(WIDTHS), choices=list(WIDTHS))
    parser.add_argument("--size", type=int, default=512, help="input side (a multiple of 16)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.size % 16:
        parser.error("--size must be a multiple of 16")

    print(f"CPU: {cpu_model(read_cpuinfo())}; torch {torch.__version__}; fp32, {args.size} px")
    print("| model | threads | runner | MP/s | vs official | max abs diff |")
    print("|---|---|---|---:|---:|---:|")
    x = torch.rand(1, 3, args.size, args.size, generator=torch.Generator().manual_seed(0))
    mp = args.size**2 / 1e6
    for name in args.models:
        torch.manual_seed(0)
        ours = build_model(name)
        official = _official(args.official, WIDTHS[name])
        official.load_state_dict(ours.state_dict(), strict=True)
        ours = prepare_model(ours)
        runners = {"official": official, "restorekit": ours, "restorekit onnx": onnx_runner(ours)}
        with torch.inference_mode():
            reference = _image(official(x))
            diffs = {k: float((_image(r(x)) - reference).abs().max()) for k, r in runners.items()}
        for threads in args.threads:
            torch.set_num_threads(threads)
            runners["restorekit onnx"] = onnx_runner(ours, threads=threads)
            times: dict[str, list[float]] = {k: [] for k in runners}
            with torch.inference_mode():
                for _ in range(args.rounds + 1):  # the first round warms up, untimed
                    for key, run in runners.items():
                        tick = time.perf_counter()
                        run(x)
                        times[key].append(time.perf_counter() - tick)
            speed = {k: mp / statistics.median(v[1:]) for k, v in times.items()}
            for key in runners:
                print(
                    f"| {name} | {threads} | {key} | {speed[key]:.3f} | "
                    f"{speed[key] / speed['official']:.2f}x | {diffs[key]:.1e} |"
                )


if __name__ == "__main__":
    main()
