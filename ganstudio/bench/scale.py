"""`ganstudio bench scale`: images/s on 1, 2, ... processes at the same global batch.

Each count runs in fresh processes started by torchrun (bench/scale_worker.py), one after the
other; the table gives images/s, the speed-up over one process, the per-process efficiency
(speed-up / processes) and the fraction of a step spent communicating. On a CPU the processes share
the cores (each gets its slice), so more processes cannot be much faster there; on a GPU machine
each process has its own GPU, and the counts default to 1..number of GPUs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from ganstudio.bench.arguments import add_json, add_preset
from ganstudio.bench.child_process import BenchError, run_child
from ganstudio.cli_types import at_least, positive_int

RUN_TIMEOUT_S = 600
HELP = "images/s on 1, 2, ... processes (torchrun) at the same global batch, and the share spent communicating"
DEFAULT_PRESET = "fashion-dcgan"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_preset(parser, DEFAULT_PRESET)
    parser.add_argument("--steps", type=positive_int, default=200, help="timed steps per process count (default 200)")
    parser.add_argument(
        "--processes",
        type=positive_int,
        action="append",
        help="a process count to measure (repeatable; default 1 and 2, or 1..number of GPUs)",
    )
    parser.add_argument(
        "--batch",
        type=positive_int,
        help="the global batch, split over the processes (default: 64 per process at the largest count)",
    )
    parser.add_argument("--warmup", type=at_least(0), default=10, help="untimed steps first (default 10)")
    parser.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda when there is a GPU")
    add_json(parser)


def _default_counts(device: str) -> list[int]:
    import torch

    if device == "cuda":
        return list(range(1, torch.cuda.device_count() + 1))
    return [1, 2]


def _measure(count: int, name: str, batch: int, steps: int, warmup: int, device: str) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "result.json"
        worker = [
            "-m",
            "ganstudio.bench.scale_worker",
            "--preset",
            name,
            "--batch",
            str(batch),
            "--steps",
            str(steps),
            "--warmup",
            str(warmup),
            "--device",
            device,
            "--json",
            str(out),
        ]
        launcher = (
            [sys.executable]
            if count == 1
            else [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={count}"]
        )
        run_child(launcher + worker, RUN_TIMEOUT_S, f"{count} processes")
        if not out.exists():
            raise BenchError(f"{count} processes wrote no figures")
        return json.loads(out.read_text())


def main(args: argparse.Namespace) -> int:
    import torch

    from ganstudio.bench.table import format_table, machine_line, write_json
    from ganstudio.core.config import check, preset
    from ganstudio.core.device import DeviceError

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    counts = sorted(set(args.processes or _default_counts(device)))
    name = args.preset or DEFAULT_PRESET
    if device == "cuda" and not torch.cuda.is_available():
        raise DeviceError("bench scale --device cuda: this machine has no CUDA device")
    batch = args.batch or 64 * max(counts)
    config = preset(name)
    config.train.batch_size = batch
    for count in counts:
        config.perf.processes = count
        check(config)  # the batch must split over every count
    rows, results = [], []
    for count in counts:
        result = _measure(count, name, batch, args.steps, args.warmup, device)
        results.append(result)
    base = results[0]["images_per_s"] if counts[0] == 1 else None
    for result in results:
        speedup = result["images_per_s"] / base if base else float("nan")
        rows.append(
            [
                result["processes"],
                f"{result['images_per_s']:,.0f}",
                f"{result['step_ms']:.1f}",
                f"{speedup:.2f}x",
                f"{100 * speedup / result['processes']:.0f} %",
                f"{100 * result['communication']:.0f} %",
            ]
        )
    print(f"{name}, global batch {batch}, {args.steps} steps per count on {device}; {machine_line()}")
    print(format_table(["processes", "images/s", "ms/step", "speed-up", "efficiency", "communication"], rows))
    write_json(args.json, "scale", {"preset": name, "batch": batch, "device": device, "results": results})
    return 0
