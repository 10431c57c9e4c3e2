"""The supervised baseline a semi-supervised run is measured against: the same D network, initialised as
the run's D is, trained on the same labelled images alone (same augmentation and input noise, as many D
updates, the same precision and optimiser implementation), scored on the same held-out split. What it
lacks is exactly the unlabelled images and G."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ganstudio.core import schedules
from ganstudio.core.atomic import atomic_write, cannot_write_in
from ganstudio.core.augment import Augmenter
from ganstudio.core.config import RunConfig, check
from ganstudio.core.device import select_device
from ganstudio.core.fast_path import resolve_fast_path
from ganstudio.core.models import build_models
from ganstudio.core.models.layers import draw_noise_from
from ganstudio.core.optimizers import make_optimizer
from ganstudio.core.run_data import config_in_folder
from ganstudio.core.runlog import RunDirectory, RunError
from ganstudio.core.semi.baseline_rules import baseline_problem
from ganstudio.core.semi.data import SemiData, build_semi_data
from ganstudio.core.semi.report import BASELINE_FILE, ClassifierReport
from ganstudio.core.semi.scoring import score_classifier
from ganstudio.core.semi.stopped import Stopped

PROGRESS_INTERVAL_S = 0.1  # between progress calls: a window shows them, and a GPU's updates take a millisecond


def train_baseline(
    config: RunConfig,
    *,
    download: bool = False,
    should_stop: Callable[[], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
    steps: int | None = None,
) -> ClassifierReport:
    """Raises Stopped as soon as should_stop() is True; progress(update, total) every few updates,
    on the calling thread. download: only for a config of one's own, never for one read from a run folder
    (a file anyone may have written must not decide what is fetched, nor where it goes). steps: the run's first
    steps only (None: all of them), its schedules those of its whole length, as the run's first steps had them."""
    D, semi, device = baseline_discriminator(
        config, download=download, should_stop=should_stop, progress=progress, steps=steps
    )
    return score_classifier(D, semi.held_out_images, semi.held_out_labels, semi.class_names, semi.split, device)


def baseline_discriminator(
    config: RunConfig,
    *,
    download: bool = False,
    should_stop: Callable[[], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
    steps: int | None = None,
) -> tuple[nn.Module, SemiData, torch.device]:
    """The baseline's trained D, with the data it was trained on and the device it is on (steps: train_baseline's)."""
    check(config)
    problem = baseline_problem(config)
    if problem:
        raise ValueError(problem)
    device = select_device(config.train.device)
    semi = build_semi_data(config, device, download)
    seed, t = config.train.seed, config.train
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # G first, as the Trainer builds them, so this D starts as the run's D
        _, D = build_models(config, class_logits=len(semi.class_names))
    D = D.to(device)
    o = config.optim
    fast = resolve_fast_path(config.perf, device, conv=config.model.arch == "dcgan", optimizer=o.name)
    optimizer = make_optimizer(D.parameters(), o.name, o.lr_d, o, fast.optimizer_kwargs())
    scaler = fast.grad_scaler()
    rng = torch.Generator(device=device).manual_seed(seed)
    draw_noise_from(D, rng)
    augment = Augmenter.for_run(t, device)
    total = baseline_updates(config, steps)
    said = time.monotonic()
    for update in range(1, total + 1):
        if should_stop is not None and should_stop():
            raise Stopped(f"the supervised baseline was stopped at update {update - 1:,} of {total:,}")
        step = (update - 1) // t.k
        for group in optimizer.param_groups:
            group["lr"] = o.lr_d * schedules.learning_rate_factor(o, t, step)
        idx = torch.randint(len(semi.labelled_targets), (t.batch_size,), generator=rng, device=device)
        x = augment(semi.labelled_images[idx].float().div_(127.5).sub_(1.0), rng)
        std = schedules.instance_noise_std(t, step)
        if std > 0:
            x = x + std * torch.randn(x.shape, generator=rng, device=device)
        with fast.autocast():
            logits = D(x)
        loss = F.cross_entropy(logits.float(), semi.labelled_targets[idx])
        optimizer.zero_grad(set_to_none=True)
        if scaler is None:
            loss.backward()
            optimizer.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        if progress is not None and (update == total or time.monotonic() - said >= PROGRESS_INTERVAL_S):
            progress(update, total)
            said = time.monotonic()
    return D, semi, device


@dataclass(frozen=True)
class MeasuredBaseline:
    report: ClassifierReport
    updates: int | None  # the D updates it trained (steps x k); None in a file written before they were kept

    def compares_with(self, updates: int) -> bool:
        """Whether it trained as many D updates as the run had at the score (baseline_updates): a score of a run
        that stopped early, or went on past it, is not measured against it."""
        return self.updates is None or self.updates == updates


def baseline_updates(config: RunConfig, steps: int | None = None) -> int:
    """The D updates of a run's first `steps` steps (None: of all its steps)."""
    return (config.train.steps if steps is None else steps) * config.train.k


def measure_run_baseline(
    run_dir: str, should_stop: Callable[[], bool], progress: Callable[[int, int], None], steps: int | None = None
) -> MeasuredBaseline:
    """A run folder's baseline, trained on its config and written there, for as many steps as the run's score it is
    compared with has (None: the run's length). A folder that cannot be written is said before the training, not
    after it (the number measured was lost)."""
    run = RunDirectory.open(run_dir)
    config = config_in_folder(run.read_config(), run.path)
    if (reason := cannot_write_in(run.path)) is not None:
        raise RunError(
            f"{run.path} cannot be written to ({reason}), and its baseline is kept there: copy the run folder "
            "somewhere writable, open the copy and measure it there"
        )
    report = train_baseline(config, should_stop=should_stop, progress=progress, steps=steps)
    measured = MeasuredBaseline(report, baseline_updates(config, steps))
    write_baseline(run_dir, measured)
    return measured


def write_baseline(run_dir: str | Path, measured: MeasuredBaseline) -> None:
    """classifier_baseline.json in the run folder, written whole or not at all, with how long it trained."""
    text = json.dumps({**measured.report.to_record(), "updates": measured.updates}, indent=2) + "\n"
    atomic_write(Path(run_dir) / BASELINE_FILE, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def read_baseline(run_dir: str | Path) -> MeasuredBaseline | None:
    """None when there is none, or the file is not one (a half-copied or edited file must not crash a view)."""
    path = Path(run_dir) / BASELINE_FILE
    try:
        if not path.is_file() or path.stat().st_size > 1 << 20:
            return None
        record = json.loads(path.read_text(encoding="utf-8"))
        updates = record.get("updates")
        if updates is not None and not (isinstance(updates, int) and 0 < updates < 1 << 63):
            return None
        return MeasuredBaseline(ClassifierReport.from_record(record), updates)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
