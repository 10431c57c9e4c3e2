import math

import numpy as np
import pytest
import torch

from ganstudio.core.config import preset
from ganstudio.core.data.toy import GAUSSIAN_1D_MEAN, GAUSSIAN_1D_STD, ToyDistribution, gaussian_1d_quantiles
from ganstudio.core.metrics import wasserstein_1d
from ganstudio.core.session import measure_match
from ganstudio.core.trainer import Trainer

W1_MATCHED = 0.1  # a fifth of the data's std: README's threshold for "G's density is on the data's"


def test_wasserstein_1d_by_hand():
    # a point mass at 0 against half at 1, half at 3: half the mass moves 1, half moves 3
    assert wasserstein_1d(np.array([0.0]), np.array([1.0, 3.0])) == pytest.approx(2.0)
    # equal sizes: the mean distance between sorted pairs (0-1, 1-2, 3-6)
    assert wasserstein_1d(np.array([3.0, 0.0, 1.0]), np.array([6.0, 1.0, 2.0])) == pytest.approx(5 / 3)
    assert wasserstein_1d(np.array([1.0, 3.0]), np.array([0.0])) == pytest.approx(2.0)
    assert wasserstein_1d(np.array([0.5, 0.5]), np.array([0.5])) == 0.0
    assert wasserstein_1d(np.array([0.0, np.nan]), np.array([0.0])) == math.inf


def test_the_quantiles_stand_for_the_gaussian():
    q = gaussian_1d_quantiles(2500)
    assert q.mean() == pytest.approx(GAUSSIAN_1D_MEAN, abs=1e-9)
    assert q.std() == pytest.approx(GAUSSIAN_1D_STD, rel=0.01)
    samples = ToyDistribution("gaussian-1d", torch.device("cpu")).sample(20000, torch.Generator().manual_seed(0))
    assert wasserstein_1d(samples.numpy(), q) < 0.02
    assert wasserstein_1d(q + 0.3, q) == pytest.approx(0.3)


def test_the_gaussian_1d_preset_ends_on_the_data(restore_threads):
    """The whole preset, as the window runs it: G's density on the data's and D at 1/2 because of it."""
    cfg = preset("gaussian-1d")
    cfg.train.device = "cpu"
    torch.set_num_threads(cfg.perf.threads)
    trainer = Trainer(cfg)
    for _ in range(cfg.train.steps):
        trainer.step()
    match = measure_match(trainer)
    assert match.w1 < W1_MATCHED
    assert match.d_real == pytest.approx(0.5, abs=0.05) and match.d_fake == pytest.approx(0.5, abs=0.05)
    assert match.d_loss == pytest.approx(2 * math.log(2), abs=0.05)
