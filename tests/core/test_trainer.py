import math

import pytest
import torch

from ganstudio.core import losses, schedules
from ganstudio.core.config import PRESETS, preset
from ganstudio.core.trainer import Trainer
from tests.conftest import tiny_image_config, tiny_toy_config


def params(module):
    return torch.cat([p.detach().flatten() for p in module.parameters()])


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_trains_a_few_steps(name):
    cfg = preset(name)
    cfg.train.device = "cpu"
    t = Trainer(cfg)
    before_g, before_d = params(t.G).clone(), params(t.D).clone()
    for _ in range(3):
        t.step()
    stats = t.drain_stats()
    assert [s.step for s in stats] == [1, 2, 3]
    assert all(s.is_finite() for s in stats)
    assert not torch.equal(before_g, params(t.G)) and not torch.equal(before_d, params(t.D))
    assert t.drain_stats() == []


def test_equilibrium_d_loss_is_two_ln_two():
    zero = torch.zeros(10)
    assert math.isclose(losses.EQUILIBRIUM_D_LOSS, 2 * math.log(2))
    for kind in ("minimax", "non-saturating"):
        assert math.isclose(losses.d_loss(kind, zero, zero).item(), 2 * math.log(2), rel_tol=1e-6)


def test_generator_losses_follow_the_paper():
    logits = torch.tensor([-2.0, 0.5, 3.0])
    d = torch.sigmoid(logits)
    assert torch.allclose(losses.g_loss("minimax", logits), torch.log(1 - d).mean(), atol=1e-6)
    assert torch.allclose(losses.g_loss("non-saturating", logits), -torch.log(d).mean(), atol=1e-6)
    assert torch.allclose(losses.g_loss("least-squares", logits), 0.5 * ((logits - 1) ** 2).mean())


def test_k_discriminator_steps_per_generator_step():
    cfg = tiny_toy_config()
    cfg.train.k = 3
    t = Trainer(cfg)
    t.step()
    assert t.opt_d.state[next(iter(t.D.parameters()))]["step"].item() == 3
    assert t.opt_g.state[next(iter(t.G.parameters()))]["step"].item() == 1


def test_g_steps_generator_updates_after_the_k_discriminator_updates():
    cfg = tiny_toy_config()
    cfg.train.k, cfg.train.g_steps = 2, 3
    t = Trainer(cfg)
    t.step()
    t.step()
    assert t.opt_d.state[next(iter(t.D.parameters()))]["step"].item() == 4
    assert t.opt_g.state[next(iter(t.G.parameters()))]["step"].item() == 6
    assert t.step_count == 2


def test_sampling_leaves_training_state_alone():
    t = Trainer(tiny_image_config())
    t.step()
    state_before = {k: v.clone() for k, v in t.G.state_dict().items()}
    a = t.fixed_samples()
    b = t.fixed_samples()
    assert a.dtype.name == "uint8" and a.shape == (64, 1, 28, 28) and (a == b).all()
    assert all(torch.equal(v, t.G.state_dict()[k]) for k, v in state_before.items())
    assert t.G.training


@pytest.mark.parametrize("make", [tiny_image_config, tiny_toy_config])
def test_state_round_trip_and_resume_equal_uninterrupted(make):
    straight = Trainer(make())
    for _ in range(8):
        straight.step()

    first = Trainer(make())
    for _ in range(4):
        first.step()
    state = first.state_dict()
    resumed = Trainer(make())
    resumed.load_state_dict(state)
    assert resumed.step_count == 4
    assert torch.equal(params(resumed.G), params(first.G))
    for _ in range(4):
        resumed.step()
    assert torch.equal(params(resumed.G), params(straight.G))
    assert torch.equal(params(resumed.D), params(straight.D))
    assert [s.loss_d for s in resumed.drain_stats()] == [s.loss_d for s in straight.drain_stats()[4:]]


def test_same_seed_same_weights_other_seed_differs():
    a, b = Trainer(tiny_toy_config()), Trainer(tiny_toy_config())
    c_cfg = tiny_toy_config()
    c_cfg.train.seed = 99
    c = Trainer(c_cfg)
    for t in (a, b, c):
        for _ in range(3):
            t.step()
    assert torch.equal(params(a.G), params(b.G))
    assert not torch.equal(params(a.G), params(c.G))


def _spectral_norm_1d():
    cfg = preset("gaussian-1d")
    cfg.train.device = "cpu"
    assert cfg.model.spectral_norm
    return cfg


def _noisy_mlp_on_a_ring():
    cfg = tiny_toy_config()
    cfg.model.arch = "improved-mlp"
    return cfg


@pytest.mark.parametrize("make_config", [_spectral_norm_1d, _noisy_mlp_on_a_ring])
def test_looking_at_d_between_steps_leaves_the_run_as_it_was(make_config):
    """The lab's pictures and the 1D measures come on a clock, so how many there are depends on the
    machine's load: they must not change the run (spectral norm's power iteration, D's noise draws)."""
    from ganstudio.core.distribution import distribution_frame

    watched, unwatched = Trainer(make_config()), Trainer(make_config())
    real, z = watched.toy_data.sample(64, torch.Generator().manual_seed(1)).numpy(), torch.randn(64, 1)
    for _ in range(3):
        for t in (watched, unwatched):
            t.step()
        distribution_frame(watched, real, z.expand(-1, watched.config.model.latent_dim).contiguous())
    assert torch.equal(params(watched.D), params(unwatched.D))
    assert all(torch.equal(a, b) for a, b in zip(watched.D.buffers(), unwatched.D.buffers(), strict=True))
    assert torch.equal(params(watched.G), params(unwatched.G))


def test_a_vanished_run_folder_is_a_run_error(tmp_path):
    from ganstudio.core.runlog import RunDirectory, RunError

    with pytest.raises(RunError, match="cannot read"):
        RunDirectory(tmp_path / "gone").read_config()


def test_the_ema_generator_ramps_its_decay_up_from_the_first_step():
    t = Trainer(tiny_image_config(ema_decay=0.999))
    ema_before = [p.clone() for p in t.G_ema.parameters()]
    t.step()  # G's first update: the average takes 1 - (1 + 0) / (10 + 0) = 0.9 of the new G
    for before, ema, g in zip(ema_before, t.G_ema.parameters(), t.G.parameters(), strict=True):
        torch.testing.assert_close(ema, 0.1 * before + 0.9 * g)
    assert schedules.ema_decay(t.config.train, 1_000_000) == 0.999
