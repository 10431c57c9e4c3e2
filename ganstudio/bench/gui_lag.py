"""How the window feels while training: event-loop lag and throughput with the GUI attached.

Lag is the lateness of a 10 ms QTimer on the GUI thread while fashion-dcgan trains at full
speed in the worker. Throughput with the GUI attached is compared with what `ganstudio train`
does headless (a TrainingSession writing its own run folder: metrics, grids, checkpoints) in
the same process, alternating chunks so both see the same machine drift. The probe timer wakes
the GUI thread 100 times a second, which the app alone never does, so throughput is measured in
chunks without it and lag in chunks of their own (whose throughput is reported too).
"""

from __future__ import annotations

import time

import numpy as np

from ganstudio.bench.table import format_table, median, write_json

TIMER_MS = 10


def run_gui_bench(preset_name: str, seconds: float, rounds: int, json_path: str | None,
                  overrides: list[str] | None = None) -> str:
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer

    from ganstudio.bench.window import bench_window
    from ganstudio.core.fast_path import apply_threads
    from ganstudio.core.runlog import RunDirectory
    from ganstudio.core.session import TrainingSession

    app, window, config, tmp = bench_window(preset_name, 10_000_000, overrides)
    app.processEvents()  # paint once before measuring
    headless = TrainingSession.start(config.copy(), RunDirectory.create(tmp.name, "headless"))

    def spin(ms: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(int(ms), loop.quit)
        loop.exec()

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
    steps_seen = [0]
    window.controller.stats_ready.connect(lambda stats: steps_seen.__setitem__(0, stats[-1].step))

    def gui_chunk(probe: bool) -> float:
        """Steps/s of the window's run over one chunk, with or without the lag probe."""
        window.controller.pause(False)
        spin(500)
        first = steps_seen[0]
        if probe:
            clock.start()
            last[0] = 0
            timer.start()
        started = time.perf_counter()
        spin(seconds * 1000)
        timer.stop()
        rate = (steps_seen[0] - first) / (time.perf_counter() - started)
        window.controller.pause(True)
        spin(500)
        return rate

    window.start()
    while steps_seen[0] < 3:
        spin(100)
    gui_rates, probed_rates, headless_rates = [], [], []
    threads = {"gui": 0, "headless": 0}
    for _ in range(rounds):
        threads["gui"] = apply_threads(config.perf.threads, gui=True)  # what the worker chose at start
        gui_rates.append(gui_chunk(probe=False))
        probed_rates.append(gui_chunk(probe=True))
        threads["headless"] = apply_threads(config.perf.threads, gui=False)  # what `ganstudio train` uses
        started, n = time.perf_counter(), 0
        while time.perf_counter() - started < seconds:
            headless.advance()
            n += 1
        headless.flush_stats()
        headless_rates.append(n / (time.perf_counter() - started))
    window.controller.stop_and_wait(10000)
    window.close()
    tmp.cleanup()

    lag = np.asarray(lateness)
    batch = config.train.batch_size
    g, p, h = median(gui_rates), median(probed_rates), median(headless_rates)
    results = {
        "preset": preset_name, "rounds": rounds, "seconds_per_chunk": seconds,
        "lag_ms_p50": float(np.percentile(lag, 50)), "lag_ms_p99": float(np.percentile(lag, 99)),
        "lag_samples": int(len(lag)), "gui_steps_per_s": g, "headless_steps_per_s": h, "ratio": g / h,
        "gui_probed_steps_per_s": p, "probed_ratio": p / h,
        "chunks_steps_per_s": {"gui": gui_rates, "gui_probed": probed_rates, "headless": headless_rates},
        "gui_threads": threads["gui"], "headless_threads": threads["headless"], "overrides": overrides or [],
    }
    write_json(json_path, "gui", results)
    return format_table(
        ["preset", "threads GUI / headless", "lag p50 ms", "lag p99 ms", "GUI img/s", "headless img/s",
         "GUI / headless", "with lag probe"],
        [[" ".join([preset_name, *(overrides or [])]), f"{threads['gui']} / {threads['headless']}",
          f"{results['lag_ms_p50']:.1f}", f"{results['lag_ms_p99']:.1f}", f"{g * batch:,.0f}",
          f"{h * batch:,.0f}", f"{g / h:.2f}", f"{p * batch:,.0f} img/s, {p / h:.2f}"]])
