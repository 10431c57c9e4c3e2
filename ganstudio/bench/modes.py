"""`ganstudio bench modes`: mode collapse on ring-8 / grid-25 over several seeds, in the papers' form;
on gaussian-1d, how far G ends from the data (W1) and what D says then."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ganstudio.bench.arguments import add_json, add_preset, add_set
from ganstudio.bench.table import format_table, spread, write_json
from ganstudio.cli_types import positive_int
from ganstudio.core.config import apply_override, check, preset
from ganstudio.core.wording import counted

if TYPE_CHECKING:  # torch loads when the bench runs, not when the CLI parses its arguments
    from ganstudio.core.trainer import Trainer


class Measured(Protocol):
    """What a bench measures on a trained generator: mode metrics, or the 1D match."""

    def to_record(self) -> dict[str, Any]: ...


HELP = "mode collapse on ring-8 / grid-25 over several seeds; W1 to the data on gaussian-1d"
DATASETS = ("ring-8", "grid-25", "gaussian-1d")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset",
        choices=DATASETS,
        default="ring-8",
        help="ring-8 or grid-25 (modes captured), or gaussian-1d (W1 to the data); default: ring-8",
    )
    add_preset(parser, None)
    parser.add_argument("--runs", type=positive_int, default=5, help="seeds to average over (default: 5)")
    parser.add_argument(
        "--steps", type=positive_int, default=None, help="training steps per run (default: the preset's)"
    )
    add_set(parser, {"data.dataset": "--dataset", "train.seed": "one seed a run", "train.steps": "--steps"})
    add_json(parser)


def main(args: argparse.Namespace) -> int:
    print(
        run_modes(args.dataset, args.preset, runs=args.runs, steps=args.steps, json_path=args.json, overrides=args.set)
    )
    return 0


# (method, source, ring-8 modes, ring-8 % high-quality, grid-25 modes, grid-25 % high-quality)
PUBLISHED = [
    ("GAN", "VEEGAN (Srivastava et al. 2017)", 1.0, 99.3, 3.3, 0.5),
    ("VEEGAN", "VEEGAN (Srivastava et al. 2017)", 8.0, 52.9, 24.6, 40.0),
    ("GAN", "PacGAN (Lin et al. 2018)", 6.3, 98.2, 17.3, 94.8),
    ("PacGAN4", "PacGAN (Lin et al. 2018)", 7.8, 95.9, 24.8, 93.6),
]


def _trained(
    name: str, dataset: str, seed: int, steps: int | None, overrides: list[str] | None
) -> tuple[Trainer, float]:
    """A trainer after a whole run of the preset (with overrides) on the CPU, and the seconds it took."""
    from ganstudio.bench.trainers import bench_trainer

    cfg = preset(name)
    for assignment in overrides or []:
        apply_override(cfg, assignment)
    cfg.data.dataset = dataset
    cfg.train.seed = seed
    cfg.train.device = "cpu"
    if steps:
        cfg.train.steps = steps
    trainer = bench_trainer(check(cfg))
    started = time.perf_counter()
    for i in range(cfg.train.steps):
        trainer.step()
        if i % 500 == 0:
            trainer.drain_stats()
    return trainer, time.perf_counter() - started


def _per_seed(
    name: str,
    dataset: str,
    runs: int,
    steps: int | None,
    overrides: list[str] | None,
    measure: Callable[[Trainer], Measured | None],
) -> list[dict[str, Any]]:
    """One record per seed: its seconds and what `measure` makes of the trained generator (DATASETS
    holds only data it can measure)."""
    per_run = []
    for seed in range(runs):
        trainer, seconds = _trained(name, dataset, seed, steps, overrides)
        result = measure(trainer)
        if result is None:
            raise ValueError(f"{dataset} has nothing for this bench to measure")
        per_run.append({"seed": seed, "seconds": seconds, **result.to_record()})
    return per_run


def run_modes(
    dataset: str,
    preset_name: str | None,
    runs: int,
    steps: int | None,
    json_path: str | None,
    overrides: list[str] | None = None,
) -> str:
    name = preset_name or dataset
    if dataset == "gaussian-1d":
        return run_match(dataset, name, runs, steps, json_path, overrides)
    label = " ".join([name, *(overrides or [])])
    from ganstudio.core.session import measure_modes

    per_run = _per_seed(name, dataset, runs, steps, overrides, measure_modes)
    modes = [r["modes"] for r in per_run]
    hq = [100 * r["high_quality"] for r in per_run]
    js = [r["js"] for r in per_run]
    secs = [r["seconds"] for r in per_run]
    total = per_run[0]["modes_total"]
    rows = [
        [
            f"{label} (this machine)",
            dataset,
            f"{spread(modes)} / {total}",
            spread(hq),
            spread(js, 3),
            f"{np.mean(secs):.0f} s",
        ]
    ]
    column = 2 if dataset == "ring-8" else 4
    for method, source, *values in PUBLISHED:
        rows.append(
            [f"{method}, {source}", dataset, f"{values[column - 2]} / {total}", f"{values[column - 1]}", "", ""]
        )
    write_json(json_path, "modes", {"dataset": dataset, "preset": name, "overrides": overrides or [], "runs": per_run})
    return format_table(
        ["method", "dataset", "modes captured", "% high-quality", "JS", "time/run"], rows
    ) + own_mode_verdict(per_run)


OWN_MODE_GOAL = 0.95


def own_mode_verdict(per_run: list[dict]) -> str:
    """A conditional preset's goal: in every seed, every class puts >= 95 % of its samples within
    3 std of its own mode. One line per seed with its worst class, then the verdict."""
    if not per_run or "own_mode" not in per_run[0]:
        return ""
    lines = ["", "conditional: share of each class's samples within 3 std of its own mode"]
    for run in per_run:
        worst = min(range(len(run["own_mode"])), key=lambda c: run["own_mode"][c])
        lines.append(
            f"  seed {run['seed']}: worst class {worst} {100 * run['own_mode'][worst]:.1f} %, "
            f"mean {100 * float(np.mean(run['own_mode'])):.1f} %"
        )
    met = all(run["own_mode_min"] >= OWN_MODE_GOAL for run in per_run)
    lines.append(f"goal: every class >= {100 * OWN_MODE_GOAL:.0f} % in every seed: {'met' if met else 'NOT met'}")
    return "\n".join(lines)


def run_match(
    dataset: str, name: str, runs: int, steps: int | None, json_path: str | None, overrides: list[str] | None = None
) -> str:
    """One row per seed, then mean +- std and the median: a student should see the spread, not only
    a mean that one lucky seed can carry."""
    from ganstudio.core.session import measure_match

    per_run = _per_seed(name, dataset, runs, steps, overrides, measure_match)
    columns = ("w1", "d_real", "d_fake", "d_loss", "seconds")
    rows = [[str(r["seed"]), *(f"{r[c]:.3f}" for c in columns[:-1]), f"{r['seconds']:.1f} s"] for r in per_run]
    values = {c: np.array([r[c] for r in per_run], dtype=np.float64) for c in columns}
    rows.append(
        [
            "mean +- std",
            *(spread(values[c], 3) for c in columns[:-1]),
            f"{values['seconds'].mean():.1f} s",
        ]
    )
    rows.append(
        ["median", *(f"{np.median(values[c]):.3f}" for c in columns[:-1]), f"{np.median(values['seconds']):.1f} s"]
    )
    label = " ".join([name, *(overrides or [])])
    write_json(json_path, "modes", {"dataset": dataset, "preset": name, "overrides": overrides or [], "runs": per_run})
    return f"{label} on {dataset}, {counted(runs, 'seed')}\n" + format_table(
        ["seed", "W1 to the data", "mean D(x)", "mean D(G(z))", "D loss (2 ln 2 = 1.386)", "time/run"], rows
    )
