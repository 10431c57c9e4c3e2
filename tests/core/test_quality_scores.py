"""The quality scores on small hand-made feature sets whose answers can be worked out by hand."""

import math

import pytest
import torch

from ganstudio.core.quality.scores import (
    QualityReport,
    density_coverage,
    frechet_distance,
    kernel_distance,
    knn_radii,
    memorisation,
    precision_recall,
    score_features,
)


def line(*values):
    return torch.tensor([[float(v)] for v in values], dtype=torch.float64)


def test_knn_radii_skip_the_point_itself():
    points = line(0, 1, 3, 7)
    assert knn_radii(points, 1).tolist() == [1, 1, 2, 4]
    assert knn_radii(points, 2).tolist() == [3, 2, 3, 6]


def test_precision_recall_by_hand():
    real = line(*range(10))  # k = 1: every real ball has radius 1
    fake = line(0.5, 100)  # one fake inside the real manifold, one far away
    precision, recall = precision_recall(real, fake, k=1)
    assert precision == 0.5
    assert recall == 1.0  # each fake's ball has radius 99.5 and the one at 0.5 holds every real point


def test_density_coverage_by_hand():
    real = line(*range(10))
    density, coverage = density_coverage(real, line(0.5), k=1)
    assert density == 2.0  # inside the balls of 0 and 1, divided by k * M = 1
    assert coverage == pytest.approx(0.2)  # the reals 0 and 1 have a fake in their ball


def test_a_collapsed_generator_loses_recall_and_coverage():
    g = torch.Generator().manual_seed(0)
    real = torch.randn(600, 8, generator=g, dtype=torch.float64)
    same = torch.randn(600, 8, generator=g, dtype=torch.float64)
    collapsed = real[:1].repeat(600, 1)
    p, r = precision_recall(real, same)
    d, c = density_coverage(real, same)
    assert p > 0.75 and r > 0.75 and 0.7 < d < 1.3 and c > 0.9
    p, r = precision_recall(real, collapsed)
    d, c = density_coverage(real, collapsed)
    assert p == 1.0 and r < 0.02 and c < 0.02


def test_frechet_distance_of_a_shift_is_its_squared_length():
    real = torch.randn(400, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    shift = torch.tensor([3.0, 0.0, 4.0, 0.0, 0.0], dtype=torch.float64)
    assert frechet_distance(real, real) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(real, real + shift) == pytest.approx(25.0, rel=1e-6)  # same covariance


def test_kid_is_near_zero_for_one_distribution_and_grows_with_a_shift():
    g = torch.Generator().manual_seed(2)
    real, other = (torch.randn(300, 4, generator=g, dtype=torch.float64) for _ in range(2))
    same, _ = kernel_distance(real, other, subsets=10)
    near, _ = kernel_distance(real, other + 0.5, subsets=10)
    far, _ = kernel_distance(real, other + 2.0, subsets=10)
    assert abs(same) < 0.05 * near and far > 10 * near


def test_kid_has_a_spread_when_there_are_few_images():
    """1,000 samples (the semi-supervised presets' quality.samples): subsets of all of them are one subset."""
    g = torch.Generator().manual_seed(6)
    real, fake = (torch.randn(600, 4, generator=g, dtype=torch.float64) for _ in range(2))
    _, std = kernel_distance(real, fake + 0.3, subsets=10)
    assert std > 1e-6


def test_memorisation_spots_copies():
    g = torch.Generator().manual_seed(3)
    train = torch.randn(300, 6, generator=g, dtype=torch.float64)
    held_out = torch.randn(300, 6, generator=g, dtype=torch.float64)
    ratio, fraction = memorisation(train, held_out, train[:200] + 1e-4)
    assert ratio < 0.01 and fraction == 1.0
    ratio, fraction = memorisation(train, held_out, torch.randn(300, 6, generator=g, dtype=torch.float64))
    assert 0.8 < ratio < 1.25 and fraction < 0.05


def test_a_report_round_trips_through_its_record():
    g = torch.Generator().manual_seed(4)
    real, fake, train = (torch.randn(120, 3, generator=g, dtype=torch.float64) for _ in range(3))
    report = score_features(real, fake, train)
    again = QualityReport.from_record(report.to_record())
    assert again.samples == 120 and math.isclose(again.frechet, report.frechet, rel_tol=1e-5)
    assert again.inception_fid is None and report.is_finite()


@pytest.mark.parametrize("k", [3, 5])
def test_precision_recall_density_coverage_match_the_prdc_package(k):
    """prdc (Naeem et al. 2020's own code) on a fixed sample: a shifted, narrower fake cloud."""
    import prdc  # the test extra installs it

    generator = torch.Generator().manual_seed(21)
    real = torch.randn(300, 8, generator=generator, dtype=torch.float64)
    fake = 0.7 * torch.randn(250, 8, generator=generator, dtype=torch.float64) + 0.4
    reference = prdc.compute_prdc(real_features=real.numpy(), fake_features=fake.numpy(), nearest_k=k)
    precision, recall = precision_recall(real, fake, k=k)
    density, coverage = density_coverage(real, fake, k=k)
    ours = {"precision": precision, "recall": recall, "density": density, "coverage": coverage}
    assert ours == pytest.approx({name: float(reference[name]) for name in ours}, abs=1e-6)  # ours sums in float32
    assert min(ours.values()) > 0.0 and max(precision, recall, coverage) < 1.0  # no answer is trivially 0 or 1
