import json

import numpy as np
import pytest

from ganstudio.core.config import RunConfig, apply_override, live_values, preset
from ganstudio.core.health import HealthMonitor, mean_pairwise_distance, next_run_allows
from ganstudio.core.stats import StepStats
from ganstudio.core.trainer import Trainer
from tests.conftest import tiny_toy_config


def stats(step, loss_d=1.3, loss_g=0.7, d_real=0.55, d_fake=0.45, gd=1.0, gg=1.0):
    return StepStats(step, loss_d, loss_g, d_real, d_fake, gd, gg, 0.01)


def configured(config: RunConfig, changes: dict) -> RunConfig:
    for key, value in changes.items():
        apply_override(config, f"{key}={json.dumps(value)}")
    return config


def dcgan(changes: dict | None = None) -> RunConfig:
    """fashion-dcgan (non-saturating, both rates 2e-4, no instance noise, no EMA) with changes."""
    return configured(preset("fashion-dcgan"), changes or {})


def healthy(n, start=1):
    rng = np.random.default_rng(0)
    return [
        stats(
            i,
            1.3 + 0.05 * rng.standard_normal(),
            0.7 + 0.05 * rng.standard_normal(),
            gd=1 + 0.1 * rng.random(),
            gg=1 + 0.1 * rng.random(),
        )
        for i in range(start, start + n)
    ]


def test_no_alarm_on_healthy_stats():
    m = HealthMonitor(dcgan(), real_diversity=10.0)
    assert m.observe_stats(healthy(400)) == []
    assert m.observe_diversity(400, 9.0) == []


def test_nan_alarm_offers_rewind():
    m = HealthMonitor(dcgan())
    alarms = m.observe_stats([*healthy(10), stats(11, loss_d=float("nan"))])
    assert [a.kind for a in alarms] == ["nan"] and alarms[0].remedies[0].rewind
    assert alarms[0].remedies[1].live == {"lr_g": 1e-4, "lr_d": 1e-4}


def test_saturated_d_with_vanishing_generator_gradient():
    m = HealthMonitor(dcgan({"loss.kind": "minimax"}))
    m.observe_stats(healthy(60))
    saturated = [stats(i, loss_d=0.01, loss_g=-0.001, d_real=0.99, d_fake=0.01, gg=0.001) for i in range(61, 130)]
    alarms = m.observe_stats(saturated)
    assert [a.kind for a in alarms] == ["vanishing-gradients"]
    assert any(r.live.get("instance_noise") for r in alarms[0].remedies)


def saturated_after_healthy(m):
    m.observe_stats(healthy(60))
    return m.observe_stats(
        [stats(i, loss_d=0.01, loss_g=-0.001, d_real=0.99, d_fake=0.01, gg=0.001) for i in range(61, 130)]
    )


def test_a_starved_gs_remedies_are_only_what_the_run_lacks():
    noisy = saturated_after_healthy(HealthMonitor(dcgan({"train.instance_noise": 0.6})))
    assert [r.label for r in noisy[0].remedies] == ["Halve D's learning rate"]
    plain = saturated_after_healthy(HealthMonitor(dcgan({"loss.kind": "minimax"})))
    assert [r.live or r.config for r in plain[0].remedies] == [
        {"instance_noise": 0.1},
        {"lr_d": 1e-4},
        {"loss.kind": "non-saturating"},
    ]
    lowered = HealthMonitor(dcgan({"loss.kind": "minimax", "train.instance_noise": 0.6}))
    lowered.follow(dcgan({"loss.kind": "minimax"}))  # a live change took the noise away
    assert saturated_after_healthy(lowered)[0].remedies[0].live == {"instance_noise": 0.1}


def test_a_near_perfect_d_starves_no_feature_matching_g():
    """G's feature-matching loss does not go through D's verdict, and its early gradients (a distance in the
    thousands) would make any later one look collapsed."""
    assert saturated_after_healthy(HealthMonitor(dcgan({"loss.feature_matching": True}))) == []


def test_collapsed_batch_raises_mode_collapse():
    m = HealthMonitor(dcgan(), real_diversity=10.0)
    rng = np.random.default_rng(1)
    diverse = rng.standard_normal((64, 100))
    collapsed = np.tile(rng.standard_normal((1, 100)), (64, 1)) + 0.01 * rng.standard_normal((64, 100))
    assert m.observe_diversity(100, mean_pairwise_distance(diverse)) == []
    alarms = m.observe_diversity(600, mean_pairwise_distance(collapsed))
    assert [a.kind for a in alarms] == ["mode-collapse"]
    assert m.observe_diversity(700, mean_pairwise_distance(collapsed)) == []  # cooldown: no spam


def test_a_live_remedy_the_run_already_has_is_not_offered():
    m = HealthMonitor(configured(tiny_toy_config(), {"train.ema_decay": 0.99}))
    m.observe_modes(250, 8)
    (alarm,) = m.observe_modes(500, 2)
    assert [r.label for r in alarm.remedies] == ["Latent pieces, 100 (next run)", "Unrolled D, 5 steps (next run)"]
    semi = live_values(preset("fashion-semi-100"))
    assert semi["instance_noise"] == 0.6 and semi["lr_d"] == 3e-3 and semi["ema_decay"] == 0


def test_a_generator_that_never_spread_under_slow_sgd_is_offered_larger_rates():
    """Optimizer switched from Adam to SGD in the form keeps Adam's rates, at which SGD barely moves G: the alarm
    names the rate and offers ten times it, live; at the 2014 preset's rates, or with Adam, it does not."""
    slow = HealthMonitor(dcgan({"optim.name": "sgd", "train.steps": 100_000}), real_diversity=10.0)
    (alarm,) = slow.observe_diversity(500, 0.01)
    assert "SGD at lr G 0.0002 may not have moved G yet" in alarm.message
    assert alarm.remedies[0].label == "Raise both learning rates 10x"
    assert alarm.remedies[0].live == {"lr_g": pytest.approx(2e-3), "lr_d": pytest.approx(2e-3)}
    assert len(alarm.remedies) == 3
    for changes in ({"optim.name": "sgd", "optim.lr_g": 0.02, "optim.lr_d": 0.02}, {}):
        (alarm,) = HealthMonitor(dcgan({**changes, "train.steps": 100_000}), real_diversity=10.0).observe_diversity(
            500, 0.01
        )
        assert "SGD" not in alarm.message and all("10x" not in r.label for r in alarm.remedies)


def test_a_fresh_generator_is_not_a_collapse():
    m = HealthMonitor(dcgan(), real_diversity=10.0)
    assert m.observe_diversity(1, 0.1) == []


def test_a_generator_whose_outputs_are_nearly_all_one_raises_mode_collapse_from_step_500():
    """The 2014 paper's 1-D game with SGD collapses G to a point from its first steps: no alarm came, since the
    collapse alarm wanted a diversity that had been higher."""
    m = HealthMonitor(dcgan({"train.steps": 100_000}), real_diversity=10.0)
    assert m.observe_diversity(100, 0.02) == [] and m.observe_diversity(499, 0.01) == []  # a fresh G, then early
    (alarm,) = m.observe_diversity(500, 0.01)
    assert alarm.kind == "mode-collapse" and alarm.message.startswith("G's outputs are nearly all one: 500 steps in")
    assert [r.label for r in alarm.remedies][:2] == ["Minibatch std layer in D (next run)", "PacGAN, pack 4 (next run)"]
    spread = HealthMonitor(dcgan(), real_diversity=10.0)
    assert spread.observe_diversity(300, 1.5) == [] and spread.observe_diversity(600, 1.2) == []  # it spread once
    # a slow starter, one image at 3 % of real data's diversity at step 1,000 (the paper's MLP with SGD): not yet
    slow = HealthMonitor(configured(preset("paper-mlp-fashion"), {"train.steps": 1500}), real_diversity=10.0)
    assert slow.observe_diversity(1000, 0.3) == []


def test_exploding_losses_raise_divergence():
    m = HealthMonitor(dcgan())
    alarms = m.observe_stats([*healthy(60), stats(61, loss_d=5e4)])
    assert "divergence" in [a.kind for a in alarms]


def test_dropping_modes_raise_mode_collapse():
    m = HealthMonitor(tiny_toy_config())  # only toy runs count modes
    assert m.observe_modes(250, 8) == []
    (alarm,) = m.observe_modes(500, 2)
    assert alarm.kind == "mode-collapse"
    remedies = {r.label: (r.config, r.live) for r in alarm.remedies}
    assert remedies["Latent pieces, 100 (next run)"][0] == {"model.latent_components": 100}
    image_run = HealthMonitor(dcgan())  # its next run would refuse a mixture latent, so it is not offered
    image_run.observe_modes(250, 8)
    assert "Latent pieces, 100 (next run)" not in [r.label for r in image_run.observe_modes(500, 2)[0].remedies]


def test_pairwise_distance():
    pts = np.array([[0.0, 0.0], [3.0, 4.0]])
    assert mean_pairwise_distance(pts) == 5.0


def test_pairwise_distance_of_a_picture_batch_matches_the_definition():
    images = np.random.default_rng(3).uniform(-1, 1, (64, 1, 28, 28)).astype(np.float32)  # as the live grid's
    flat = images.reshape(64, -1).astype(np.float64)
    pairs = [np.linalg.norm(flat[i] - flat[j]) for i in range(64) for j in range(64) if i != j]
    assert mean_pairwise_distance(images) == pytest.approx(np.mean(pairs), rel=1e-9)


def test_no_alarm_on_a_real_healthy_toy_run():
    t = Trainer(tiny_toy_config(steps=400))
    real = t.data.sample(64, __import__("torch").Generator().manual_seed(0)).numpy()
    m = HealthMonitor(t.config, mean_pairwise_distance(real))
    alarms = []
    for i in range(400):
        t.step()
        if (i + 1) % 50 == 0:
            alarms += m.observe_stats(t.drain_stats())
    assert [a.kind for a in alarms] == []


def test_a_feature_matching_gs_large_loss_is_no_divergence_but_ds_still_is():
    big_g = [stats(i, loss_g=5e4) for i in range(1, 80)]
    assert [a.kind for a in HealthMonitor(dcgan()).observe_stats(big_g)] == ["divergence"]
    matching = HealthMonitor(dcgan({"loss.feature_matching": True}))
    assert matching.observe_stats(big_g) == []
    big_d = [stats(i, loss_d=5e4) for i in range(80, 160)]
    assert [a.kind for a in matching.observe_stats(big_d)] == ["divergence"]


def test_remedies_the_next_run_would_refuse_are_not_offered():
    exploding = [stats(i, loss_d=5e4) for i in range(1, 80)]
    offered = HealthMonitor(dcgan()).observe_stats(exploding)[0].remedies
    assert any("R1" in r.label for r in offered)
    semi = preset("fashion-semi-100")  # R1 and spectral norm are refused for it (one line each)
    m = HealthMonitor(semi)
    labels = [r.label for r in m.observe_stats(exploding)[0].remedies]
    assert labels == ["Halve both learning rates"]
    assert next_run_allows(preset("fashion-dcgan"), {"loss.r1_gamma": 10.0})
    assert not next_run_allows(preset("fashion-dcgan"), {"model.no_such_field": 1})
    assert not next_run_allows(semi, {"loss.kind": "non-saturating"})  # what it already has: no button
