"""Semi-supervised learning (issue 19): what reaches D's loss, the K+1 loss itself, and a tiny run that learns."""

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ganstudio.core.config import ConfigError, check
from ganstudio.core.data import load_images
from ganstudio.core.data.errors import DataError
from ganstudio.core.semi.baseline import (
    MeasuredBaseline,
    baseline_updates,
    read_baseline,
    train_baseline,
    write_baseline,
)
from ganstudio.core.semi.data import held_out_split, labelled_subset, seen_in_training, semi_data
from ganstudio.core.semi.loss import class_imbalance, semi_d_loss
from ganstudio.core.semi.report import BASELINE_FILE
from ganstudio.core.semi.trainer import SemiTrainer
from tests.conftest import tiny_image_config, write_idx

CPU = torch.device("cpu")


def semi_config(**train):
    cfg = tiny_image_config(labelled_per_class=3, batch_size=16, **train)
    cfg.loss.feature_matching = True
    cfg.model.d_dropout = 0.2
    return check(cfg)


def test_held_out_split_is_fixed_and_class_balanced_and_apart_from_training():
    cfg = semi_config()
    loaded = load_images(cfg.data)
    train, held, split = held_out_split(loaded, cfg.data)
    assert (len(train.images), len(held.images)) == (8000, 2000)
    assert np.bincount(held.labels).tolist() == [200] * 10
    assert "8,000 / 2,000" in split
    again = held_out_split(load_images(cfg.data), cfg.data)[1]
    assert np.array_equal(again.images, held.images)  # the same for every run and seed
    train_rows = {row.tobytes() for row in train.images}
    assert sum(row.tobytes() in train_rows for row in held.images) < 5  # only the data's own duplicates


def test_labelled_subset_is_class_balanced_fixed_by_the_seed_and_refuses_too_many():
    labels = load_images(semi_config().data).labels
    a = labelled_subset(labels, 7, seed=1, class_names=tuple("abcdefghij"))
    assert np.bincount(labels[a]).tolist() == [7] * 10
    assert np.array_equal(a, labelled_subset(labels, 7, seed=1, class_names=tuple("abcdefghij")))
    assert not np.array_equal(a, labelled_subset(labels, 7, seed=2, class_names=tuple("abcdefghij")))
    with pytest.raises(DataError, match=r"fewer than train\.labelled_per_class"):
        labelled_subset(labels, 1001, seed=1, class_names=tuple("abcdefghij"))


def _trained_weights(train_part, subset, held, split, cfg):
    data = semi_data(train_part, subset, held, split, cfg.data, CPU)
    assert data.unlabelled.labels is None  # the unlabelled source holds no label at all
    trainer = SemiTrainer(cfg, semi=data)
    for _ in range(4):
        trainer.step()
    return trainer.D.state_dict()


def test_no_label_outside_the_subset_reaches_the_loss():
    """Every training label outside the labelled subset scrambled: training is bit-identical."""
    cfg = semi_config()
    train_part, held, split = held_out_split(load_images(cfg.data), cfg.data)
    subset = labelled_subset(train_part.labels, 3, cfg.train.seed, train_part.class_names)
    scrambled_labels = np.random.default_rng(0).permutation(train_part.labels)
    scrambled_labels[subset] = train_part.labels[subset]
    assert (scrambled_labels != train_part.labels).mean() > 0.5
    scrambled = replace(train_part, labels=scrambled_labels)
    honest = _trained_weights(train_part, subset, held, split, cfg)
    blind = _trained_weights(scrambled, subset, held, split, cfg)
    assert all(torch.equal(honest[k], blind[k]) for k in honest)
    changed = labelled_subset(scrambled_labels, 3, cfg.train.seed + 1, train_part.class_names)
    other = _trained_weights(train_part, changed, held, split, cfg)  # the test can fail: subset labels matter
    assert not all(torch.equal(honest[k], other[k]) for k in honest)


def test_k_plus_one_loss_equals_a_hand_computation():
    labelled = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]])
    targets = torch.tensor([0, 1])
    unlabelled = torch.tensor([[1.0, 1.0, 1.0], [-2.0, 0.0, 0.0]])
    fake = torch.tensor([[0.0, 0.0, 0.0], [-3.0, -3.0, -3.0]])

    def log_softmax(row, i):
        return row[i] - math.log(sum(math.exp(v) for v in row))

    def d_of(row):  # D(x) = Z / (Z + 1), the fake class's logit fixed at 0
        z = sum(math.exp(v) for v in row)
        return z / (z + 1)

    supervised = -(log_softmax([2.0, 0.0, -1.0], 0) + log_softmax([0.5, 0.5, 3.0], 1)) / 2
    real_term = -(math.log(d_of([1.0, 1.0, 1.0])) + math.log(d_of([-2.0, 0.0, 0.0]))) / 2
    fake_term = -(math.log(1 - d_of([0.0, 0.0, 0.0])) + math.log(1 - d_of([-3.0, -3.0, -3.0]))) / 2
    got = semi_d_loss(labelled, targets, unlabelled, fake).item()
    assert got == pytest.approx(supervised + real_term + fake_term, rel=1e-6)
    assert F.cross_entropy(labelled, targets).item() == pytest.approx(supervised, rel=1e-6)
    # the class-balance term: KL of the unlabelled batch's mean class guess from uniform
    rows = [[1.0, 1.0, 1.0], [-2.0, 0.0, 0.0]]
    mean = [sum(math.exp(log_softmax(row, k)) for row in rows) / 2 for k in range(3)]
    imbalance = sum(m * math.log(3 * m) for m in mean)
    balanced = semi_d_loss(labelled, targets, unlabelled, fake, balance=0.5).item()
    assert balanced == pytest.approx(supervised + real_term + fake_term + 0.5 * imbalance, rel=1e-6)


def test_class_imbalance_is_zero_for_an_even_spread_and_log_k_for_one_class():
    assert class_imbalance(torch.eye(4) * 30).item() == pytest.approx(0.0, abs=1e-6)
    assert class_imbalance(torch.tensor([[30.0, 0, 0, 0]] * 5)).item() == pytest.approx(math.log(4), rel=1e-5)


def test_a_tiny_semi_supervised_run_beats_chance_on_the_held_out_split():
    cfg = tiny_image_config(labelled_per_class=10, batch_size=32, steps=20)
    cfg.loss.feature_matching = True
    trainer = SemiTrainer(check(cfg))
    for _ in range(cfg.train.steps):
        trainer.step()
    report = trainer.held_out_report()
    assert report.accuracy > 0.25, report.accuracy  # chance is 0.1 (2,000 images: +- 0.007)
    assert sum(map(sum, report.confusion)) == 2000
    assert "held-out 2,000" in report.split


def test_the_baseline_trains_the_same_d_on_the_labels_alone_and_round_trips(tmp_path, monkeypatch):
    from ganstudio.core.semi import baseline

    monkeypatch.setattr(baseline, "PROGRESS_INTERVAL_S", 1e9)  # paced by time: every 10 updates was 100 a second
    cfg = semi_config(steps=20)
    seen = []
    report = train_baseline(cfg, progress=lambda step, total: seen.append((step, total)))
    assert seen == [(20, 20)] and 0 <= report.accuracy <= 1
    assert read_baseline(tmp_path) is None
    write_baseline(tmp_path, MeasuredBaseline(report, baseline_updates(cfg)))
    measured = read_baseline(tmp_path)
    assert measured.report == report and measured.compares_with(20 * cfg.train.k)
    assert not measured.compares_with(40 * cfg.train.k)  # the run was continued: the baseline trained for half of it
    (tmp_path / BASELINE_FILE).write_text("{not json", encoding="utf-8")
    assert read_baseline(tmp_path) is None


def test_a_baseline_of_a_runs_first_steps_trains_them_as_the_run_did_under_its_schedule():
    """Measured against a run stopped at step 10 of 20, it trained a run of 10 steps, its learning rate decayed over
    the last of those where the run's had not begun to fall."""
    import torch

    from ganstudio.core.semi.baseline import baseline_discriminator

    decayed = semi_config(steps=20)
    decayed.optim.lr_decay = 0.5  # over steps 10 to 20: none of the first 10
    flat = semi_config(steps=20)
    first, _, _ = baseline_discriminator(decayed, steps=10)
    same, _, _ = baseline_discriminator(flat, steps=10)
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), same.state_dict().values(), strict=True))
    whole, _, _ = baseline_discriminator(decayed)  # its last 10 steps decayed: the schedule is the run's, not none
    undecayed, _, _ = baseline_discriminator(flat)
    assert not all(
        torch.equal(a, b) for a, b in zip(whole.state_dict().values(), undecayed.state_dict().values(), strict=True)
    )


def test_the_baseline_trains_in_the_runs_precision():
    """Measured against a run in bf16, a baseline in fp32 would differ by more than its labels."""
    from ganstudio.core.semi.baseline import baseline_discriminator

    def weights(autocast):
        cfg = semi_config(steps=5)
        cfg.perf.autocast = autocast
        D = baseline_discriminator(check(cfg))[0]
        return torch.cat([p.detach().flatten() for p in D.parameters()])

    full, bf16 = weights("off"), weights("bf16")
    assert torch.equal(full, weights("off"))
    assert not torch.equal(full, bf16)
    torch.testing.assert_close(bf16, full, rtol=0.1, atol=0.05)  # the same training, in another precision


def test_a_run_with_adaptive_augmentation_trains_but_has_no_baseline_to_be_measured_against():
    """Its p follows the run's D: a baseline with its own p, or none, would not be the same augmentation.
    The config itself stays valid, so such runs (older ones too) open, continue and score."""
    cfg = semi_config(steps=3, augment_translation=True, augment_adaptive=True)
    trainer = SemiTrainer(check(cfg))
    trainer.step()
    with pytest.raises(ValueError, match="no fair supervised baseline for a run with adaptive augmentation"):
        train_baseline(cfg)


def test_the_baseline_stops_when_asked():
    from ganstudio.core.semi.stopped import Stopped

    with pytest.raises(Stopped):
        train_baseline(semi_config(steps=1000), should_stop=lambda: True)


@pytest.mark.parametrize(
    ("setting", "value", "field"),
    [
        ("model.conditional", "projection", "train.labelled_per_class"),
        ("loss.kind", "wgan-gp", "train.labelled_per_class"),
        ("model.arch", "mlp", "train.labelled_per_class"),
        ("data.limit", 2000, "train.labelled_per_class"),
    ],
)
def test_combinations_that_cannot_work_are_refused_by_name(setting, value, field):
    cfg = semi_config()
    section, name = setting.split(".")
    setattr(getattr(cfg, section), name, value)
    with pytest.raises(ConfigError) as refused:
        check(cfg)
    assert field in [problem[0] for problem in refused.value.problems]


def test_class_balance_without_labels_is_refused_by_name():
    cfg = tiny_image_config()
    cfg.loss.class_balance = 1.0
    with pytest.raises(ConfigError) as refused:
        check(cfg)
    assert [name for name, _ in refused.value.problems] == ["loss.class_balance"]
    assert "set it to 0 for an ordinary GAN" in refused.value.problems[0][1]  # not: undo turning semi off
    cfg.train.labelled_per_class = 3
    cfg.loss.feature_matching = True
    check(cfg)


def test_feature_matching_trains_an_unconditional_dcgan_and_is_refused_for_a_conditional_one():
    from ganstudio.core.trainer import Trainer

    cfg = tiny_image_config(steps=3)
    cfg.loss.feature_matching = True
    trainer = Trainer(check(cfg))
    for _ in range(3):
        trainer.step()
    assert all(math.isfinite(s.loss_g) for s in trainer.drain_stats())
    cfg.model.conditional = "projection"
    with pytest.raises(ConfigError, match=r"loss\.feature_matching"):
        check(cfg)


def test_training_images_are_recognised_in_the_full_set_without_reading_its_test_split(tmp_path, monkeypatch):
    images = np.arange(40 * 28 * 28).reshape(40, 28, 28) % 251
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.arange(40) % 10)
    monkeypatch.setattr("ganstudio.core.paths.DEBIAN_FASHION_DIR", tmp_path)  # no t10k files beside them
    cfg = semi_config()
    cfg.data.dataset = "fashion-mnist-full"
    others = np.full((3, 28, 28), 7)
    seen = seen_in_training(cfg, np.concatenate([images[:5], others]).astype(np.uint8)[:, None])
    assert seen.tolist() == [True] * 5 + [False] * 3


@pytest.mark.parametrize("count, kind", [(0, 8), (4, 0x0D)], ids=["no image", "float pixels"])
def test_a_test_split_of_no_image_or_of_other_pixels_is_refused_in_words(tmp_path, count, kind):
    """An empty t10k file was numpy's "zero-size array to reduction operation" as an internal error."""
    from ganstudio.core.semi.data import official_test_split

    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((20, 28, 28), np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.arange(20) % 10)
    pixels = np.zeros((count, 28, 28), np.dtype(">f4") if kind == 0x0D else np.uint8)
    header = bytes([0, 0, kind, 3]) + b"".join(n.to_bytes(4, "big") for n in pixels.shape)
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(header + pixels.tobytes())
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.arange(count) % 10)
    with pytest.raises(DataError, match="not one class from 0 to 9 per image"):
        official_test_split(str(tmp_path))


def test_more_labels_a_class_than_a_fashion_set_has_is_refused_before_its_data_is_read():
    """The form could not say it: the count came with the data, on Start, as a dialog."""
    cfg = semi_config()
    cfg.train.labelled_per_class = 801
    with pytest.raises(ConfigError) as refused:
        check(cfg)
    assert refused.value.problems == [
        ("train.labelled_per_class", "the fashion-mnist training images are 800 a class; give at most that many")
    ]
    cfg.train.labelled_per_class = 800
    check(cfg)
    cfg.data.dataset = "fashion-mnist-full"
    cfg.train.labelled_per_class = 6000
    check(cfg)
