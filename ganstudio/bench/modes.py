"""`ganstudio bench modes`: mode collapse on ring-8 / grid-25 over several seeds, in the papers' form."""

from __future__ import annotations

import time

import numpy as np

from ganstudio.bench.table import format_table, write_json
from ganstudio.core.config import apply_override, check, preset
from ganstudio.core.session import measure_modes
from ganstudio.core.trainer import Trainer

# (method, source, ring-8 modes, ring-8 % high-quality, grid-25 modes, grid-25 % high-quality)
PUBLISHED = [
    ("GAN", "VEEGAN (Srivastava et al. 2017)", 1.0, 99.3, 3.3, 0.5),
    ("VEEGAN", "VEEGAN (Srivastava et al. 2017)", 8.0, 52.9, 24.6, 40.0),
    ("GAN", "PacGAN (Lin et al. 2018)", 6.3, 98.2, 17.3, 94.8),
    ("PacGAN4", "PacGAN (Lin et al. 2018)", 7.8, 95.9, 24.8, 93.6),
]


def _mean_std(values) -> str:
    arr = np.asarray(values, dtype=np.float64)
    return f"{arr.mean():.1f} +- {arr.std():.1f}"


def run_modes(dataset: str, preset_name: str | None, runs: int, steps: int | None, json_path: str | None,
              overrides: list[str] | None = None) -> str:
    name = preset_name or dataset
    label = " ".join([name, *(overrides or [])])
    per_run = []
    for seed in range(runs):
        cfg = preset(name)
        for assignment in overrides or []:
            apply_override(cfg, assignment)
        check(cfg)
        cfg.data.dataset = dataset
        cfg.train.seed = seed
        cfg.train.device = "cpu"
        if steps:
            cfg.train.steps = steps
        trainer = Trainer(cfg)
        started = time.perf_counter()
        for i in range(cfg.train.steps):
            trainer.step()
            if i % 500 == 0:
                trainer.drain_stats()
        seconds = time.perf_counter() - started
        metrics = measure_modes(trainer)
        per_run.append({"seed": seed, "seconds": seconds, **metrics.to_record()})
    modes = [r["modes"] for r in per_run]
    hq = [100 * r["high_quality"] for r in per_run]
    js = [r["js"] for r in per_run]
    secs = [r["seconds"] for r in per_run]
    total = per_run[0]["modes_total"]
    rows = [[f"{label} (this machine)", dataset, f"{_mean_std(modes)} / {total}", _mean_std(hq),
             f"{np.mean(js):.3f} +- {np.std(js):.3f}", f"{np.mean(secs):.0f} s"]]
    column = 2 if dataset == "ring-8" else 4
    for method, source, *values in PUBLISHED:
        rows.append([f"{method}, {source}", dataset, f"{values[column - 2]} / {total}", f"{values[column - 1]}", "", ""])
    write_json(json_path, "modes", {"dataset": dataset, "preset": name, "overrides": overrides or [], "runs": per_run})
    return format_table(["method", "dataset", "modes captured", "% high-quality", "JS", "time/run"], rows)
