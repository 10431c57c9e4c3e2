"""The shipped feature network and the metrics in its space, on real Fashion-MNIST images."""

import json
import shutil

import numpy as np
import pytest
import torch

from ganstudio.core.data.images import bundled_fashion_images, bundled_fashion_labels
from ganstudio.core.quality.evaluator import QualityEvaluator, extract
from ganstudio.core.quality.feature_net import FeatureNetError, load_feature_net, sha256_of, shipped_weights
from ganstudio.core.quality.scores import score_features


@pytest.fixture(scope="module")
def net():
    return load_feature_net()


@pytest.fixture(scope="module")
def halves(net):
    """Features of two disjoint random halves (2 x 2,000) of the bundled images, and 2,000 more as training set."""
    images = torch.from_numpy(bundled_fashion_images())
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(5))
    parts = [images[order[i * 2000 : (i + 1) * 2000]] for i in range(3)]
    return [extract(net.features, part, torch.device("cpu")) for part in parts], parts


def test_the_shipped_weights_are_small_checked_and_accurate(net):
    weights, card = shipped_weights()
    assert weights.stat().st_size <= 2 * 1024 * 1024
    assert sha256_of(weights) == card["sha256"]
    assert card["train_images"] == 60000 and card["test_accuracy"] >= 0.90
    images = torch.from_numpy(bundled_fashion_images()[:2000])
    labels = torch.from_numpy(bundled_fashion_labels()[:2000].astype(np.int64))
    with torch.no_grad():
        predicted = net(images.float().div(127.5).sub(1)).argmax(1)
    assert (predicted == labels).float().mean() >= 0.88  # a slice of the 10,000 the card reports on


def test_a_tampered_weights_file_is_refused(tmp_path):
    weights, card = shipped_weights()
    copy = tmp_path / "features.pt"
    shutil.copy(weights, copy)
    assert load_feature_net(copy, card["sha256"]) is not None
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(FeatureNetError, match="SHA-256"):
        load_feature_net(copy, card["sha256"])


def test_two_halves_of_the_real_data_look_alike(halves):
    (real, other, train), _ = halves
    same = score_features(real, other, train)
    collapsed = score_features(real, other[:1].repeat(len(other), 1), train)
    assert same.frechet < 0.05 * collapsed.frechet
    assert same.precision > 0.85 and same.recall > 0.85
    assert 0.85 < same.density < 1.15
    assert 0.93 < same.coverage < 1.0
    assert 0.8 < same.memorisation_ratio < 1.25 and same.memorised_fraction < 0.05
    assert collapsed.recall < 0.05 and collapsed.coverage < 0.05


def _copier(copies):
    given = []

    def copier(z):
        start = sum(given)
        given.append(len(z))
        return copies[start : start + len(z)]

    return copier


def test_the_evaluator_catches_a_generator_that_copies_any_of_its_training_images():
    """The reference is every image G trained on: a copier scores as one whichever images it copies."""
    images = torch.from_numpy(bundled_fashion_images())
    evaluator = QualityEvaluator(images, samples=500)
    picked = torch.randperm(len(images), generator=torch.Generator().manual_seed(11))[:500]
    report = evaluator.evaluate(_copier(images[picked].float().div(127.5).sub(1)), latent_dim=4)
    assert report.samples == 500 and report.precision > 0.8 and report.coverage > 0.8
    assert report.memorised_fraction > 0.95 and report.memorisation_ratio < 0.05
    blank = evaluator.evaluate(lambda z: -torch.ones(len(z), 1, 28, 28), latent_dim=4)
    assert blank.frechet > 10 * report.frechet and blank.coverage < 0.05 and blank.memorised_fraction == 0
    assert json.dumps(report.to_record())


def test_a_set_with_exact_twins_still_catches_a_copier():
    """Twins of 10 % of the images: a real image measured to its twin is 0 away, which made the 1 %
    quantile of the real distances 0 and no copy could be closer than that."""
    images = torch.from_numpy(bundled_fashion_images())[:5000]
    twinned = torch.cat([images, images[:500]])
    evaluator = QualityEvaluator(twinned, samples=500)
    report = evaluator.evaluate(_copier(images[1000:1500].float().div(127.5).sub(1)), latent_dim=4)
    assert report.memorised_fraction > 0.95 and report.memorisation_ratio < 0.05


def test_a_limited_run_is_checked_against_the_images_it_trained_on():
    """data.limit: scored against the whole set, but a copy of its 1,000 training images is a copy."""
    images = torch.from_numpy(bundled_fashion_images())
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(12))
    trained_on = images[order[:1000]]
    evaluator = QualityEvaluator(images, samples=500, trained_on=trained_on)
    report = evaluator.evaluate(_copier(trained_on[:500].float().div(127.5).sub(1)), latent_dim=4)
    assert report.memorised_fraction > 0.95 and report.memorisation_ratio < 0.05
    honest = evaluator.evaluate(_copier(images[order[1000:1500]].float().div(127.5).sub(1)), latent_dim=4)
    assert honest.memorisation_ratio > 0.5 and honest.memorised_fraction < 0.2
