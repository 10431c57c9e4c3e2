import copy
import math

import pytest
import torch
from torch import nn

from ganstudio.core import losses
from ganstudio.core.config import LOSSES, validate
from ganstudio.core.models import build_models
from ganstudio.core.trainer import Trainer
from tests.conftest import tiny_image_config, tiny_toy_config


def params(module):
    return torch.cat([p.detach().flatten() for p in module.parameters()])


@pytest.mark.parametrize("kind", LOSSES)
@pytest.mark.parametrize("make", [tiny_toy_config, tiny_image_config])
def test_each_loss_is_finite_and_trains_both_networks(kind, make):
    cfg = make()
    cfg.loss.kind = kind
    t = Trainer(cfg)
    g0, d0 = params(t.G).clone(), params(t.D).clone()
    for _ in range(2):
        t.step()
    stats = t.drain_stats()
    assert all(s.is_finite() for s in stats)
    assert stats[-1].grad_norm_d > 0 and stats[-1].grad_norm_g > 0
    assert not torch.equal(g0, params(t.G)) and not torch.equal(d0, params(t.D))


@pytest.mark.parametrize(
    "setting",
    [
        ("model", "spectral_norm", True),
        ("model", "minibatch_std", True),
        ("model", "pack", 4),
        ("model", "d_activation", "relu"),
        ("loss", "r1_gamma", 10.0),
        ("loss", "label_smoothing", 0.1),
        ("train", "instance_noise", 0.2),
        ("train", "unrolled_steps", 3),
        ("train", "ema_decay", 0.99),
    ],
)
@pytest.mark.parametrize("make", [tiny_toy_config, tiny_image_config])
def test_each_remedy_trains(setting, make):
    cfg = make()
    section, name, value = setting
    setattr(getattr(cfg, section), name, value)
    assert validate(cfg) == []
    t = Trainer(cfg)
    for _ in range(3):
        t.step()
    assert all(s.is_finite() for s in t.drain_stats())


def test_gradient_penalty_matches_hand_computation():
    """D(x) = w . x has gradient w everywhere, so the penalty is (||w|| - 1)^2 whatever the interpolates."""
    D = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        D.weight.copy_(torch.tensor([[3.0, 4.0]]))
    real, fake = torch.randn(5, 2), torch.randn(5, 2)
    gp = losses.gradient_penalty(lambda x: D(x).squeeze(1), real, fake, torch.Generator().manual_seed(0))
    assert gp.item() == pytest.approx((5.0 - 1.0) ** 2)


def test_r1_penalty_matches_hand_computation():
    D = nn.Linear(3, 1, bias=False)
    with torch.no_grad():
        D.weight.copy_(torch.tensor([[1.0, 2.0, 2.0]]))
    assert losses.r1_penalty(lambda x: D(x).squeeze(1), torch.randn(4, 3)).item() == pytest.approx(9.0)


def test_label_smoothing_changes_only_the_real_term():
    real, fake = torch.tensor([2.0]), torch.tensor([-1.0])
    plain = losses.d_loss("non-saturating", real, fake)
    smooth = losses.d_loss("non-saturating", real, fake, smoothing=0.1)
    expected = 0.9 * math.log1p(math.exp(-2.0)) + 0.1 * math.log1p(math.exp(2.0)) + math.log1p(math.exp(-1.0))
    assert smooth.item() == pytest.approx(expected, rel=1e-6) and smooth.item() > plain.item()


def test_hinge_and_wasserstein_values():
    real, fake = torch.tensor([0.5, 2.0]), torch.tensor([-3.0, 0.0])
    assert losses.d_loss("hinge", real, fake).item() == pytest.approx((0.5 + 0.0) / 2 + (0.0 + 1.0) / 2)
    assert losses.d_loss("wgan", real, fake).item() == pytest.approx(-1.5 - 1.25)
    assert losses.g_loss("wgan-gp", fake).item() == pytest.approx(1.5)


def test_spectral_norm_bounds_the_largest_singular_value():
    cfg = tiny_toy_config()
    cfg.model.spectral_norm = True
    _, D = build_models(cfg)
    with torch.no_grad():
        for _ in range(30):  # power iterations converge in training mode
            D(torch.randn(64, 2))
    D.eval()
    for module in D.modules():
        if isinstance(module, nn.Linear):
            sigma = torch.linalg.matrix_norm(module.weight, ord=2).item()
            assert sigma <= 1.05, sigma


def test_wgan_clips_d_weights():
    cfg = tiny_toy_config()
    cfg.loss.kind, cfg.loss.clip_value = "wgan", 0.005
    t = Trainer(cfg)
    t.step()
    assert params(t.D).abs().max().item() <= 0.005 + 1e-9


def test_unrolled_step_leaves_d_weights_unchanged():
    cfg = tiny_toy_config()
    cfg.train.unrolled_steps = 5
    t = Trainer(cfg)
    t.discriminator_step()
    d_before = params(t.D).clone()
    opt_state = {k: v.clone() for k, v in t.opt_d.state[next(iter(t.D.parameters()))].items()}
    g_before = params(t.G).clone()
    t.generator_step()
    assert torch.equal(d_before, params(t.D))
    for key, value in t.opt_d.state[next(iter(t.D.parameters()))].items():
        assert torch.equal(value, opt_state[key])
    assert not torch.equal(g_before, params(t.G))


def test_the_unrolled_copy_of_a_clipped_critic_is_clipped_and_draws_its_dropout_from_the_run():
    """G steps against the critic D would become: inside the clipping box, with its own dropout masks
    (a deep copy's copy of the stream would repeat the draws the run spends next)."""
    from ganstudio.core.models.layers import SeededNoiseLayer

    cfg = tiny_image_config(unrolled_steps=3)
    cfg.loss.kind, cfg.loss.clip_value, cfg.optim.lr_d = "wgan", 0.005, 0.1
    cfg.model.d_dropout = 0.3
    t = Trainer(cfg)
    t.step()
    copy = t._unrolled_discriminator()
    assert params(copy).abs().max().item() <= 0.005 + 1e-9
    noise_layers = [layer for layer in copy.modules() if isinstance(layer, SeededNoiseLayer)]
    assert noise_layers and all(layer.generator is t.rng for layer in noise_layers)


def test_a_clipped_critic_trains_with_rmsprop_the_wgan_papers_optimiser(tmp_path):
    """RMSprop has no fused kernel: the fast path's fused choice must not reach it; a resume keeps its state."""
    from ganstudio.core.config import check

    cfg = tiny_image_config(k=5)
    cfg.loss.kind, cfg.optim.name, cfg.optim.lr_d, cfg.optim.lr_g = "wgan", "rmsprop", 5e-5, 5e-5
    t = Trainer(check(cfg))
    assert isinstance(t.opt_d, torch.optim.RMSprop) and isinstance(t.opt_g, torch.optim.RMSprop)
    assert t.fast.optimizer_impl == "foreach" and "fused" not in t.fast.describe()  # as the run info says
    for _ in range(2):
        t.step()
    assert all(math.isfinite(s.loss_d) for s in t.drain_stats())
    assert params(t.D).abs().max().item() <= cfg.loss.clip_value + 1e-9
    resumed = Trainer(check(cfg))
    resumed.load_state_dict(copy.deepcopy(t.state_dict()))  # as from a file: nothing shared with t
    t.step()
    resumed.step()
    assert torch.equal(params(t.G), params(resumed.G))


def test_instance_noise_anneals_to_zero():
    cfg = tiny_toy_config()
    cfg.train.instance_noise, cfg.train.noise_anneal_steps = 0.4, 10
    t = Trainer(cfg)
    assert t.instance_noise_std() == pytest.approx(0.4)
    for _ in range(5):
        t.step()
    assert t.instance_noise_std() == pytest.approx(0.2)
    for _ in range(6):
        t.step()
    assert t.instance_noise_std() == 0.0


def test_pack_must_divide_the_batch():
    cfg = tiny_toy_config()
    cfg.model.pack = 5
    assert "train.batch_size" in {f for f, _ in validate(cfg)}


def test_a_change_applies_on_the_next_step():
    t = Trainer(tiny_toy_config())
    t.step()
    t.apply_changes({"lr_g": 1e-5, "k": 3, "instance_noise": 0.05, "ema_decay": 0.9})
    assert t.opt_g.param_groups[0]["lr"] == 1e-5 and t.G_ema is not None
    first_d = next(iter(t.D.parameters()))
    before = t.opt_d.state[first_d]["step"].item()
    t.step()
    assert t.opt_d.state[first_d]["step"].item() == before + 3
    assert t.instance_noise_std() == 0.05
    with pytest.raises(ValueError):
        t.apply_changes({"batch_size": 3})
    with pytest.raises(Exception, match=r"optim\.lr_d"):
        t.apply_changes({"lr_d": -1.0})
    assert t.opt_d.param_groups[0]["lr"] == 1e-3  # a refused change leaves everything as it was


def test_learning_rates_stay_then_fall_linearly_over_the_decay_fraction():
    cfg = tiny_toy_config(steps=10)
    cfg.optim.lr_decay = 0.5
    t = Trainer(cfg)
    used_g, used_d = [], []
    for _ in range(10):
        t.step()
        used_g.append(t.opt_g.param_groups[0]["lr"])
        used_d.append(t.opt_d.param_groups[0]["lr"])
    lr = cfg.optim.lr_g
    assert used_g == pytest.approx([lr] * 6 + [lr * f for f in (0.8, 0.6, 0.4, 0.2)])
    assert used_d == pytest.approx(used_g)


def test_a_live_learning_rate_change_keeps_the_decay_schedule():
    cfg = tiny_toy_config(steps=4)
    cfg.optim.lr_decay = 1.0
    t = Trainer(cfg)
    t.step()
    t.step()
    t.apply_changes({"lr_g": 0.01})
    assert t.opt_g.param_groups[0]["lr"] == pytest.approx(0.01 * 0.5)
    assert t.opt_d.param_groups[0]["lr"] == pytest.approx(cfg.optim.lr_d * 0.5)
