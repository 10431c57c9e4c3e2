"""What changes over a run's steps, as functions of the step alone: the Trainer and the supervised
baseline (which has no Trainer) follow the same schedules."""

from __future__ import annotations

from ganstudio.core.sections.optim import OptimConfig
from ganstudio.core.sections.train import TrainConfig


def learning_rate_factor(optim: OptimConfig, train: TrainConfig, step: int) -> float:
    """1, then over the run's last lr_decay fraction falling linearly towards 0: late steps that only
    jitter settled points (a toy generator's pieces between modes) become small ones."""
    if optim.lr_decay <= 0:
        return 1.0
    return min(1.0, max(0.0, (train.steps - step) / (train.steps * optim.lr_decay)))


def instance_noise_std(train: TrainConfig, step: int) -> float:
    """The configured instance noise, falling linearly to zero over noise_anneal_steps when annealed."""
    if train.instance_noise <= 0:
        return 0.0
    if train.noise_anneal_steps <= 0:
        return train.instance_noise
    return train.instance_noise * max(0.0, 1.0 - step / train.noise_anneal_steps)


def ema_decay(train: TrainConfig, step: int) -> float:
    """The EMA's decay: the configured one, ramped up from 0.1 as (1 + t) / (10 + t) (the rule of
    tf.train.ExponentialMovingAverage's num_updates). Without the ramp a 0.999 average spends its first
    thousand steps remembering the random initial G: a blurred, collapsed-looking grid, and an alarm,
    in exactly the minutes a person first watches."""
    return min(train.ema_decay, (1 + step) / (10 + step))
