"""`ganstudio bench quality`: each preset trained for the same wall-clock budget, then scored."""

from __future__ import annotations

import time

from ganstudio.bench.table import format_table, write_json
from ganstudio.core.config import apply_override, check, preset
from ganstudio.core.data import scoring_images
from ganstudio.core.quality.evaluator import QualityEvaluator
from ganstudio.core.trainer import Trainer

DEFAULT_PRESETS = ("fashion-minimax", "fashion-dcgan", "fashion-hinge-sn")

# Inception FID on Fashion-MNIST, Lucic et al. 2018 ("Are GANs created equal?"), best model per loss
PUBLISHED_FID = [("non-saturating GAN", 26.5), ("WGAN", 21.5), ("WGAN-GP", 24.5)]


def train_for(name: str, minutes: float, overrides: list[str] | None, seed: int) -> Trainer:
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


def run_quality(names: list[str], minutes: float, samples: int, json_path: str | None,
                overrides: list[str] | None = None, seed: int = 0) -> str:
    rows, results, evaluator = [], [], None
    for name in names:
        trainer = train_for(name, minutes, overrides, seed)
        if evaluator is None:
            real = scoring_images(trainer.data, trainer.config.data, trainer.device)  # all images, even with data.limit
            evaluator = QualityEvaluator(real, samples)
        report = evaluator.evaluate(trainer.sample, trainer.config.model.latent_dim, seed=seed + 4)
        results.append({"preset": name, "steps": trainer.step_count, **report.to_record()})
        rows.append([name, f"{trainer.step_count:,}", f"{report.frechet:.2f}", f"{1000 * report.kid:.1f}",
                     f"{report.precision:.2f}", f"{report.recall:.2f}", f"{report.density:.2f}",
                     f"{report.coverage:.2f}", f"{report.memorisation_ratio:.2f}"])
    for label, fid in PUBLISHED_FID:
        rows.append([f"{label}, Lucic et al. 2018 (Inception FID, another feature space)", "", f"{fid}",
                     "", "", "", "", "", ""])
    write_json(json_path, "quality", {"minutes": minutes, "samples": samples, "overrides": overrides or [],
                                      "results": results})
    header = ["preset", f"steps in {minutes:g} min", "FD (ours)", "KID x1000", "precision", "recall",
              "density", "coverage", "memorisation ratio"]
    return format_table(header, rows)
