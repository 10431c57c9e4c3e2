"""Training-health alarms: cheap checks on the stats the trainer already reports.

Each alarm says what was seen and suggests up to three remedies. A remedy is either a live
change (applied to the running trainer on the next step) or a config change for the next run.
Alarm and Remedy are run events (core.events), imported here where they are raised.
"""

from __future__ import annotations

import json
import math
from collections import deque
from typing import Any

import numpy as np
import torch

from ganstudio.core.config import ConfigError, RunConfig, apply_override, live_values, preset, validate
from ganstudio.core.events import Alarm, Remedy
from ganstudio.core.stats import StepStats

WINDOW = 50
COOLDOWN_STEPS = 500
# The monitor's alarms, gravest first: of two raised at one step (a divergence and the oscillation it
# causes), the window shows the graver, whatever order the checks ran in; NaN pauses the run.
ALARM_GRAVITY = ("nan", "divergence", "vanishing-gradients", "mode-collapse", "oscillation")


def graver(kind: str, than: str) -> bool:
    """Whether an alarm of `kind` is graver than one of `than` (kinds not listed are the least grave)."""

    def rank(k: str) -> int:
        return ALARM_GRAVITY.index(k) if k in ALARM_GRAVITY else len(ALARM_GRAVITY)

    return rank(kind) < rank(than)


COLLAPSE_RATIO = 0.25  # fixed-batch diversity below this fraction of real data's
# A G whose outputs are nearly all one (the 2014 paper's "Helvetica scenario"): its best diversity still under
# this fraction of real data's at NEVER_SPREAD_STEPS or later. The fraction is far below what a slow starter draws
# before it spreads (the paper's MLP with SGD, README), so no length of run decides it; the floor leaves a fresh
# G, whose outputs are all alike too, to a short run.
NEVER_SPREAD_RATIO = 0.005
NEVER_SPREAD_STEPS = 500
VANISHING_NOISE = 0.1  # the instance noise a starved G's remedy offers
# SGD steps by lr x gradient, with no per-weight scaling: at Adam's rates (2e-4, 1e-3) a G that never spread may
# simply not have moved. A quarter of the 2014 MLP preset's rate counts as slow.
SLOW_SGD_LR = 0.005

# The remedies that change the next run's setup. A watching window takes a remedy's setup change only when it is one
# of these (follow.remedies_from_record): the log it reads is anyone's to write.
SPECTRAL_NORM = Remedy("Spectral norm in D (next run)", config={"model.spectral_norm": True})
R1_PENALTY = Remedy("R1 penalty gamma = 10 (next run)", config={"loss.r1_gamma": 10.0})
LATENT_PIECES = Remedy("Latent pieces, 100 (next run)", config={"model.latent_components": 100})
UNROLLED_D = Remedy("Unrolled D, 5 steps (next run)", config={"train.unrolled_steps": 5})
NON_SATURATING = Remedy("Non-saturating loss (next run)", config={"loss.kind": "non-saturating"})
MINIBATCH_STD = Remedy("Minibatch std layer in D (next run)", config={"model.minibatch_std": True})
PACGAN = Remedy("PacGAN, pack 4 (next run)", config={"model.pack": 4})
NEXT_RUN_REMEDIES = (SPECTRAL_NORM, R1_PENALTY, LATENT_PIECES, UNROLLED_D, NON_SATURATING, MINIBATCH_STD, PACGAN)


def mean_pairwise_distance(samples: np.ndarray) -> float:
    """Diversity of a batch: the mean Euclidean distance between two different samples.

    Computed by torch on its own intra-op threads: numpy's matmul hands the product to OpenBLAS's
    separate thread pool, which on a 2-core CPU fought the training threads for the cores and
    slowed training (CHANGELOG, bench gui).
    """
    flat = torch.as_tensor(np.asarray(samples, dtype=np.float64)).reshape(len(samples), -1)
    n = len(flat)
    distances = torch.cdist(flat, flat, compute_mode="donot_use_mm_for_euclid_dist")
    return float(distances.sum()) / max(1, n * (n - 1))


def next_run_allows(config: RunConfig, changes: dict[str, Any]) -> bool:
    """Whether the next run would accept the config with these changes and differ from this one: a remedy it
    would refuse (R1 for a semi-supervised run, say), or one the run already has, is not worth a button."""
    trial = config.copy()
    try:
        for key, value in changes.items():
            apply_override(trial, f"{key}={json.dumps(value)}")
    except (ConfigError, AttributeError):
        return False
    return trial.to_dict() != config.to_dict() and not validate(trial)


class HealthMonitor:
    def __init__(self, config: RunConfig, real_diversity: float | None = None):
        """Remedies are reckoned from the run's config: none it already has, none the next run would refuse
        (next_run_allows), never less instance noise than it has. With feature matching, G's loss is a
        squared distance between D's mean features, whose scale is D's (thousands early in a run) and says
        nothing of who is winning, so the loss checks read D's loss alone; and G's signal does not pass
        through D's verdict, so a near-perfect D starves it of nothing."""
        self.loss_kind = config.loss.kind
        self.feature_matching = config.loss.feature_matching
        self.follow(config)
        self.real_diversity = real_diversity
        self.recent: deque[StepStats] = deque(maxlen=WINDOW)
        self.grad_g_reference = 0.0
        self.grad_reference: deque[float] = deque(maxlen=500)
        self.last_raised: dict[str, int] = {}
        self.best_modes = 0
        self.best_diversity = 0.0

    def follow(self, config: RunConfig) -> None:
        """The config the run uses now, after a live change or a rewind."""
        self.config = config.copy()
        self.live = live_values(config)

    def _raise(self, kind: str, step: int, message: str, remedies: tuple[Remedy, ...]) -> list[Alarm]:
        if kind != "nan" and step - self.last_raised.get(kind, -COOLDOWN_STEPS) < COOLDOWN_STEPS:
            return []
        self.last_raised[kind] = step
        remedies = tuple(r for r in remedies if not r.config or next_run_allows(self.config, r.config))
        remedies = tuple(r for r in remedies if not r.live or not self._has_already(r.live))
        return [Alarm(kind, step, message, remedies[:3])]

    def _has_already(self, changes: dict[str, Any]) -> bool:
        return all(key in self.live and math.isclose(self.live[key], value) for key, value in changes.items())

    @property
    def lr_g(self) -> float:
        return float(self.live["lr_g"])

    @property
    def lr_d(self) -> float:
        return float(self.live["lr_d"])

    def observe_stats(self, stats: list[StepStats]) -> list[Alarm]:
        alarms: list[Alarm] = []
        for s in stats:
            if not s.is_finite():
                return alarms + self._raise(
                    "nan",
                    s.step,
                    f"Loss or gradient became NaN/Inf at step {s.step}.",
                    (
                        Remedy("Rewind to the last good snapshot", rewind=True),
                        Remedy("Halve both learning rates", live={"lr_g": self.lr_g / 2, "lr_d": self.lr_d / 2}),
                        SPECTRAL_NORM,
                    ),
                )
            self.recent.append(s)
            self.grad_reference.append(s.grad_norm_d + s.grad_norm_g)
        if len(self.recent) < WINDOW:
            return alarms
        step = self.recent[-1].step
        d_real = np.mean([s.d_real for s in self.recent])
        d_fake = np.mean([s.d_fake for s in self.recent])
        grad_g = float(np.mean([s.grad_norm_g for s in self.recent]))
        self.grad_g_reference = max(self.grad_g_reference, grad_g)
        probabilities = self.loss_kind in ("minimax", "non-saturating")
        if (
            probabilities
            and not self.feature_matching
            and d_real > 0.95
            and d_fake < 0.05
            and grad_g < 0.05 * self.grad_g_reference
        ):
            alarms += self._raise(
                "vanishing-gradients",
                step,
                f"D is near-perfect (D(x) {d_real:.2f}, D(G(z)) {d_fake:.2f}) and G's gradient "
                f"has collapsed to {grad_g:.2g}: G gets no signal.",
                self._vanishing_remedies(),
            )
        watched = [(s.loss_d,) if self.feature_matching else (s.loss_d, s.loss_g) for s in self.recent]
        median_grad = float(np.median(self.grad_reference))
        latest_grad = self.recent[-1].grad_norm_d + self.recent[-1].grad_norm_g
        if np.abs(watched).max() > 1e4 or (len(self.grad_reference) >= 200 and latest_grad > 100 * median_grad):
            alarms += self._raise(
                "divergence",
                step,
                "Losses or gradient norms are exploding.",
                (
                    Remedy("Halve both learning rates", live={"lr_g": self.lr_g / 2, "lr_d": self.lr_d / 2}),
                    R1_PENALTY,
                    SPECTRAL_NORM,
                ),
            )
        loss_g = np.array([s.loss_g for s in self.recent])
        swings = np.count_nonzero(np.diff(np.sign(np.array([s.d_fake for s in self.recent]) - 0.5)))
        if (
            probabilities
            and not self.feature_matching
            and loss_g.std() > max(1.0, 1.5 * abs(loss_g.mean()))
            and swings > WINDOW // 5
        ):
            alarms += self._raise(
                "oscillation",
                step,
                "G and D are oscillating instead of converging.",
                (
                    Remedy("Two time-scale rates: D 4x G", live={"lr_d": 4 * self.lr_g}),
                    Remedy("EMA of G's weights (0.999)", live={"ema_decay": 0.999}),
                    Remedy("Halve both learning rates", live={"lr_g": self.lr_g / 2, "lr_d": self.lr_d / 2}),
                ),
            )
        return alarms

    def observe_diversity(self, step: int, diversity: float) -> list[Alarm]:
        if self.real_diversity is None or not math.isfinite(diversity):
            return []
        self.best_diversity = max(self.best_diversity, diversity)
        # "Falling": a fresh generator's outputs are all alike too, which is not a collapse.
        fell = diversity < 0.5 * self.best_diversity
        if fell and diversity < COLLAPSE_RATIO * self.real_diversity:
            return self._raise(
                "mode-collapse",
                step,
                f"The fixed-noise batch has collapsed: diversity {diversity:.3g} against "
                f"{self.real_diversity:.3g} for real data.",
                self._collapse_remedies(),
            )
        if step >= NEVER_SPREAD_STEPS and self.best_diversity < NEVER_SPREAD_RATIO * self.real_diversity:
            message = (
                f"G's outputs are nearly all one: {step:,} steps in, its fixed-noise batch's diversity is "
                f"{diversity:.3g} against {self.real_diversity:.3g} for real data."
            )
            if self.config.optim.name == "sgd" and self.lr_g < SLOW_SGD_LR:
                paper = preset("paper-mlp-fashion").optim.lr_g
                return self._raise(
                    "mode-collapse",
                    step,
                    f"{message} SGD at lr G {self.lr_g:g} may not have moved G yet: it takes larger rates than Adam "
                    f"(the 2014 MLP preset's are {paper:g}).",
                    (
                        Remedy("Raise both learning rates 10x", live={"lr_g": 10 * self.lr_g, "lr_d": 10 * self.lr_d}),
                        *self._collapse_remedies(),
                    ),
                )
            return self._raise("mode-collapse", step, message, self._collapse_remedies())
        return []

    def observe_modes(self, step: int, captured: int) -> list[Alarm]:
        self.best_modes = max(self.best_modes, captured)
        if self.best_modes >= 2 and captured <= self.best_modes // 2:
            # Only toy runs (MLP) count modes: offer what reached every mode there (bench modes, README).
            return self._raise(
                "mode-collapse",
                step,
                f"Modes captured dropped to {captured} (it was {self.best_modes}).",
                (
                    LATENT_PIECES,
                    Remedy("EMA of G's weights (0.99)", live={"ema_decay": 0.99}),
                    UNROLLED_D,
                ),
            )
        return []

    def _vanishing_remedies(self) -> tuple[Remedy, ...]:
        """Never less noise than the run has (_raise and next_run_allows drop what it has already)."""
        remedies = [Remedy("Halve D's learning rate", live={"lr_d": self.lr_d / 2})]
        if self.live.get("instance_noise", 0.0) < VANISHING_NOISE:
            remedies.insert(
                0, Remedy(f"Instance noise {VANISHING_NOISE} on D's inputs", live={"instance_noise": VANISHING_NOISE})
            )
        remedies.append(NON_SATURATING)
        return tuple(remedies)

    def _collapse_remedies(self) -> tuple[Remedy, ...]:
        return (
            MINIBATCH_STD,
            PACGAN,
            UNROLLED_D,
        )
