"""`ganstudio bench quality`: each preset trained for the same wall-clock budget, then scored."""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from ganstudio.bench.arguments import add_json, add_preset, add_set, presets_or
from ganstudio.bench.table import format_table, spread, write_json
from ganstudio.cli_types import positive_float, positive_int
from ganstudio.core.config import (
    ConfigError,
    RunConfig,
    apply_override,
    check,
    ingredient_fields,
    preset,
    preset_ingredients,
)

if TYPE_CHECKING:  # torch loads when the bench runs, not when the CLI parses its arguments
    from ganstudio.core.quality.scores import QualityReport
    from ganstudio.core.trainer import Trainer

HELP = "image quality: each preset trained for the same wall-clock budget, then scored"
DEFAULT_PRESETS = ("fashion-fast", "fashion-dcgan", "fashion-hinge-sn")
CONDITIONAL_ACCURACY_GOAL = 0.85
# Issue 20's goal for the window's default preset at 3 minutes: the classic preset's 12-minute result
FAST_GOAL_FD, FAST_GOAL_RECALL = 15.0, 0.6


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_preset(parser, DEFAULT_PRESETS, many=True)
    parser.add_argument("--minutes", type=positive_float, default=3.0, help="training budget per preset (default: 3)")
    parser.add_argument("--samples", type=positive_int, default=5000, help="images scored per preset (default: 5000)")
    parser.add_argument(
        "--seeds", type=positive_int, default=1, help="seeds per preset; more show mean +- std (default: 1)"
    )
    parser.add_argument(
        "--without",
        action="append",
        metavar="FIELD[,FIELD]",
        help="also each preset with these ingredients left out (their fields at the defaults), e.g. --without "
        "train.ema_decay (repeatable: one row each)",
    )
    parser.add_argument(
        "--ablation",
        action="store_true",
        help="also each preset with one of its ingredients left out, one row per ingredient (`ganstudio config "
        "--preset P` lists them)",
    )
    add_set(parser, {"train.seed": "--seeds"})
    add_json(parser)


@dataclass(frozen=True)
class Variant:
    """One row: a preset, maybe with some of its ingredients left out."""

    preset: str
    without: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.preset + (f" without {', '.join(self.without)}" if self.without else "")


@dataclass
class Cell:
    """A variant's scores over the seeds."""

    variant: Variant
    steps: list[int] = field(default_factory=list)
    reports: list[QualityReport] = field(default_factory=list)

    def values(self, name: str) -> list[Any]:
        return [getattr(report, name) for report in self.reports]

    def mean_report(self) -> QualityReport:
        """The seeds' mean of every score (per-class tables from the first seed)."""
        from ganstudio.core.quality.scores import QualityReport

        merged: dict[str, Any] = {}
        for spec in fields(QualityReport):
            values = self.values(spec.name)
            numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
            merged[spec.name] = float(np.mean(values)) if numeric else values[0]
        return QualityReport(**merged)


def variants(names: list[str], without: list[str] | None, ablation: bool, overrides: list[str] | None) -> list[Variant]:
    """Each preset, then its rows with ingredients left out. Every row's config is built here, so a field a
    preset does not set or a bad --set is refused (ConfigError) before any training."""
    asked = [tuple(part.strip() for part in spec.split(",") if part.strip()) for spec in without or []]
    if () in asked:
        raise ConfigError([("--without", "name the fields to leave out, e.g. --without train.ema_decay")])
    rows: list[Variant] = []
    for name in names:
        left_out = asked + [ingredient_fields(i) for i in preset_ingredients(name)] if ablation else asked
        for fields_out in [(), *left_out]:
            variant = Variant(name, fields_out)
            variant_config(variant, overrides, seed=0)
            rows.append(variant)
    return rows


def variant_config(variant: Variant, overrides: list[str] | None, seed: int) -> RunConfig:
    cfg = preset(variant.preset, without=variant.without)
    for assignment in overrides or []:
        apply_override(cfg, assignment)
    cfg.train.seed = seed
    cfg.train.device = "cpu"
    return check(cfg)


def main(args: argparse.Namespace) -> int:
    rows = variants(presets_or(args, DEFAULT_PRESETS), args.without, args.ablation, args.set)
    print(
        run_quality(
            rows,
            minutes=args.minutes,
            samples=args.samples,
            json_path=args.json,
            overrides=args.set,
            seeds=args.seeds,
        )
    )
    return 0


# Inception FID on Fashion-MNIST, Lucic et al. 2018 ("Are GANs created equal?"), best model per loss
PUBLISHED_FID = [("non-saturating GAN", 26.5), ("WGAN", 21.5), ("WGAN-GP", 24.5)]


def train_for(variant: Variant, minutes: float, overrides: list[str] | None, seed: int) -> Trainer:
    from ganstudio.bench.trainers import bench_trainer

    trainer = bench_trainer(variant_config(variant, overrides, seed))
    deadline = time.perf_counter() + 60 * minutes
    while time.perf_counter() < deadline:
        trainer.step()
        if trainer.step_count % 500 == 0:
            trainer.drain_stats()
    return trainer


def run_quality(
    rows: list[Variant],
    minutes: float,
    samples: int,
    json_path: str | None,
    overrides: list[str] | None = None,
    seeds: int = 1,
) -> str:
    from ganstudio.core.data import scoring_set
    from ganstudio.core.quality.cas import classification_accuracy_score
    from ganstudio.core.quality.evaluator import QualityEvaluator

    cells: list[Cell] = []
    evaluators: dict[tuple[int, int], QualityEvaluator] = {}  # by the images G trained on: data.limit's subset
    for variant in rows:
        cell = Cell(variant)
        for seed in range(seeds):
            trainer = train_for(variant, minutes, overrides, seed)
            limit = trainer.config.data.limit
            key = (limit, seed if limit else 0)
            if key not in evaluators:
                real, labels = scoring_set(
                    trainer.image_data, trainer.config.data, trainer.device
                )  # all, even with data.limit
                evaluators[key] = QualityEvaluator(
                    real,
                    samples,
                    real_labels=labels,
                    class_names=trainer.data.class_names,
                    trained_on=trainer.image_data.images,
                )
            evaluator = evaluators[key]
            conditional = bool(trainer.num_classes)
            report = evaluator.evaluate(
                trainer.sample, trainer.config.model.latent_dim, seed=seed + 4, conditional=conditional
            )
            if conditional:
                assert labels is not None  # a conditional run's data is labelled
                result = classification_accuracy_score(
                    trainer.sample,
                    trainer.config.model.latent_dim,
                    real.cpu().float().div(127.5).sub(1.0),
                    labels.cpu(),
                    trainer.num_classes,
                    seed=seed + 5,
                )
                report.cas, report.cas_real = result.cas, result.real_baseline
            cell.steps.append(trainer.step_count)
            cell.reports.append(report)
            if seeds > 1:
                print(
                    f"{variant.label}, seed {seed}: {trainer.step_count:,} steps, FD {report.frechet:.2f}, "
                    f"recall {report.recall:.2f}",
                    flush=True,
                )
        cells.append(cell)
    write_json(
        json_path,
        "quality",
        {
            "minutes": minutes,
            "samples": samples,
            "seeds": seeds,
            "overrides": overrides or [],
            "results": [
                {
                    "preset": cell.variant.preset,
                    "without": list(cell.variant.without),
                    "steps": round(float(np.mean(cell.steps))),
                    **cell.mean_report().to_record(),
                    "per_seed": [
                        {"steps": steps, **report.to_record()}
                        for steps, report in zip(cell.steps, cell.reports, strict=True)
                    ],
                }
                for cell in cells
            ],
        },
    )
    return _table(cells, minutes, seeds) + _verdicts(cells)


def _table(cells: list[Cell], minutes: float, seeds: int) -> str:
    def shown(cell: Cell, name: str, digits: int, scale: float = 1.0, unit: str = "") -> str:
        values = cell.values(name)
        return "" if None in values else spread(values, digits, scale) + unit

    rows = [
        [
            cell.variant.label,
            spread(cell.steps, 0),
            shown(cell, "frechet", 2),
            shown(cell, "kid", 1, 1000),
            shown(cell, "precision", 2),
            shown(cell, "recall", 2),
            shown(cell, "density", 2),
            shown(cell, "coverage", 2),
            shown(cell, "memorisation_ratio", 2),
            shown(cell, "label_accuracy", 1, 100, " %"),
            shown(cell, "intra_fd", 2),
            shown(cell, "cas", 1, 100, " %"),
        ]
        for cell in cells
    ]
    for label, fid in PUBLISHED_FID:
        rows.append([f"{label}, Lucic et al. 2018 (Inception FID, another feature space)", "", f"{fid}"] + [""] * 9)
    header = [
        "preset",
        f"steps in {minutes:g} min",
        "FD (ours)",
        "KID x1000",
        "precision",
        "recall",
        "density",
        "coverage",
        "memorisation ratio",
        "label acc.",
        "intra-FD",
        "CAS",
    ]
    note = f"{seeds} seeds, mean +- std\n" if seeds > 1 else ""
    return note + format_table(header, rows)


def _verdicts(cells: list[Cell]) -> str:
    means = {cell.variant.preset: cell.mean_report() for cell in cells if not cell.variant.without}
    return conditional_verdict(means) + fast_verdict(means)


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f} %"


def fast_verdict(reports: dict[str, QualityReport]) -> str:
    """The default preset's goal, when it was run: FD <= 15 and recall >= 0.6 in the budget."""
    fast = reports.get("fashion-fast")
    if fast is None:
        return ""
    met = fast.frechet <= FAST_GOAL_FD and fast.recall >= FAST_GOAL_RECALL
    return (
        f"\nfashion-fast: FD {fast.frechet:.2f}, recall {fast.recall:.2f} (goal FD <= {FAST_GOAL_FD:g} and recall >= "
        f"{FAST_GOAL_RECALL:g} at 3 minutes: {'met' if met else 'NOT met'})"
    )


def conditional_verdict(reports: dict[str, QualityReport]) -> str:
    """The conditional goals, when both presets they compare were run: fashion-cdcgan's label accuracy
    >= 85 % and its FD no worse than fashion-dcgan's at the same budget."""
    cond, plain = reports.get("fashion-cdcgan"), reports.get("fashion-dcgan")
    if cond is None or plain is None or cond.label_accuracy is None:
        return ""
    accuracy_ok = cond.label_accuracy >= CONDITIONAL_ACCURACY_GOAL
    fd_ok = cond.frechet <= plain.frechet
    return (
        f"\nfashion-cdcgan: label accuracy {_percent(cond.label_accuracy)} (goal >= "
        f"{100 * CONDITIONAL_ACCURACY_GOAL:.0f} %: {'met' if accuracy_ok else 'NOT met'}; real images "
        f"{_percent(cond.real_label_accuracy)}), FD {cond.frechet:.2f} against fashion-dcgan's {plain.frechet:.2f} "
        f"({'no worse: met' if fd_ok else 'worse: NOT met'}), CAS {_percent(cond.cas)} (real reference "
        f"{_percent(cond.cas_real)})"
    )
