"""`ganstudio bench threads`: `train` on auto CPU threads (core.thread_governor) against every core and one
core, on a quiet machine and beside programs that keep cores busy. Each side is a real `ganstudio train`
process; the busy programs are plain Python loops the bench starts and ends."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from ganstudio.bench.arguments import add_json, add_preset
from ganstudio.bench.child_process import run_child
from ganstudio.bench.table import format_table, median, write_json
from ganstudio.cli_types import at_least, positive_int
from ganstudio.core.wording import counted

HELP = "CPU threads: auto (following the machine's load) against every core and one, with the machine busy or not"
DEFAULT_PRESET = "fashion-cdcgan"
RUN_BOUND_S = 900.0  # one side's `train`: a step a hundred times slower than usual still ends within it
BUSY_LOOP = "while True: pass"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_preset(parser, DEFAULT_PRESET)
    parser.add_argument("--steps", type=positive_int, default=300, help="steps per side (default: 300)")
    parser.add_argument(
        "--busy",
        type=at_least(0, at_most=16),
        action="append",
        help="busy programs beside the run (repeatable; default: 0 and 1)",
    )
    add_json(parser)


def main(args: argparse.Namespace) -> int:
    print(run_threads(args.preset or DEFAULT_PRESET, args.steps, args.busy or [0, 1], args.json))
    return 0


def _step_seconds(preset: str, steps: int, threads: int, folder: Path) -> list[float]:
    run = folder / f"threads-{threads}"
    run_child(
        [
            sys.executable,
            "-m",
            "ganstudio",
            "train",
            "--preset",
            preset,
            "--steps",
            str(steps),
            "--set",
            f"perf.threads={threads}",
            "--set",
            "quality.every=0",
            "--out",
            str(run),
        ],
        RUN_BOUND_S,
        f"train with perf.threads={threads}",
    )
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [r["seconds"] for r in records if "event" not in r and "seconds" in r]


def run_threads(preset: str, steps: int, busy_counts: list[int], json_path: str | None) -> str:
    from ganstudio.core.fast_path import usable_cores

    cores = usable_cores()
    sides = {"auto": 0, **({counted(cores, "thread"): cores} if cores > 1 else {}), counted(1, "thread"): 1}
    rows, results = [], {}
    for busy in busy_counts:
        loops = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(busy)]
        try:
            with tempfile.TemporaryDirectory(prefix="ganstudio-bench-threads-") as folder:
                timed = {
                    label: _step_seconds(preset, steps, threads, Path(folder) / str(busy))
                    for label, threads in sides.items()
                }
        finally:
            for loop in loops:
                loop.kill()
                loop.wait(timeout=10)
        auto = sum(timed["auto"])
        for label, seconds in timed.items():
            rows.append([str(busy), label, 1000 * median(seconds), sum(seconds), sum(seconds) / auto])
            results[f"busy {busy}, {label}"] = {"median_ms": 1000 * median(seconds), "total_s": sum(seconds)}
    write_json(json_path, "threads", {"preset": preset, "steps": steps, "cores": cores, **results})
    return format_table(["busy programs", "threads", "median ms a step", "s for all steps", "time / auto's"], rows)
