"""The trainer a bench measures: the one a run of the config builds, on the threads the run would take
(the gaussian-1d preset's one thread is part of what its figures say)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ganstudio.core.config import RunConfig
    from ganstudio.core.trainer import Trainer


def bench_trainer(config: RunConfig) -> Trainer:
    from ganstudio.core.fast_path import apply_threads
    from ganstudio.core.semi.trainer import make_trainer

    apply_threads(config.perf.threads, gui=False)
    return make_trainer(config)
