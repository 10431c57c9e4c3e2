import itertools
import math

import numpy as np
import pytest
import torch

from ganstudio.core.augment import ADJUST_IMAGES, ADJUST_INTERVAL, TRANSFORMS, Augmenter, AugmentSettings
from ganstudio.core.config import validate
from ganstudio.core.data.images import bundled_fashion
from ganstudio.core.data.subset import limit_images, subset_indices
from ganstudio.core.stats import StepStats
from ganstudio.core.trainer import Trainer
from tests.conftest import tiny_image_config


def images(n: int = 6, channels: int = 3, side: int = 16, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, channels, side, side, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_each_augmentation_is_differentiable(name):
    x = images().requires_grad_(True)
    out = TRANSFORMS[name](x, torch.Generator().manual_seed(1))
    out.square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


@pytest.mark.parametrize("name", ["translation", "cutout"])
def test_translation_and_cutout_keep_shape_and_value_range(name):
    x = images(n=32, channels=1, side=28)
    out = TRANSFORMS[name](x, torch.Generator().manual_seed(2))
    assert out.shape == x.shape and out.dtype == x.dtype
    assert out.min() >= -1 and out.max() <= 1  # filled with 0, mid grey, which lies inside [-1, 1]
    assert not torch.equal(out, x)
    channels_last = TRANSFORMS[name](x.contiguous(memory_format=torch.channels_last), torch.Generator().manual_seed(2))
    assert torch.equal(channels_last, out)


def test_cutout_holes_are_half_the_side_and_translation_moves_content():
    x = torch.ones(16, 1, 28, 28)
    holes = (TRANSFORMS["cutout"](x, torch.Generator().manual_seed(3)) == 0).sum(dim=(1, 2, 3))
    assert holes.max() == 14 * 14 and holes.min() > 0  # a hole at the edge is partly outside the image
    shifted = TRANSFORMS["translation"](x, torch.Generator().manual_seed(3))
    border = (shifted == 0).sum(dim=(1, 2, 3))
    assert border.max() <= 28 * 28 - 24 * 24 and border.max() > 0  # at most 4 px (1/8 of 28, rounded) each way


def test_real_and_fake_batches_go_through_the_same_transform_draws():
    """The augmenter knows nothing of real or fake: the same generator state gives the same transforms."""
    aug = Augmenter(
        AugmentSettings(("translation", "cutout", "brightness", "contrast"), False, 0.6, 0.8), torch.device("cpu")
    )
    x = images()
    assert torch.equal(aug(x, torch.Generator().manual_seed(5)), aug(x.clone(), torch.Generator().manual_seed(5)))


class Recording:
    """The trainer's real Augmenter, recording what it is given."""

    def __init__(self, augment: Augmenter):
        self.augment, self.calls = augment, []

    def __call__(self, x, generator):
        self.calls.append((tuple(x.shape), x.requires_grad))
        return self.augment(x, generator)

    def __getattr__(self, name):
        return getattr(self.augment, name)


def test_every_image_d_sees_is_augmented_and_g_samples_never_are():
    t = Trainer(tiny_image_config(augment_translation=True, augment_cutout=True))
    t.augment = recording = Recording(t.augment)
    t.step()
    shapes = [shape for shape, _ in recording.calls]
    # D's step: the real and the fake batch; G's step: the fake batch, through which G's gradient flows
    assert shapes == [(8, 1, 28, 28)] * 3 and recording.calls[2][1]
    recording.calls.clear()
    grid = t.fixed_samples()
    spread = t.sample_spread(torch.randn(16, 8))  # what quality scores and the explorer see
    assert recording.calls == []
    assert grid.shape == (64, 1, 28, 28) and spread.shape == (16, 1, 28, 28)


def test_scores_see_g_output_unaugmented():
    """measure_quality scores trainer.sample_spread; with cutout on every call it returns G's own output."""
    cfg = tiny_image_config(augment_cutout=True)
    t = Trainer(cfg)
    z = torch.randn(32, 8, generator=torch.Generator().manual_seed(0))
    t.G.eval()
    with torch.no_grad():
        direct = t.G(z)
    assert torch.equal(t.sample_spread(z), direct)
    assert ((direct == 0).flatten(1).sum(1) < 14 * 14).all()  # no cutout hole in any sample


def adaptive(cap: float = 0.8) -> Augmenter:
    return Augmenter(AugmentSettings(("translation",), True, 0.6, cap), torch.device("cpu"))


def test_adaptive_p_rises_on_an_overfitting_d_is_capped_and_falls_back():
    aug = adaptive(cap=0.3)
    seen = []
    for _ in range(2000):  # D sure of every real image: r_t = 1
        aug.observe(torch.full((64,), 4.0))
        aug.end_step()
        seen.append(float(aug.p))
    assert seen[ADJUST_INTERVAL - 2] == 0 and seen[ADJUST_INTERVAL - 1] > 0  # adjusted every ADJUST_INTERVAL steps
    assert all(b >= a for a, b in itertools.pairwise(seen)) and max(seen) == pytest.approx(0.3)
    for _ in range(2000):  # D no longer overfits: half its reals judged fake, r_t = 0
        aug.observe(torch.tensor([4.0, -4.0] * 32))
        aug.end_step()
    assert float(aug.p) == 0


@pytest.mark.parametrize("d_steps", [1, 5])
def test_p_moves_by_the_real_images_d_saw(d_steps):
    """ADJUST_IMAGES real images take p from 0 to 1 whatever k is: with k D steps a step, D sees k
    batches a step and p moves k times as far each adjustment."""
    aug = adaptive(cap=1.0)
    for _ in range(ADJUST_INTERVAL):
        for _ in range(d_steps):
            aug.observe(torch.full((64,), 4.0))
        aug.end_step()
    assert float(aug.p) == pytest.approx(ADJUST_INTERVAL * d_steps * 64 / ADJUST_IMAGES)


def test_a_pacgan_d_counts_the_images_in_its_packs():
    """Packs of 4: a quarter as many logits, each for 4 images; p moves by images, as without packs."""
    packed, plain = adaptive(cap=1.0), adaptive(cap=1.0)
    for _ in range(ADJUST_INTERVAL):
        packed.observe(torch.full((16,), 4.0), images_per_logit=4)
        plain.observe(torch.full((64,), 4.0))
        packed.end_step()
        plain.end_step()
    assert float(packed.p) == float(plain.p) > 0


def test_a_pacgan_run_tells_its_augmenter_the_pack_size():
    t = Trainer(tiny_image_config(augment_translation=True, augment_adaptive=True, augment_target=0.01))
    packed_cfg = tiny_image_config(augment_translation=True, augment_adaptive=True, augment_target=0.01)
    packed_cfg.model.pack = 2
    packed = Trainer(packed_cfg)
    t.discriminator_step()
    packed.discriminator_step()
    assert packed.augment._seen == t.augment._seen == t.config.train.batch_size


def test_ranks_pool_their_signs_and_counts_into_one_p():
    """Under torchrun each rank sees its own share of the batch; pooled (as RankGroup.total sums them),
    two ranks on opposite sides of the target move p as one process seeing both halves would."""
    sure, unsure = torch.full((32,), 4.0), torch.tensor([4.0, 4.0, 4.0, -4.0] * 8)  # r_t 1 and 0.5
    alone = adaptive(cap=1.0)
    rank_0, rank_1 = adaptive(cap=1.0), adaptive(cap=1.0)
    rank_0.pool = lambda local: local + ADJUST_INTERVAL * torch.tensor([float(torch.sign(unsure).sum()), 32.0])
    rank_1.pool = lambda local: local + ADJUST_INTERVAL * torch.tensor([float(torch.sign(sure).sum()), 32.0])
    for _ in range(ADJUST_INTERVAL):
        alone.observe(torch.cat([sure, unsure]))
        rank_0.observe(sure)
        rank_1.observe(unsure)
        for aug in (alone, rank_0, rank_1):
            aug.end_step()
    assert float(alone.p) > 0  # r_t = 0.75 over both halves, above the 0.6 target
    assert float(rank_0.p) == float(rank_1.p) == float(alone.p)


def test_p_reaches_the_stats_and_metrics_records_only_when_adaptive():
    t = Trainer(tiny_image_config(augment_translation=True, augment_adaptive=True, augment_target=0.01))
    for _ in range(2 * ADJUST_INTERVAL):
        t.step()
    stats = t.drain_stats()
    assert all(0 <= s.augment_p <= 0.8 for s in stats)
    assert StepStats.from_record(stats[-1].to_record()) == stats[-1]
    plain = StepStats(1, 1.0, 1.0, 0.5, 0.5, 1.0, 1.0, 0.1)
    assert "augment_p" not in plain.to_record() and math.isnan(StepStats.from_record(plain.to_record()).augment_p)


def test_an_adaptive_run_resumes_bit_for_bit():
    """Stopped between two adjustments of p: the partial r_t sum travels in the state too."""
    cfg = tiny_image_config(augment_translation=True, augment_cutout=True, augment_adaptive=True, augment_target=0.01)
    straight = Trainer(cfg)
    for _ in range(10):
        straight.step()
    first = Trainer(cfg)
    for _ in range(5):
        first.step()
    resumed = Trainer(cfg)
    resumed.load_state_dict(first.state_dict())
    for _ in range(5):
        resumed.step()
    expected = [s.to_record() | {"seconds": 0} for s in straight.drain_stats()[5:]]
    assert [s.to_record() | {"seconds": 0} for s in resumed.drain_stats()] == expected
    assert expected[-1]["augment_p"] > 0


@pytest.mark.parametrize(
    "assignment, field",
    [
        ({"augment_saturation": True}, "train.augment_saturation"),
        ({"augment_adaptive": True}, "train.augment_adaptive"),
    ],
)
def test_saturation_on_grayscale_and_adaptive_without_a_transform_are_refused(assignment, field):
    assert field in dict(validate(tiny_image_config(**assignment)))


def test_data_limit_picks_the_same_class_balanced_subset_for_a_seed():
    loaded = bundled_fashion()
    assert loaded.labels is not None
    first = subset_indices(loaded.labels, len(loaded.images), 1000, seed=4)
    assert np.array_equal(first, subset_indices(loaded.labels, len(loaded.images), 1000, seed=4))
    assert not np.array_equal(first, subset_indices(loaded.labels, len(loaded.images), 1000, seed=5))
    limited = limit_images(loaded, 1005, seed=4)
    counts = np.bincount(limited.labels, minlength=10)
    assert len(limited.images) == 1005 and sorted(counts) == [100] * 5 + [101] * 5
    assert np.array_equal(limited.images, loaded.images[subset_indices(loaded.labels, 10000, 1005, 4)])


def test_a_trainer_with_data_limit_trains_on_the_subset():
    t = Trainer(_limited(500))
    assert len(t.data) == 500 and np.bincount(t.data.labels.cpu().numpy(), minlength=10).tolist() == [50] * 10


def _limited(limit: int):
    cfg = tiny_image_config()
    cfg.data.limit = limit
    return cfg


def test_scores_compare_with_the_whole_set_when_training_sees_a_subset():
    from ganstudio.core.data import scoring_set

    t = Trainer(_limited(500))
    assert scoring_set(t.data, t.config.data, t.device)[0].shape[0] == 10000
    full = Trainer(tiny_image_config())
    assert scoring_set(full.data, full.config.data, full.device)[0] is full.data.images
