"""How the window feels while training: event-loop lag and throughput with the GUI attached.

Lag is the lateness of a 10 ms QTimer on the GUI thread while the window's default preset trains at full
speed in the worker. Throughput with the GUI attached is compared with what `ganstudio train`
does headless (its supervised TrainingSession writing a run folder: metrics, grids, checkpoints) in
a process of its own (bench/headless_chunk.py says why not in this one), alternating chunks so
both see the same machine drift; the window's run is paused meanwhile. The probe timer wakes
the GUI thread 100 times a second, which the app alone never does, so throughput is measured in
chunks without it and lag in chunks of their own (whose throughput is reported too).

The window's rate is read from when its stats batches arrive (a batch ends at an exact step,
about every 0.25 s), not from steps counted over the chunk's clock, which ends mid-batch and is
off by up to a batch at each end. A shared machine's speed drifts between chunks more than the
difference being measured, so the ratio is the median of each round's window / headless pair; the
GUI thread's CPU share (what it takes from the two training threads) is reported beside it.
Quality scoring is off unless `--set quality.every=N` asks for it: it is the same work with or
without the window, but its several-second pauses land in whichever chunk reaches step 1,000 first
(twice as often in the window's, which runs two chunks a round), which measured the pause, not the window.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from ganstudio.bench.arguments import add_json, add_preset, add_set
from ganstudio.bench.child_process import run_child
from ganstudio.bench.table import format_table, median, write_json
from ganstudio.cli_types import positive_float, positive_int
from ganstudio.core.config import DEFAULT_PRESET

TIMER_MS = 10
HEADLESS_START_S = 120  # bound on a headless chunk's process beyond its own seconds (torch import, warm-up)
QUALITY_OFF = "quality.every=0"
HELP = "how the window feels while training: event-loop lag, and throughput against headless"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_preset(parser, DEFAULT_PRESET)
    parser.add_argument(
        "--seconds", type=positive_float, default=15.0, help="seconds per alternating chunk (default: 15)"
    )
    parser.add_argument("--rounds", type=positive_int, default=3, help="alternating rounds (default: 3)")
    add_set(parser)
    add_json(parser)


def main(args: argparse.Namespace) -> int:
    print(
        run_gui_bench(
            args.preset or DEFAULT_PRESET,
            seconds=args.seconds,
            rounds=args.rounds,
            json_path=args.json,
            overrides=args.set,
        )
    )
    return 0


def run_gui_bench(
    preset_name: str, seconds: float, rounds: int, json_path: str | None, overrides: list[str] | None = None
) -> str:
    from PySide6.QtCore import QElapsedTimer, QTimer

    from ganstudio.bench.window import bench_window, spin
    from ganstudio.core.fast_path import choose_threads

    overrides = list(overrides or [])
    if not any(o.startswith("quality.every=") for o in overrides):
        overrides.insert(0, QUALITY_OFF)
    with bench_window(preset_name, None, overrides) as bench:
        app, window, config = bench.app, bench.window, bench.config
        app.processEvents()  # paint once before measuring
        headless_config = Path(bench.tmp.name) / "headless.json"
        headless_config.write_text(config.to_json(), encoding="utf-8")

        lateness: list[float] = []
        clock = QElapsedTimer()
        timer = QTimer()
        timer.setInterval(TIMER_MS)
        last = [0]

        def tick() -> None:
            now = clock.nsecsElapsed()
            if last[0]:
                lateness.append(max(0.0, (now - last[0]) / 1e6 - TIMER_MS))
            last[0] = now

        timer.timeout.connect(tick)
        arrivals: list[tuple[float, int]] = []  # (when, last step) of each stats batch
        window.controller.stats_ready.connect(lambda stats: arrivals.append((time.perf_counter(), stats[-1].step)))
        gui_cpu: list[float] = []

        def gui_chunk(probe: bool) -> float:
            """Steps/s of the window's run over one chunk, with or without the lag probe."""
            window.controller.pause(False)
            spin(500)
            if probe:
                clock.start()
                last[0] = 0
                timer.start()
            arrivals.clear()
            started, cpu = time.perf_counter(), time.thread_time()
            spin(seconds * 1000)
            bench.wait_until(lambda: len(arrivals) >= 2, "two batches of statistics")  # however short the chunk
            timer.stop()
            if not probe:
                gui_cpu.append((time.thread_time() - cpu) / (time.perf_counter() - started))
            (t0, s0), (t1, s1) = arrivals[0], arrivals[-1]
            window.controller.pause(True)
            spin(500)
            return (s1 - s0) / (t1 - t0)

        window.start()
        bench.wait_until(lambda: bool(arrivals) and arrivals[-1][1] >= 3, "its third step")
        gui_rates, probed_rates, headless_rates = [], [], []
        threads = {"gui": 0, "headless": 0}

        def window_side() -> None:
            threads["gui"] = choose_threads(config.perf.threads, gui=True)  # what the worker chose at start
            gui_rates.append(gui_chunk(probe=False))
            probed_rates.append(gui_chunk(probe=True))

        def headless_side() -> None:
            done = run_child(
                [
                    sys.executable,
                    "-m",
                    "ganstudio.bench.headless_chunk",
                    "--config",
                    str(headless_config),
                    "--seconds",
                    str(seconds),
                ],
                seconds + HEADLESS_START_S,
                "a headless chunk",
            )
            answer = json.loads(done.stdout.strip().splitlines()[-1])
            threads["headless"] = answer["threads"]
            headless_rates.append(answer["steps_per_s"])

        for round_index in range(rounds):  # the sides take turns going first, so neither gains from the order
            for side in (window_side, headless_side)[:: 1 if round_index % 2 == 0 else -1]:
                side()

    lag = np.asarray(lateness)
    batch = config.train.batch_size
    g, p, h = median(gui_rates), median(probed_rates), median(headless_rates)
    ratio = median([a / b for a, b in zip(gui_rates, headless_rates, strict=True)])
    probed_ratio = median([a / b for a, b in zip(probed_rates, headless_rates, strict=True)])
    cpu_share = median(gui_cpu)
    results = {
        "preset": preset_name,
        "rounds": rounds,
        "seconds_per_chunk": seconds,
        "lag_ms_p50": float(np.percentile(lag, 50)),
        "lag_ms_p99": float(np.percentile(lag, 99)),
        "lag_samples": len(lag),
        "gui_steps_per_s": g,
        "headless_steps_per_s": h,
        "ratio": ratio,
        "ratio_of_medians": g / h,
        "gui_thread_cpu_share": cpu_share,
        "gui_probed_steps_per_s": p,
        "probed_ratio": probed_ratio,
        "chunks_steps_per_s": {"gui": gui_rates, "gui_probed": probed_rates, "headless": headless_rates},
        "chunks_gui_thread_cpu_share": gui_cpu,
        "gui_threads": threads["gui"],
        "headless_threads": threads["headless"],
        "overrides": overrides,
    }
    write_json(json_path, "gui", results)
    return format_table(
        [
            "preset",
            "threads GUI / headless",
            "lag p50 ms",
            "lag p99 ms",
            "GUI img/s",
            "headless img/s",
            "GUI / headless",
            "GUI thread CPU",
            "with lag probe",
        ],
        [
            [
                " ".join([preset_name, *overrides]),
                f"{threads['gui']} / {threads['headless']}",
                f"{results['lag_ms_p50']:.1f}",
                f"{results['lag_ms_p99']:.1f}",
                f"{g * batch:,.0f}",
                f"{h * batch:,.0f}",
                f"{ratio:.2f}",
                f"{100 * cpu_share:.1f} %",
                f"{p * batch:,.0f} img/s, {probed_ratio:.2f}",
            ]
        ],
    )
