"""Class-conditional models: layers, labelled data, training, sampling, morphing, checkpoints."""

import numpy as np
import pytest
import torch

from ganstudio.core.checkpoint import CheckpointError, restore_trainer
from ganstudio.core.config import check, preset, validate
from ganstudio.core.data import DataError, build_data_source
from ganstudio.core.data.classes import FASHION_CLASSES, balanced_labels, class_index
from ganstudio.core.data.images import ImageSource, LoadedImages
from ganstudio.core.data.toy import ring_centres
from ganstudio.core.dataset_classes import folder_unlabelled_reason, unlabelled_reason
from ganstudio.core.models.conditional import ConditionalBatchNorm, one_hot
from ganstudio.core.models.dcgan import DCGANDiscriminator, DCGANGenerator
from ganstudio.core.sampling import class_mix, snapshot_from_state
from ganstudio.core.trainer import FIXED_COLUMNS, Trainer
from tests.conftest import tiny_conditional_config, tiny_toy_config, write_idx


def toy_conditional(kind: str = "projection", **train):
    cfg = tiny_toy_config(**train)
    cfg.model.conditional = kind
    return check(cfg)


def test_conditional_batchnorm_starts_as_batchnorm_and_learns_per_class():
    cbn = ConditionalBatchNorm(6, 4, spatial=True)
    x = torch.randn(8, 6, 5, 5)
    labels = torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    out = cbn(x, one_hot(labels, 4))
    assert out.shape == (8, 6, 5, 5)
    assert torch.equal(cbn.scale, torch.ones(4, 6)) and torch.equal(cbn.shift, torch.zeros(4, 6))
    assert torch.allclose(out, torch.nn.functional.batch_norm(x, None, None, training=True), atol=1e-6)
    out[labels == 2].sum().backward()
    grads_shift = cbn.shift.grad.abs().sum(dim=1)
    assert grads_shift[2] > 0 and torch.all(grads_shift[[0, 1, 3]] == 0)  # only class 2's row moved


def test_conditional_dcgan_shapes_and_gradients():
    g = DCGANGenerator(16, 1, 28, 8, num_classes=10)
    d = DCGANDiscriminator(1, 28, 8, num_classes=10, conditional="projection")
    labels = torch.arange(6) % 10
    x = g(torch.randn(6, 16), one_hot(labels, 10))
    assert x.shape == (6, 1, 28, 28)
    logits = d(x, labels)
    assert logits.shape == (6,)
    logits.sum().backward()
    assert d.class_head.embed.weight.grad[labels].abs().sum() > 0  # the projection term reaches the embedding
    assert d.class_head.embed.weight.grad[9].abs().sum() == 0  # a class not in the batch gets nothing
    assert all(p.grad is not None for p in g.parameters() if p.requires_grad and p.dim() > 0)
    acgan = DCGANDiscriminator(1, 28, 8, num_classes=10, conditional="acgan")
    assert acgan(x.detach(), labels).shape == (6, 11)  # realness then the ten class logits
    concat = DCGANDiscriminator(1, 28, 8, num_classes=10, conditional="concat")
    assert concat.body[0].in_channels == 11 and concat(x.detach(), labels).shape == (6,)
    with pytest.raises(ValueError, match="class-conditional"):
        g(torch.randn(2, 16))


def test_balanced_labels_and_class_draws():
    g = torch.Generator().manual_seed(0)
    counts = torch.bincount(balanced_labels(64, 10, g, torch.device("cpu")), minlength=10)
    assert counts.max() - counts.min() <= 1 and counts.sum() == 64
    images = np.stack([np.full((1, 4, 4), 10 * c, dtype=np.uint8) for c in (0, 1, 2, 2, 1, 0)])
    source = ImageSource(
        LoadedImages(images, "six", labels=np.array([0, 1, 2, 2, 1, 0]), class_names=("a", "b", "c")),
        4,
        1,
        torch.device("cpu"),
    )
    wanted = torch.tensor([2, 0, 1, 2, 2, 0])
    drawn = source.sample_classes(wanted, g)
    pixel_class = ((drawn[:, 0, 0, 0] + 1) * 127.5).round() / 10
    assert torch.equal(pixel_class.long(), wanted)
    assert class_index("b", source.class_names) == 1 and class_index("2", source.class_names) == 2


def test_data_sources_carry_classes(tmp_path):
    cpu = torch.device("cpu")
    fashion = build_data_source(preset("fashion-cdcgan").data, cpu, labelled=True)
    assert fashion.class_names == FASHION_CLASSES and fashion.num_classes == 10
    ring = build_data_source(preset("ring-8").data, cpu, labelled=True)
    assert ring.num_classes == 8
    from PIL import Image

    for name in ("cats", "dogs"):
        (tmp_path / "tree" / name).mkdir(parents=True)
        Image.new("L", (8, 8), 40).save(tmp_path / "tree" / name / "a.png")
    (tmp_path / "flat").mkdir()
    Image.new("L", (8, 8), 40).save(tmp_path / "flat" / "a.png")
    cfg = preset("fashion-cdcgan").data
    cfg.dataset, cfg.path = "image-folder", str(tmp_path / "tree")
    assert build_data_source(cfg, cpu, labelled=True).class_names == ("cats", "dogs")
    assert folder_unlabelled_reason(cfg.path) == ""
    cfg.path = str(tmp_path / "flat")
    with pytest.raises(DataError, match="flat folder"):
        build_data_source(cfg, cpu, labelled=True)
    assert "flat folder" in folder_unlabelled_reason(cfg.path)  # what the setup form greys the choice with
    assert unlabelled_reason("fashion-mnist") == ""
    assert unlabelled_reason("spiral").startswith("spiral has no classes")


def test_fashion_mnist_full_without_its_labels_file_says_why_it_has_no_classes(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((20, 28, 28)))
    reason = unlabelled_reason("fashion-mnist-full", str(tmp_path))
    assert reason == f"no train-labels-idx1-ubyte file beside the images in {tmp_path}"
    cfg = preset("fashion-cdcgan").data
    cfg.dataset, cfg.path = "fashion-mnist-full", str(tmp_path)
    with pytest.raises(DataError, match=reason):  # the loader refuses a conditional run in the same words
        build_data_source(cfg, torch.device("cpu"), labelled=True)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.arange(20) % 10)
    assert unlabelled_reason("fashion-mnist-full", str(tmp_path)) == ""
    assert build_data_source(cfg, torch.device("cpu"), labelled=True).num_classes == 10


def test_options_that_cannot_combine_are_refused_by_name():
    cfg = preset("fashion-cdcgan")
    cfg.model.pack = 2
    assert any("PacGAN" in reason for name, reason in validate(cfg) if name == "model.conditional")
    spiral = preset("ring-8-conditional")
    spiral.data.dataset = "spiral"
    assert any("spiral has no classes" in reason for _name, reason in validate(spiral))
    cfg = preset("fashion-cdcgan")
    cfg.model.conditional = "class"
    assert any(name == "model.conditional" for name, _ in validate(cfg))


def test_labels_reach_d_for_reals_and_fakes_and_reals_are_of_those_classes():
    trainer = Trainer(toy_conditional(batch_size=32))
    calls = []
    hook = trainer.D.register_forward_pre_hook(lambda _m, args: calls.append((args[0].detach(), args[1].clone())))
    trainer.discriminator_step()
    hook.remove()
    (real, real_labels), (_fake, fake_labels) = calls
    assert torch.equal(real_labels, fake_labels)  # fakes judged with the labels G was given
    centres = ring_centres()
    assert torch.linalg.norm(real - centres[real_labels], dim=1).max() < 0.1  # each real point is of its class
    assert torch.bincount(real_labels, minlength=8).min() == 4  # 32 labels over 8 classes: balanced


@pytest.mark.parametrize("kind", ["projection", "concat", "acgan"])
def test_tiny_conditional_run_separates_classes(kind):
    trainer = Trainer(toy_conditional(kind, batch_size=64))
    for _ in range(30):
        trainer.step()
    z = torch.randn(16, trainer.config.model.latent_dim, generator=torch.Generator().manual_seed(1))
    a = trainer.sample(z, torch.zeros(16, dtype=torch.long))
    b = trainer.sample(z, torch.full((16,), 4, dtype=torch.long))
    assert (a - b).abs().mean() > 1e-3
    assert all(np.isfinite(s.loss_d) for s in trainer.drain_stats())
    with pytest.raises(ValueError, match="needs the class"):
        trainer.sample(z)


def test_fixed_samples_are_one_row_per_class_with_shared_styles():
    trainer = Trainer(tiny_conditional_config())
    trainer.step()
    images = trainer.fixed_samples()
    assert images.shape == (10 * FIXED_COLUMNS, 1, 28, 28)
    noise = trainer.fixed_noise.reshape(10, FIXED_COLUMNS, -1)
    assert torch.equal(noise[0], noise[7])  # a column is one style in every class
    assert torch.equal(trainer.fixed_labels.reshape(10, FIXED_COLUMNS)[:, 0], torch.arange(10))


def test_morph_endpoints_are_the_pure_classes():
    trainer = Trainer(tiny_conditional_config())
    for _ in range(3):
        trainer.step()
    snapshot = snapshot_from_state(trainer.state_dict())
    z = torch.randn(3, trainer.config.model.latent_dim)
    assert np.array_equal(snapshot.images_mixed(z, class_mix(2, 8, 0.0, 10)), snapshot.images(z, 2))
    assert np.array_equal(snapshot.images_mixed(z, class_mix(2, 8, 1.0, 10)), snapshot.images(z, 8))
    halfway = snapshot.generate_mixed(z, class_mix(2, 8, 0.5, 10))
    assert not torch.equal(halfway, snapshot.generate(z, 2)) and not torch.equal(halfway, snapshot.generate(z, 8))
    assert snapshot.class_names == FASHION_CLASSES


def test_checkpoint_classes_must_match_the_data():
    trainer = Trainer(tiny_conditional_config())
    trainer.step()
    state = trainer.state_dict()
    assert state["class_names"] == list(FASHION_CLASSES)
    restore_trainer(Trainer(tiny_conditional_config()), state)
    state["class_names"] = ["Sneaker", *FASHION_CLASSES[1:]]
    with pytest.raises(CheckpointError, match=r"classes .* are not the data's"):
        restore_trainer(Trainer(tiny_conditional_config()), state)
    state["class_names"] = []
    with pytest.raises(CheckpointError, match="class names do not match"):
        snapshot_from_state(state)


@pytest.mark.parametrize(
    "overrides",
    [
        {"loss.kind": "wgan-gp"},
        {"loss.r1_gamma": 1.0},
        {"train.unrolled_steps": 2},
        {"train.instance_noise": 0.1},
        {"model.minibatch_std": True},
        {"model.spectral_norm": True},
        {"train.ema_decay": 0.9},
        {"loss.label_smoothing": 0.1},
        {"loss.kind": "hinge"},
        {"loss.kind": "wgan", "train.k": 2},
    ],
)
def test_every_remedy_trains_with_classes(overrides):
    cfg = tiny_toy_config(batch_size=16)
    cfg.model.conditional = "acgan" if "train.ema_decay" in overrides else "projection"
    for key, value in overrides.items():
        section, name = key.split(".")
        setattr(getattr(cfg, section), name, value)
    trainer = Trainer(check(cfg))
    for _ in range(2):
        trainer.step()
    assert all(np.isfinite([s.loss_d, s.loss_g]).all() for s in trainer.drain_stats())
