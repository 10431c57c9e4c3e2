"""`ganstudio bench memory`: resident memory while the window streams a long run.

Leaks in a GUI trainer hide in what crosses threads (images, stats, plot buffers), so the run
is a real window (offscreen) training the default preset; resident memory is read from the kernel
at every 1,000th step and the figure that matters is growth after the first 1,000.
"""

from __future__ import annotations

import argparse
import os
import time

from ganstudio.bench.arguments import add_json, add_preset, add_set
from ganstudio.bench.child_process import BenchError
from ganstudio.bench.table import format_table, write_json
from ganstudio.cli_types import at_least
from ganstudio.core.config import DEFAULT_PRESET

MARK_EVERY = 1000
MIN_STEPS = 2 * MARK_EVERY  # growth is measured from the first mark to a later one
RUN_BOUND_S = 4 * 3600  # never hang a bench forever
HELP = "resident memory while the window streams a long run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_preset(parser, DEFAULT_PRESET)
    parser.add_argument(
        "--steps",
        type=at_least(MIN_STEPS, f" (growth is measured from step {MARK_EVERY:,})"),
        default=10_000,
        help=f"run length, at least {MIN_STEPS:,} (default: 10,000)",
    )
    add_set(parser)
    add_json(parser)


def main(args: argparse.Namespace) -> int:
    print(run_memory_bench(args.preset or DEFAULT_PRESET, steps=args.steps, json_path=args.json, overrides=args.set))
    return 0


def resident_mb() -> float:
    """Current resident set size (not the peak), from /proc; the peak from getrusage elsewhere."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource

        scale = 1 if os.uname().sysname == "Darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def run_memory_bench(preset_name: str, steps: int, json_path: str | None, overrides: list[str] | None = None) -> str:
    from ganstudio.bench.window import bench_window

    with bench_window(preset_name, steps, overrides) as bench:
        marks: list[tuple[int, float, float]] = []  # step, resident MB, seconds since start
        started = time.perf_counter()

        def on_stats(stats) -> None:
            step = stats[-1].step
            if step // MARK_EVERY > (marks[-1][0] // MARK_EVERY if marks else 0):
                marks.append((step, resident_mb(), time.perf_counter() - started))

        bench.window.controller.stats_ready.connect(on_stats)
        bench.window.start()
        bench.wait_until(lambda: bench.ended, "its last step", timeout_s=RUN_BOUND_S)
        bench.app.processEvents()
        final = resident_mb()
    if not marks:
        raise BenchError(
            f"the run ended before its first {MARK_EVERY:,} steps: it needs at least {MIN_STEPS:,} "
            "(--steps, and train.steps where --set gives it)"
        )
    first = marks[0][1]
    growth = final - first
    results = {
        "preset": preset_name,
        "steps": steps,
        "overrides": overrides or [],
        "marks": [{"step": s, "resident_mb": mb, "seconds": sec} for s, mb, sec in marks],
        "final_mb": final,
        "growth_mb_after_first_mark": growth,
    }
    write_json(json_path, "memory", results)
    rows = [[f"{s:,}", f"{mb:,.0f}", f"{mb - first:+.1f}", f"{sec:.0f} s"] for s, mb, sec in marks]
    rows.append(["end", f"{final:,.0f}", f"{growth:+.1f}", ""])
    return format_table(["step", "resident MB", f"vs step {marks[0][0]:,}", "elapsed"], rows)
