"""`ganstudio bench quality`: each preset trained for the same wall-clock budget, then scored."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from ganstudio.bench.arguments import add_json, add_preset, add_set, positive_float, positive_int, presets_or
from ganstudio.bench.table import format_table, write_json
from ganstudio.core.config import apply_override, check, preset

if TYPE_CHECKING:  # torch loads when the bench runs, not when the CLI parses its arguments
    from ganstudio.core.quality.scores import QualityReport
    from ganstudio.core.trainer import Trainer

HELP = "image quality: each preset trained for the same wall-clock budget, then scored"
DEFAULT_PRESETS = ("fashion-minimax", "fashion-dcgan", "fashion-hinge-sn")
CONDITIONAL_ACCURACY_GOAL = 0.85


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_preset(parser, DEFAULT_PRESETS, many=True)
    parser.add_argument("--minutes", type=positive_float, default=3.0, help="training budget per preset (default: 3)")
    parser.add_argument("--samples", type=positive_int, default=5000, help="images scored per preset (default: 5000)")
    add_set(parser)
    add_json(parser)


def main(args: argparse.Namespace) -> int:
    print(
        run_quality(
            presets_or(args, DEFAULT_PRESETS),
            minutes=args.minutes,
            samples=args.samples,
            json_path=args.json,
            overrides=args.set,
        )
    )
    return 0


# Inception FID on Fashion-MNIST, Lucic et al. 2018 ("Are GANs created equal?"), best model per loss
PUBLISHED_FID = [("non-saturating GAN", 26.5), ("WGAN", 21.5), ("WGAN-GP", 24.5)]


def train_for(name: str, minutes: float, overrides: list[str] | None, seed: int) -> Trainer:
    from ganstudio.core.trainer import Trainer

    cfg = preset(name)
    for assignment in overrides or []:
        apply_override(cfg, assignment)
    cfg.train.seed = seed
    cfg.train.device = "cpu"
    trainer = Trainer(check(cfg))
    deadline = time.perf_counter() + 60 * minutes
    while time.perf_counter() < deadline:
        trainer.step()
        if trainer.step_count % 500 == 0:
            trainer.drain_stats()
    return trainer


def run_quality(
    names: list[str],
    minutes: float,
    samples: int,
    json_path: str | None,
    overrides: list[str] | None = None,
    seed: int = 0,
) -> str:
    from ganstudio.core.data import scoring_set
    from ganstudio.core.quality.cas import classification_accuracy_score
    from ganstudio.core.quality.evaluator import QualityEvaluator

    rows, results, evaluator = [], [], None
    reports: dict[str, QualityReport] = {}
    for name in names:
        trainer = train_for(name, minutes, overrides, seed)
        if evaluator is None:
            real, labels = scoring_set(
                trainer.image_data, trainer.config.data, trainer.device
            )  # all, even with data.limit
            evaluator = QualityEvaluator(real, samples, real_labels=labels, class_names=trainer.data.class_names)
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
        results.append({"preset": name, "steps": trainer.step_count, **report.to_record()})
        reports[name] = report
        rows.append(
            [
                name,
                f"{trainer.step_count:,}",
                f"{report.frechet:.2f}",
                f"{1000 * report.kid:.1f}",
                f"{report.precision:.2f}",
                f"{report.recall:.2f}",
                f"{report.density:.2f}",
                f"{report.coverage:.2f}",
                f"{report.memorisation_ratio:.2f}",
                _percent(report.label_accuracy),
                "" if report.intra_fd is None else f"{report.intra_fd:.2f}",
                _percent(report.cas),
            ]
        )
    for label, fid in PUBLISHED_FID:
        rows.append(
            [
                f"{label}, Lucic et al. 2018 (Inception FID, another feature space)",
                "",
                f"{fid}",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ]
        )
    write_json(
        json_path, "quality", {"minutes": minutes, "samples": samples, "overrides": overrides or [], "results": results}
    )
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
    return format_table(header, rows) + conditional_verdict(reports)


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f} %"


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
