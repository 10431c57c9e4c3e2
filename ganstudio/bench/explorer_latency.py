"""Explorer responsiveness: slider-to-pixels latency, and training throughput while someone drags.

Latency runs from setting a slider value to the repainted view (render + synchronous paint),
measured per drag event. The throughput part alternates chunks of undisturbed training with
chunks where a slider moves every 16 ms (60 Hz), in one process.
"""

from __future__ import annotations

import argparse
import os
import time
from functools import partial

import numpy as np

from ganstudio.bench.arguments import add_json, add_preset
from ganstudio.bench.table import format_table, median, write_json
from ganstudio.cli_types import positive_float, positive_int
from ganstudio.core.config import DEFAULT_PRESET

DRAG_MS = 16
HELP = "explorer responsiveness: slider-to-pixels latency, and training while someone drags"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_preset(parser, DEFAULT_PRESET)
    parser.add_argument(
        "--seconds", type=positive_float, default=15.0, help="seconds per alternating chunk (default: 15)"
    )
    parser.add_argument("--rounds", type=positive_int, default=3, help="alternating rounds (default: 3)")
    parser.add_argument(
        "--drags", type=positive_int, default=300, help="slider moves timed per model size (default: 300)"
    )
    add_json(parser)


def main(args: argparse.Namespace) -> int:
    print(
        run_explorer_bench(
            args.preset or DEFAULT_PRESET,
            seconds=args.seconds,
            rounds=args.rounds,
            drags=args.drags,
            json_path=args.json,
        )
    )
    return 0


def _snapshot_for(preset_name: str, size: int):
    from ganstudio.core.config import preset
    from ganstudio.core.models import build_models
    from ganstudio.core.sampling import GeneratorSnapshot

    config = preset(preset_name)
    config.data.image_size = size
    generator, _ = build_models(config)
    generator.eval().requires_grad_(False)
    import torch

    return GeneratorSnapshot(generator, config, 0, torch.device("cpu"))


def _has_directions(panel) -> bool:
    return panel.state.directions is not None


def _past(steps: list[int], first: int) -> bool:
    return steps[0] > first


def _latency(app, panel, drags: int) -> list[float]:
    values = np.sin(np.linspace(0, 6 * np.pi, drags)) * 3
    out = []
    for value in values:
        started = time.perf_counter()
        panel.sliders.direction_sliders[0].setValue(float(value))
        app.processEvents()  # the zero-delay render timer fires here
        panel.canvas.view.repaint()
        panel.canvas.strip.repaint()
        out.append((time.perf_counter() - started) * 1000)
    return out


def run_explorer_bench(preset_name: str, seconds: float, rounds: int, drags: int, json_path: str | None) -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QThreadPool, QTimer
    from PySide6.QtWidgets import QApplication

    from ganstudio.bench.window import bench_window, quiet_offscreen_plugin, spin, spin_until
    from ganstudio.core.fast_path import serial_torch_here
    from ganstudio.gui.app import POOL_WAIT_MS
    from ganstudio.gui.widgets.explorer import ExplorerPanel

    app = QApplication.instance() or QApplication([])
    quiet_offscreen_plugin()
    serial_torch_here()  # this is the GUI thread: it renders on one thread, as the window's does
    rows: list[list[str]] = []
    results: dict[str, str | float | dict[str, float]] = {
        "preset": preset_name
    }  # per size: latencies; then the training rates
    for size in (28, 64):
        panel = ExplorerPanel()
        panel.resize(1000, 700)
        panel.show()
        try:
            panel.set_snapshot(_snapshot_for(preset_name, size))
            spin_until(partial(_has_directions, panel), lambda: "the explorer found no latent directions")
            _latency(app, panel, 20)
            lat = np.asarray(_latency(app, panel, drags))
        finally:
            panel.close()
        results[f"{size}px"] = {
            "p50_ms": float(np.percentile(lat, 50)),
            "p95_ms": float(np.percentile(lat, 95)),
            "drags": drags,
        }
        rows.append(
            [
                f"slider -> pixels, {size} px, {preset_name}",
                f"{np.percentile(lat, 50):.1f} ms",
                f"{np.percentile(lat, 95):.1f} ms",
            ]
        )

    with bench_window(preset_name, None) as bench:
        window = bench.window
        steps = [0]
        window.controller.stats_ready.connect(lambda stats: steps.__setitem__(0, stats[-1].step))
        window.tabs.setCurrentWidget(window.explorer)
        window.start()
        bench.wait_until(
            lambda: window.explorer.state.snapshot is not None and window.explorer.state.directions is not None,
            "the explorer's first generator",
        )
        phase = [0.0]

        def drag() -> None:
            phase[0] += 0.15
            window.explorer.sliders.direction_sliders[0].setValue(float(3 * np.sin(phase[0])))

        dragger = QTimer()
        dragger.setInterval(DRAG_MS)
        dragger.timeout.connect(drag)
        quiet: list[float] = []
        dragging: list[float] = []
        for _ in range(rounds):
            for rates, active in ((quiet, False), (dragging, True)):
                if active:
                    dragger.start()
                spin(300)
                first, started = steps[0], time.perf_counter()
                spin(seconds * 1000)
                # steps arrive in batches: a short chunk on a busy machine may have seen none yet, and 0 steps/s
                # is no figure, so the chunk lasts until one has come (both kinds of chunk alike)
                bench.wait_until(partial(_past, steps, first), "a step in the chunk measured")
                rates.append((steps[0] - first) / (time.perf_counter() - started))
                dragger.stop()
    # a direction search still running would report to the closed window's deleted finder, as at the app's exit
    QThreadPool.globalInstance().waitForDone(POOL_WAIT_MS)
    q, d = median(quiet), median(dragging)
    results["training_steps_per_s_quiet"] = q
    results["training_steps_per_s_dragging"] = d
    results["ratio"] = d / q
    rows.append(
        [f"training while dragging / undisturbed ({preset_name})", f"{d:.2f} / {q:.2f} steps/s", f"{d / q:.2f}"]
    )
    write_json(json_path, "explorer", results)
    return format_table(["measure", "p50 (or value)", "p95 (or ratio)"], rows)
