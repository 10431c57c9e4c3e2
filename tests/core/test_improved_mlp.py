"""The 2016 paper's MLPs (model.arch improved-mlp): the semi-supervised presets' networks."""

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from ganstudio.core.checkpoint import save_checkpoint
from ganstudio.core.config import ConfigError, check
from ganstudio.core.models import build_models
from ganstudio.core.models.improved_mlp import D_WIDTHS
from ganstudio.core.semi.baseline import train_baseline
from ganstudio.core.semi.classifier import load_classifier
from ganstudio.core.semi.trainer import SemiTrainer
from ganstudio.core.trainer import Trainer
from tests.conftest import tiny_image_config


def improved_config(**train):
    cfg = tiny_image_config(**train)
    cfg.model.arch = "improved-mlp"
    cfg.model.width = 16
    cfg.model.d_activation = "relu"
    cfg.loss.feature_matching = True
    cfg.train.instance_noise = 0.6
    return check(cfg)


def test_d_gives_k_class_logits_and_the_last_hidden_layer_with_noise_only_while_training():
    cfg = improved_config(labelled_per_class=3)
    _, D = build_models(cfg, class_logits=10)
    x = torch.rand(5, 1, 28, 28) * 2 - 1
    assert D(x).shape == (5, 10)
    assert D.features(x).shape == (5, 16 * D_WIDTHS[-1])
    assert not torch.equal(D(x), D(x))  # the hidden layers' noise
    D.eval()
    assert torch.equal(D(x), D(x))
    _, realness = build_models(improved_config(), class_logits=0)
    assert realness(x).shape == (5,)


def test_every_layer_of_d_is_weight_normalised_starting_from_its_initial_weights():
    torch.manual_seed(0)
    _, D = build_models(improved_config(labelled_per_class=3), class_logits=10)
    linears = [m for m in D.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == len(D_WIDTHS) + 1
    for layer in linears:
        assert parametrize.is_parametrized(layer, "weight")
        original = layer.parametrizations.weight
        length, direction = original.original0, original.original1
        assert torch.allclose(length.squeeze(1), direction.norm(dim=1))
        # every row as long as any other, whatever the fan-in (N(0, 0.02) would give 0.02 sqrt(fan-in))
        assert length.mean().item() == pytest.approx(3**-0.5, rel=0.05)


def test_the_hidden_noise_comes_from_the_runs_stream_so_a_run_repeats_bit_for_bit():
    """Two runs of one seed, one of them with the global generator drawn from between steps."""
    cfg = improved_config(labelled_per_class=3, batch_size=16)
    runs = []
    for disturb in (False, True):
        torch.manual_seed(0)
        trainer = SemiTrainer(cfg)
        for _ in range(3):
            if disturb:
                torch.rand(1000)
            trainer.step()
        runs.append(trainer.D.state_dict())
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])


def test_the_baselines_noise_comes_from_its_own_stream_too():
    cfg = improved_config(labelled_per_class=3, batch_size=16, steps=30)
    quiet = train_baseline(cfg)
    disturbed = train_baseline(cfg, progress=lambda update, total: torch.rand(1000))
    assert quiet == disturbed


def test_a_tiny_semi_supervised_run_learns_and_its_checkpoint_classifies_as_it_did(tmp_path):
    cfg = improved_config(labelled_per_class=10, batch_size=32, steps=60)
    cfg.model.width = 32
    cfg.optim.lr_g = cfg.optim.lr_d = 3e-3
    trainer = SemiTrainer(cfg)
    for _ in range(cfg.train.steps):
        trainer.step()
    report = trainer.held_out_report()
    assert report.accuracy > 0.3, report.accuracy  # chance is 0.1 (2,000 images: +- 0.007)
    path = save_checkpoint(trainer.state_dict(), tmp_path / "semi.pt")
    assert load_classifier(path).held_out_report().accuracy == report.accuracy


def test_an_unsupervised_run_trains_with_feature_matching():
    trainer = Trainer(improved_config(steps=3))
    for _ in range(3):
        trainer.step()
    assert all(torch.isfinite(torch.tensor(s.loss_g)) for s in trainer.drain_stats())
    assert trainer.G(torch.randn(4, 8)).shape == (4, 1, 28, 28)


@pytest.mark.parametrize(
    ("setting", "value", "field"),
    [
        ("model.conditional", "projection", "model.conditional"),
        ("model.pack", 2, "model.pack"),
        ("model.minibatch_std", True, "model.minibatch_std"),
        ("model.spectral_norm", True, "model.spectral_norm"),
        ("train.batch_size", 1, "train.batch_size"),  # G's BatchNorm
    ],
)
def test_what_the_2016_mlp_is_not_built_for_is_refused_by_name(setting, value, field):
    cfg = improved_config()
    cfg.loss.feature_matching = False
    section, name = setting.split(".")
    setattr(getattr(cfg, section), name, value)
    with pytest.raises(ConfigError) as refused:
        check(cfg)
    assert field in [problem[0] for problem in refused.value.problems]
