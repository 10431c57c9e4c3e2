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
import subprocess
import sys
import tempfile
from pathlib import Path

RUN_TIMEOUT_S = 600


def _add(parser: argparse.ArgumentParser, *flags: str, **kwargs: object) -> None:
    try:
        parser.add_argument(*flags, **kwargs)  # type: ignore[arg-type]
    except argparse.ArgumentError:
        pass  # the shared `bench` parser has this option already


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _add(parser, "--preset", action="append", help="preset to measure (default: fashion-dcgan)")
    _add(parser, "--steps", type=int, default=200, help="timed steps per process count")
    _add(parser, "--json", help="also write the results to this JSON file")
    _add(parser, "--processes", type=int, action="append",
         help="scale: a process count to measure (repeatable; default 1 and 2, or 1..number of GPUs)")
    _add(parser, "--batch", type=int, help="scale: the global batch, split over the processes "
         "(default: 64 per process at the largest count)")
    _add(parser, "--warmup", type=int, default=10, help="scale: untimed steps first")
    _add(parser, "--device", help="scale: cpu or cuda (default: cuda when there is a GPU)")


def _default_counts(device: str) -> list[int]:
    import torch

    if device == "cuda":
        return list(range(1, torch.cuda.device_count() + 1))
    return [1, 2]


def _measure(count: int, name: str, batch: int, steps: int, warmup: int, device: str) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "result.json"
        worker = ["-m", "ganstudio.bench.scale_worker", "--preset", name, "--batch", str(batch), "--steps", str(steps),
                  "--warmup", str(warmup), "--device", device, "--json", str(out)]
        launcher = [sys.executable] if count == 1 else [sys.executable, "-m", "torch.distributed.run", "--standalone",
                                                         f"--nproc-per-node={count}"]
        done = subprocess.run(launcher + worker, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False)
        if done.returncode != 0 or not out.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise RuntimeError(f"{count} processes failed: {tail[0]}")
        return json.loads(out.read_text())


def main(args: argparse.Namespace) -> int:
    import torch

    from ganstudio.bench.table import format_table, machine_line, write_json
    from ganstudio.core.config import preset

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    counts = sorted(set(args.processes or _default_counts(device)))
    name = (args.preset or ["fashion-dcgan"])[0]
    preset(name)
    batch = args.batch or 64 * max(counts)
    rows, results = [], []
    for count in counts:
        result = _measure(count, name, batch, args.steps, args.warmup, device)
        results.append(result)
    base = results[0]["images_per_s"] if counts[0] == 1 else None
    for result in results:
        speedup = result["images_per_s"] / base if base else float("nan")
        rows.append([result["processes"], f"{result['images_per_s']:,.0f}", f"{result['step_ms']:.1f}",
                     f"{speedup:.2f}x", f"{100 * speedup / result['processes']:.0f} %",
                     f"{100 * result['communication']:.0f} %"])
    print(f"{name}, global batch {batch}, {args.steps} steps per count on {device}; {machine_line()}")
    print(format_table(["processes", "images/s", "ms/step", "speed-up", "efficiency", "communication"], rows))
    write_json(args.json, "scale", {"preset": name, "batch": batch, "device": device, "results": results})
    return 0
