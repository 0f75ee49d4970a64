"""PyTorch against ONNX Runtime on the CPU, side by side, for the bundled models (issue #18).

Exports each model with ``restorekit.infer.onnx.export_onnx`` (dynamic height and width) and
times the same inputs through both back ends in one process, alternating rounds so that a
change in machine load hits both alike: a tile of the model's ``max_tile`` (what ``--tile
auto`` runs) and a 1-megapixel whole image. Prints megapixels per second, the ORT/torch speed
ratio and the largest output difference. fp32 only (ORT's CPU provider has no bf16 convolution).

    python benchmarks/onnx_backend.py                           # aindnet-real, hinet-real
    python benchmarks/onnx_backend.py --models aindnet-real --threads 1 2 --rounds 5
"""

from __future__ import annotations

import argparse
import functools
import statistics
import tempfile
import time
from pathlib import Path


def _time(fn, x, rounds: int) -> list[float]:
    fn(x)  # warm-up: kernels chosen, buffers allocated
    times = []
    for _ in range(rounds):
        tick = time.perf_counter()
        fn(x)
        times.append(time.perf_counter() - tick)
    return times


def _torch_forward(model, x):
    import torch

    with torch.inference_mode():
        out = model(x)
    return (out.image if hasattr(out, "image") else out).numpy()


def _ort_forward(session, x):
    return session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=["aindnet-real", "hinet-real"])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3, help="timed runs per back end and size")
    parser.add_argument("--whole", type=int, default=1024, help="side of the whole-image input")
    args = parser.parse_args()

    import numpy as np
    import onnxruntime as ort
    import torch

    from restorekit.infer.loading import load_models, model_max_tile
    from restorekit.infer.onnx import export_onnx
    from restorekit.runtime import cpu_model, read_cpuinfo

    versions = f"torch {torch.__version__}, onnxruntime {ort.__version__}"
    print(f"CPU: {cpu_model(read_cpuinfo())}; {versions}; fp32")
    print("| model | input | threads | torch MP/s | ORT MP/s | ORT / torch | max abs diff |")
    print("|---|---|---|---|---|---|---|")
    folder = Path(tempfile.mkdtemp(prefix="restorekit-onnx-"))
    for name in args.models:
        model = load_models(name, "cpu")
        path = export_onnx(model, folder / f"{name}.onnx").path
        tile = model_max_tile(model) or 256
        gen = torch.Generator().manual_seed(0)
        inputs = {
            f"{tile} px tile": torch.rand(1, 3, tile, tile, generator=gen),
            f"{args.whole} px whole": torch.rand(1, 3, args.whole, args.whole, generator=gen),
        }
        for threads in args.threads:
            torch.set_num_threads(threads)
            options = ort.SessionOptions()
            options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

            run_torch = functools.partial(_torch_forward, model)
            run_ort = functools.partial(_ort_forward, session)
            for label, x in inputs.items():
                pixels = x.shape[-1] * x.shape[-2] / 1e6
                t_torch, t_ort = [], []
                for _ in range(args.rounds):  # alternate: load changes hit both
                    t_torch += _time(run_torch, x, 1)
                    t_ort += _time(run_ort, x, 1)
                diff = float(np.abs(run_torch(x) - run_ort(x)).max())
                mp_torch = pixels / statistics.median(t_torch)
                mp_ort = pixels / statistics.median(t_ort)
                print(
                    f"| {name} | {label} | {threads} | {mp_torch:.3f} | {mp_ort:.3f} | "
                    f"{mp_ort / mp_torch:.2f}x | {diff:.1e} |"
                )


if __name__ == "__main__":
    main()
