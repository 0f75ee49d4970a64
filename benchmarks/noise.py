"""Throughput of restorekit's noise pipelines on a 16 x 3 x 256 x 256 batch (megapixels/s).

    python benchmarks/noise.py [--device cpu|cuda] [--repeats 10] [--threads N] [--crf-bank DIR]
                               [--tune-malloc]

Megapixels are image pixels (H x W x N, not counting channels). Each pipeline runs a few
warm-up batches, then ``--repeats`` timed batches with one generator; the table shows the
median and best wall-clock batch time and the median CPU time the process used (summed over its
threads): on a shared, busy machine wall-clock numbers include time spent waiting for a core,
so the load average is printed too.

``--tune-malloc`` keeps freed memory in glibc's heap (``mallopt``) instead of returning it to
the OS after every batch: on CPU each batch otherwise touches its working set afresh, and in
a virtual machine every page fault costs microseconds. It changes only this process.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import statistics
import time

import torch

from restorekit.noise import build_noise

BATCH = (16, 3, 256, 256)


def pipelines(crf_bank: str | None) -> dict[str, dict]:
    return {
        "awgn": {"name": "awgn", "sigma": [0, 50 / 255]},
        "poisson_gaussian": {"name": "poisson_gaussian"},
        "cbdnet_gaussian": {"name": "cbdnet_gaussian"},
        "cbdnet (no JPEG)": {"name": "cbdnet", "crf_bank": crf_bank},
        "cbdnet rggb only": {"name": "cbdnet", "crf_bank": crf_bank, "bayer": "rggb"},
        "cbdnet + JPEG 60..100": {"name": "cbdnet", "crf_bank": crf_bank, "jpeg": [60, 100]},
        "unprocess": {"name": "unprocess"},
    }


def tune_malloc() -> bool:
    """Ask glibc to keep up to 1 GiB of freed memory (no trimming, no mmap for big blocks)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name)
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(libc.mallopt(m_trim_threshold, 1 << 30) and libc.mallopt(m_mmap_threshold, 1 << 28))


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    parser.add_argument("--crf-bank", default=None, help="folder with CBDNet's DoRF .mat files")
    parser.add_argument("--only", default=None, help="run pipelines whose label contains this")
    parser.add_argument("--tune-malloc", action="store_true", help="see the module docstring")
    args = parser.parse_args()
    tuned = tune_malloc() if args.tune_malloc else False
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    generator = torch.Generator(device).manual_seed(0)
    x = torch.rand(BATCH, generator=generator, device=device)
    megapixels = BATCH[0] * BATCH[2] * BATCH[3] / 1e6

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"batch {'x'.join(map(str, BATCH))} on {device}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread(s), {os.cpu_count()} CPU(s), load {load:.2f}, "
          f"malloc {'tuned' if tuned else 'default'}")  # fmt: skip
    print(f"| {'pipeline':<24} | {'median ms':>9} | {'best ms':>8} | {'MP/s (median)':>13} "
          f"| {'CPU ms':>7} | {'MP/s per CPU s':>14} |")  # fmt: skip
    print(f"|{'-' * 26}|{'-' * 11}|{'-' * 10}|{'-' * 15}|{'-' * 9}|{'-' * 16}|")
    for label, spec in pipelines(args.crf_bank).items():
        if args.only and args.only not in label:
            continue
        spec = dict(spec)
        model = build_noise(spec.pop("name"), **spec)
        for _ in range(args.warmup):
            model(x, generator)
        sync(device)
        times, cpu = [], []
        for _ in range(args.repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            model(x, generator)
            sync(device)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        median, median_cpu = statistics.median(times), statistics.median(cpu)
        print(f"| {label:<24} | {median * 1e3:9.1f} | {min(times) * 1e3:8.1f} | "
              f"{megapixels / median:13.1f} | {median_cpu * 1e3:7.1f} | "
              f"{megapixels / median_cpu:14.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
