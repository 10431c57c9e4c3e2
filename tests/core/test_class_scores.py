"""Scores of class-conditional generators: label accuracy, intra-FD, CAS, own-mode fractions."""

import numpy as np
import torch

from ganstudio.core.data.classes import FASHION_CLASSES
from ganstudio.core.data.images import bundled_fashion
from ganstudio.core.data.toy import RING_STD, ring_centres
from ganstudio.core.events import QualityScored, event_from_record
from ganstudio.core.metrics import own_mode_fractions
from ganstudio.core.quality.cas import classification_accuracy_score
from ganstudio.core.quality.class_scores import gaussian_frechet
from ganstudio.core.quality.evaluator import QualityEvaluator
from ganstudio.core.quality.scores import frechet_distance
from ganstudio.core.trainer import Trainer
from tests.conftest import tiny_conditional_config


def fashion_subset(n: int, offset: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    loaded = bundled_fashion()
    return (torch.from_numpy(loaded.images[offset : offset + n]), torch.from_numpy(loaded.labels[offset : offset + n]))


def test_gaussian_frechet_is_torchmetrics_fid():
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(300, 16, generator=g), 1.3 * torch.randn(250, 16, generator=g) + 0.2
    assert abs(gaussian_frechet(real, fake) - frechet_distance(real, fake)) < 1e-6 * frechet_distance(real, fake)


def test_real_images_score_high_label_accuracy_and_wrong_labels_low():
    real, labels = fashion_subset(900)
    evaluator = QualityEvaluator(real[:600], 300, real_labels=labels[:600], class_names=FASHION_CLASSES)
    right = evaluator.score_images(real[600:].float() / 127.5 - 1, labels[600:])
    wrong = evaluator.score_images(real[600:].float() / 127.5 - 1, (labels[600:] + 1) % 10)
    assert right.label_accuracy > 0.85 and right.real_label_accuracy > 0.85
    assert wrong.label_accuracy < 0.1
    assert set(right.class_label_accuracy) == set(FASHION_CLASSES)
    assert wrong.intra_fd > 2 * right.intra_fd  # reals of the wrong class are far within each class


def test_training_quality_event_carries_class_scores():
    trainer = Trainer(tiny_conditional_config())
    trainer.step()
    real, labels = fashion_subset(400)
    evaluator = QualityEvaluator(real, 100, real_labels=labels, class_names=trainer.class_names)
    report = evaluator.evaluate(trainer.sample, trainer.config.model.latent_dim)
    event = event_from_record(QualityScored(1, report.to_record(), True).to_records()[0])
    assert set(event.class_scores()) == {"label_accuracy", "real_label_accuracy"}  # 10 per class: too few for FD
    assert set(event.class_table()) == set(FASHION_CLASSES)
    assert 0 <= event.class_table()["Bag"]["label_accuracy"] <= 1


def test_cas_of_a_generator_that_returns_real_images_matches_the_real_reference():
    real, labels = fashion_subset(400)
    unit = real.float() / 127.5 - 1
    pool, pool_labels = fashion_subset(1000, offset=5000)
    pool = pool.float() / 127.5 - 1

    def copy_real(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:  # a perfect generator: real images of class y
        return torch.stack(
            [pool[(pool_labels == c).nonzero()[int(i) % 20, 0]] for i, c in zip(z[:, 0].abs() * 1000, y, strict=True)]
        )

    def blank(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return -torch.ones(len(z), 1, 28, 28)

    good = classification_accuracy_score(copy_real, 4, unit, labels, 10, epochs=20)  # 200 images: more passes
    bad = classification_accuracy_score(blank, 4, unit, labels, 10, epochs=20)
    assert good.real_baseline > 0.5 and good.cas > good.real_baseline - 0.15
    assert bad.cas < 0.2


def test_own_mode_fractions():
    centres = ring_centres().numpy()
    labels = np.repeat(np.arange(8), 10)
    on_mode = centres[labels] + RING_STD * 0.5
    swapped = centres[(labels + 1) % 8]
    assert own_mode_fractions(on_mode, labels, centres, RING_STD) == (1.0,) * 8
    assert own_mode_fractions(swapped, labels, centres, RING_STD) == (0.0,) * 8


def test_bench_verdicts_say_met_or_not():
    from ganstudio.bench.modes import own_mode_verdict
    from ganstudio.bench.quality import conditional_verdict
    from ganstudio.core.quality.scores import QualityReport

    runs = [
        {"seed": 0, "own_mode": [0.99] * 8, "own_mode_min": 0.99},
        {"seed": 1, "own_mode": [0.99] * 7 + [0.9], "own_mode_min": 0.9},
    ]
    assert own_mode_verdict(runs).endswith("NOT met") and "seed 1: worst class 7 90.0 %" in own_mode_verdict(runs)
    assert own_mode_verdict(runs[:1]).endswith(": met")

    def report(frechet: float, accuracy: float | None) -> QualityReport:
        return QualityReport(
            100,
            frechet,
            0,
            0,
            0,
            0,
            0,
            0,
            1,
            0,
            label_accuracy=accuracy,
            real_label_accuracy=0.92,
            cas=0.7,
            cas_real=0.8,
        )

    text = conditional_verdict({"fashion-dcgan": report(10.0, None), "fashion-cdcgan": report(9.0, 0.9)})
    assert "goal >= 85 %: met" in text and "no worse: met" in text
    assert "NOT met" in conditional_verdict({"fashion-dcgan": report(10.0, None), "fashion-cdcgan": report(11.0, 0.9)})
    assert conditional_verdict({"fashion-cdcgan": report(9.0, 0.9)}) == ""
