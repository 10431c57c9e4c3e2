"""`ganstudio bench semi`: the semi-supervised GAN's held-out accuracy beside the supervised baseline (the same
D trained on the same labels alone), over seeds, for each number of labels per class."""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from ganstudio.bench.arguments import add_json, add_preset, add_set
from ganstudio.bench.table import format_table, spread, write_json
from ganstudio.cli_types import at_least, positive_int
from ganstudio.core.config import RunConfig, apply_override, check, preset
from ganstudio.core.wording import counted

HELP = "semi-supervised GAN vs the supervised baseline: held-out accuracy over seeds, per labels per class"
# The preset made for a number of labels per class; any other number starts from fashion-semi-100
PRESET_FOR = {10: "fashion-semi-100", 100: "fashion-semi-1000"}
MAX_SEEDS = 100  # each seed is two whole runs: more would take days
# Salimans et al. 2016, Tables 1 to 3: test error of the semi-supervised GAN (feature matching)
PUBLISHED = [
    ("MNIST", "100 labels", 0.93),
    ("CIFAR-10", "4,000 labels", 18.6),
    ("SVHN", "1,000 labels", 8.1),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--labels-per-class",
        type=positive_int,
        action="append",
        metavar="N",
        help="labelled training images per class (repeatable; default: 10 and 100, i.e. 100 and 1,000 labels)",
    )
    parser.add_argument(
        "--seeds", type=at_least(1, at_most=MAX_SEEDS), default=3, help="seeds per setting (default: 3)"
    )
    parser.add_argument(
        "--steps", type=positive_int, default=None, help="training steps per run (default: the preset's)"
    )
    add_preset(parser, None)
    add_set(
        parser, {"train.labelled_per_class": "--labels-per-class", "train.seed": "--seeds", "train.steps": "--steps"}
    )
    add_json(parser)


def _config(args: argparse.Namespace, per_class: int, seed: int) -> RunConfig:
    config = preset(args.preset or PRESET_FOR.get(per_class, "fashion-semi-100"))
    for assignment in args.set or []:
        apply_override(config, assignment)
    config.train.labelled_per_class = per_class
    config.train.seed = seed
    config.train.device = "cpu"
    if args.steps is not None:
        config.train.steps = args.steps
    return check(config)


def _semi_accuracy(config: RunConfig) -> tuple[float, str, float]:
    """(held-out accuracy, the split in words, seconds) of one whole semi-supervised run, without a run folder."""
    from ganstudio.bench.trainers import bench_trainer
    from ganstudio.core.semi.trainer import SemiTrainer

    started = time.perf_counter()
    trainer = bench_trainer(config)
    assert isinstance(trainer, SemiTrainer)  # labelled_per_class > 0: the config is a semi-supervised one
    for _ in range(config.train.steps):
        trainer.step()
    report = trainer.held_out_report()
    return report.accuracy, report.split, time.perf_counter() - started


def main(args: argparse.Namespace) -> int:
    import torch

    from ganstudio.bench.child_process import BenchError
    from ganstudio.core.semi.baseline import train_baseline
    from ganstudio.core.semi.baseline_rules import baseline_problem
    from ganstudio.core.semi.data import build_semi_data
    from ganstudio.core.semi.report import gain_points

    settings = list(dict.fromkeys(args.labels_per_class or [10, 100]))
    classes = 0
    for per_class in settings:  # every setting's config and labelled subset refused now, not after runs
        config = _config(args, per_class, args.seeds - 1)
        problem = baseline_problem(config)
        if problem:
            raise BenchError(problem)
        classes = len(build_semi_data(config, torch.device("cpu")).class_names)
    rows, results, split = [], [], ""
    for per_class in settings:
        semi, base, seconds = [], [], []
        for seed in range(args.seeds):
            config = _config(args, per_class, seed)
            accuracy, split, took = _semi_accuracy(config)
            semi.append(accuracy)
            seconds.append(took)
            base.append(train_baseline(config, download=True).accuracy)
            print(
                f"{per_class} per class, seed {seed}: semi-supervised {100 * accuracy:.1f} %, "
                f"baseline {100 * base[-1]:.1f} % ({took:.0f} s)",
                flush=True,
            )
        gain = gain_points(float(np.mean(semi)), float(np.mean(base)))
        rows.append(
            [
                f"{per_class:,} ({classes * per_class:,} labels)",
                spread(semi, scale=100) + " %",
                spread(base, scale=100) + " %",
                f"{gain:+.1f} points",
                f"{100 * (1 - np.mean(semi)):.2f} %",
                f"{np.mean(seconds):.0f} s",
            ]
        )
        record: dict[str, Any] = {
            "labelled_per_class": per_class,
            "steps": config.train.steps,
            "semi_accuracy": semi,
            "baseline_accuracy": base,
            "semi_seconds": seconds,
        }
        results.append(record)
    print(f"held-out accuracy on {split}; {counted(args.seeds, 'seed')}" + (", mean +- std" if args.seeds > 1 else ""))
    print(
        format_table(
            ["labels per class", "semi-supervised GAN", "supervised baseline", "gain", "GAN error", "s per run"], rows
        )
    )
    print("published (Salimans et al. 2016), on other data (digits and photos, not Fashion-MNIST): for scale only")
    print(format_table(["data", "labels", "test error"], [[d, n, f"{e:.2f} %"] for d, n, e in PUBLISHED]))
    write_json(args.json, "semi", {"split": split, "seeds": args.seeds, "settings": results})
    return 0
