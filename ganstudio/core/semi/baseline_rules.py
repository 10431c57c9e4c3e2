"""When a run has a fair supervised baseline: asked by the trainer of the baseline, by `bench semi` before its
runs and by the Classifier tab before it offers Measure baseline (so this module needs no torch)."""

from __future__ import annotations

from ganstudio.core.config import RunConfig


def baseline_problem(config: RunConfig) -> str | None:
    """Why no fair baseline can be trained for this run's config, in one line; None when one can."""
    if not config.train.labelled_per_class:
        return "a supervised baseline needs train.labelled_per_class > 0"
    if config.train.augment_adaptive:
        return (
            "no fair supervised baseline for a run with adaptive augmentation: its strength follows the run's "
            "D, which the baseline has not (fixed augmentation, train.augment_adaptive false, has one)"
        )
    return None
