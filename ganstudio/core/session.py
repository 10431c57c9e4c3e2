"""A training run tied to its run directory: the loop body that the CLI and the GUI worker share.

The caller owns the loop (so it can check its own stop and pause flags between steps); a
session does one step at a time and does the logging, sample grids and checkpoints on cadence.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import torch

from ganstudio.core import losses
from ganstudio.core.atomic import second_name
from ganstudio.core.checkpoint import (
    GENERATOR_ONLY,
    CheckpointError,
    load_checkpoint,
    restore_trainer,
    save_checkpoint,
)
from ganstudio.core.config import ConfigError, RunConfig, check, saved_config
from ganstudio.core.control import forget_last_writer
from ganstudio.core.data.errors import DataError
from ganstudio.core.data.toy import mode_centres
from ganstudio.core.disk_room import check_room
from ganstudio.core.events import Changed, ClassifierScored, Event, ModesMeasured, QualityScored
from ganstudio.core.imaging import SAMPLE_GRID_COLUMNS, image_grid, scatter_image
from ganstudio.core.metrics import PROTOCOL_SAMPLES, MatchMetrics, mode_metrics, wasserstein_1d
from ganstudio.core.mode_metrics import ModeMetrics
from ganstudio.core.quality.scores import QualityReport
from ganstudio.core.resume import edits_refused, live_changes, resume_changes
from ganstudio.core.run_data import (
    adopt_drawn,
    data_in_folder,
    data_named_absolutely,
    discard_drawn,
    inside_training_images,
)
from ganstudio.core.run_lock import RunLock
from ganstudio.core.runlog import RunDirectory, RunError
from ganstudio.core.semi.report import ClassifierReport
from ganstudio.core.semi.trainer import SemiTrainer, make_trainer
from ganstudio.core.stats import StepStats
from ganstudio.core.trainer import Trainer
from ganstudio.core.user_errors import io_reason

if TYPE_CHECKING:  # torchmetrics loads only when a run scores quality
    from ganstudio.core.quality.evaluator import QualityEvaluator

TOY_REAL_POINTS = 512


@dataclass
class Progress:
    stats: list[StepStats]  # drained at this step (empty between log points)
    picture: np.ndarray | None  # a new sample grid (uint8), when one was made
    modes: ModeMetrics | None = None  # mode-collapse metrics, every metrics_every steps on ring-8 / grid-25
    quality: QualityReport | None = None  # sample-quality scores, every quality.every steps on image data
    best: bool = False  # this quality report is the run's best so far (best.pt follows with the checkpoint)
    classifier: ClassifierReport | None = None  # a semi-supervised D's held-out accuracy, every quality.every steps


def measure_modes(trainer: Trainer) -> ModeMetrics | None:
    """The VEEGAN/PacGAN protocol on 2,500 samples from fixed noise; None for datasets without modes."""
    modes = mode_centres(trainer.config.data.dataset)
    if modes is None:
        return None
    centres, std = modes
    real = trainer.data.sample(PROTOCOL_SAMPLES, torch.Generator(device=trainer.device).manual_seed(777))
    z = torch.randn(
        PROTOCOL_SAMPLES,
        trainer.config.model.latent_dim,
        generator=torch.Generator().manual_seed(trainer.config.train.seed + 3),
    )
    labels = trainer.spread_labels(PROTOCOL_SAMPLES)
    return mode_metrics(
        real.cpu().numpy(),
        trainer.sample(z, labels).numpy(),
        centres.numpy(),
        std,
        None if labels is None else labels.cpu().numpy(),
    )


def measure_match(trainer: Trainer) -> MatchMetrics | None:
    """W1 from G's samples of the modes protocol's fixed noise to the data's quantiles, with D's mean
    outputs and loss on as many real points and those samples: one fixed yardstick for every seed.
    None unless the data is 1D and known in closed form."""
    quantiles = trainer.toy_data.quantiles(PROTOCOL_SAMPLES) if trainer.toy_data.dim == 1 else None
    if quantiles is None:
        return None
    z = torch.randn(
        PROTOCOL_SAMPLES,
        trainer.config.model.latent_dim,
        generator=torch.Generator().manual_seed(trainer.config.train.seed + 3),
    )
    fake = trainer.sample(z)
    real = trainer.data.sample(PROTOCOL_SAMPLES, torch.Generator(device=trainer.device).manual_seed(777))
    kind = trainer.config.loss.kind
    with torch.no_grad():
        real_logits, fake_logits = trainer.realness(real).float(), trainer.realness(fake.to(trainer.device)).float()
        d_loss = float(losses.d_loss(kind, real_logits, fake_logits))
        d_real = float(losses.d_output(kind, real_logits).mean())
        d_fake = float(losses.d_output(kind, fake_logits).mean())
    return MatchMetrics(wasserstein_1d(fake.numpy(), quantiles), d_real, d_fake, d_loss)


def check_inception(config: RunConfig) -> Path | None:
    """The Inception weights a run asks for; asked for without weights on disk is a config problem,
    said before training starts rather than at the first evaluation."""
    if not (config.quality.inception and config.quality.every and not config.data.is_toy):
        return None
    from ganstudio.core.quality.inception_weights import find_inception_weights

    path, reason = find_inception_weights(config.quality.inception_weights)
    if path is None:
        raise ConfigError([("quality.inception", reason)])
    from ganstudio.core.quality.inception import InceptionError, check_inception_file

    try:
        check_inception_file(path)
    except InceptionError as exc:
        raise ConfigError([("quality.inception_weights", str(exc))]) from None
    return path


def build_trainer(config: RunConfig, run: RunDirectory, device: str | None = None, download: bool = True) -> Trainer:
    """A Trainer whose drawn points come from the run folder, wherever it has been moved to; a run whose
    quality scores could never be computed is refused here, before it trains to its first score. A run
    continued from its folder passes download=False: its config is a file anyone may have written, so the
    data it names must be on disk already."""
    check_inception(config)
    data = data_in_folder(config.data, run.path)
    if data is config.data:
        trainer = make_trainer(config, device=device, download=download)
    else:
        from ganstudio.core.data import build_data_source
        from ganstudio.core.device import select_device

        chosen = select_device(device or config.train.device)
        trainer = Trainer(config, data=build_data_source(data, chosen, seed=config.train.seed), device=chosen)
    if config.quality.every and not trainer.is_toy and not config.data.limit:
        from ganstudio.core.quality.errors import MIN_REAL_IMAGES, QualityError, too_few_to_score

        if len(trainer.image_data.images) < MIN_REAL_IMAGES:
            raise QualityError(too_few_to_score(len(trainer.image_data.images)))
    return trainer


def _data_gone(exc: DataError, config: RunConfig) -> DataError:
    """A run's image folder moved or renamed since it trained: the data may not change under a continued run, so
    the way on is to put the folder back, which "image folder not found" did not say."""
    path = config.data.path
    if config.data.dataset != "image-folder" or not path or not Path(path).is_absolute() or Path(path).exists():
        return exc  # a relative one (saved before runs named their folder absolutely) is read from where you run
    return DataError(
        f"{exc}: the run trained on that folder; put it back there (or a link to it) to continue the run, or start "
        "a new run on the folder where it is now"
    )


class TrainingSession:
    def __init__(
        self,
        trainer: Trainer,
        run: RunDirectory,
        total_steps: int | None = None,
        lock: RunLock | None = None,
    ):
        self.trainer = trainer
        self.run = run
        self.lock = lock  # held from start/resume/restart until close(): one process trains a folder
        self.total_steps = total_steps or trainer.config.train.steps
        self.resume_notes: list[str] = []  # what a resume changed, for the front end to say
        self.steps_lost = 0  # a resume's steps logged past its checkpoint, which it trains again
        self.resumed_change: Changed | None = None  # the live fields a resume changed, logged: the window marks them
        self.resumed_world_size = 1  # processes that trained the checkpoint resumed from (torchrun)
        self.resumed_rank_rng: list[torch.Tensor] | None = None  # their random states, rank by rank
        # Under torchrun, rank 0's check that every rank agrees, adding their random states to the state
        self.prepare_checkpoint: Callable[[dict[str, Any]], dict[str, Any]] | None = None
        self._saved_config = trainer.config.to_dict()  # as config.json holds it
        self._toy_real: np.ndarray | None = None
        self._quality: QualityEvaluator | None = None  # built on first use (it loads the feature network)
        past = [r["frechet"] for r in run.read_events("quality") if r["step"] <= trainer.step_count]
        self.best_frechet = min(past, default=float("inf"))
        self._best_due: float | None = None  # a new best score whose best.pt save_due_checkpoint writes
        self._unlogged: list[StepStats] = []  # drained from the trainer, not yet in metrics.jsonl (a full disk)
        self._unlogged_records: list[dict[str, Any]] = []  # events' records a failed write kept out of it

    @classmethod
    def start(
        cls,
        config: RunConfig,
        run: RunDirectory,
        device: str | None = None,
        prepare: Callable[[Trainer], None] | None = None,
        processes: int | None = None,
    ) -> TrainingSession:
        """prepare: called with the built trainer before anything is written (under torchrun, Trainer.join,
        whose refusals must leave the folder as it was); so for resume and restart. processes: how many
        processes train the run on this machine, for config.json (its Continue and a bare `train --resume`
        launch as many); None keeps the config's, as a run over many machines does."""
        lock = RunLock.acquire(run.path)
        try:
            config = _with_processes(config, processes)
            run.check_own_folders()
            if (inside := inside_training_images(run.path, config)) is not None:  # its grids would be trained on
                raise RunError(inside)
            config = adopt_drawn(data_named_absolutely(config), run.path)
            trainer = build_trainer(config, run, device)
            if prepare is not None:
                prepare(trainer)
            check_room(run, trainer, config.train.steps)
            run.write_config(config)
        except BaseException:
            lock.put_back()
            if config.data.dataset == "drawn":
                discard_drawn(run.path)
            run.remove_if_empty()
            raise
        run.remove_stale_temp_files()
        return cls(trainer, run, lock=lock)

    @classmethod
    def resume(
        cls,
        run: RunDirectory,
        total_steps: int | None = None,
        device: str | None = None,
        overrides: list[str] | None = None,
        prepare: Callable[[Trainer], None] | None = None,
        processes: int | None = None,
    ) -> TrainingSession:
        """Continues from checkpoints/latest.pt; metrics past that step are dropped, not duplicated.

        The checkpoint's config is the truth (live changes live in it); config.json edits and
        overrides (section.field=value) apply where resume_changes allows, and are refused by name
        elsewhere. Nothing in the folder is written until everything has been checked, and nothing is
        read before the lock is ours: a folder another process trains is refused as it is."""
        lock = RunLock.acquire(run.path)
        try:
            session = cls._resume(run, total_steps, device, overrides, prepare, processes)
        except BaseException:
            lock.put_back()
            raise
        session.lock = lock
        return session

    @classmethod
    def _resume(
        cls,
        run: RunDirectory,
        total_steps: int | None,
        device: str | None,
        overrides: list[str] | None,
        prepare: Callable[[Trainer], None] | None,
        processes: int | None,
    ) -> TrainingSession:
        on_disk, state, saved = _resumable(run)
        config, notes = resume_changes(saved, on_disk, overrides or [], total_steps, state["step"])
        config = _with_processes(config, processes)
        try:
            trainer = build_trainer(config, run, device, download=False)
        except DataError as exc:
            raise _data_gone(exc, config) from None
        restore_trainer(trainer, state)
        if not trainer.weights_are_finite():  # saved by a version that kept a run's NaN weights
            raise CheckpointError(
                f"{run.latest_checkpoint}: its weights are not all finite numbers (NaN or Inf), so continuing "
                "would train NaN; train the folder over with --restart, or start a new run"
            )
        if prepare is not None:
            prepare(trainer)
        check_room(run, trainer, config.train.steps)
        lost = run.truncate_metrics(trainer.step_count)
        if config.to_dict() != on_disk.to_dict():
            run.write_config(config)
        _take_over(run)
        step = trainer.step_count
        if step and checkpoint_due(step, saved) and not run.step_checkpoint(step).exists():
            _keep_step_copy(run, state, step)  # its writer, under the config it saved, was killed before the copy
        session = cls(trainer, run)
        if changes := live_changes(saved, config):  # marked on the loss plot, as a window's change is
            session.resumed_change = Changed(step, changes)
            logged = [r for r in run.read_events("change") if r["step"] == step]  # an earlier resume of this latest.pt
            if session.resumed_change.to_records()[0] not in logged:
                session.log(session.resumed_change)
        session.resume_notes = notes
        session.steps_lost = lost
        session.resumed_world_size = int(state.get("world_size", 1))
        session.resumed_rank_rng = state.get("rank_rng")
        return session

    @classmethod
    def restart(
        cls,
        run: RunDirectory,
        device: str | None = None,
        prepare: Callable[[Trainer], None] | None = None,
        processes: int | None = None,
    ) -> TrainingSession:
        """Trains a run folder over from step 0 with its config.json: its metrics, sample grids and
        checkpoints go (the user asked for this by name; resume never does it by itself)."""
        lock = RunLock.acquire(run.path)
        try:
            run.check_own_folders()
            on_disk = run.read_config()
            config = _with_processes(on_disk, processes)
            trainer = build_trainer(config, run, device, download=False)
            if prepare is not None:
                prepare(trainer)
            check_room(run, trainer, config.train.steps, restarting=True)
            if config.to_dict() != on_disk.to_dict():
                run.write_config(config)
            run.clear_history()
        except BaseException:
            lock.put_back()
            raise
        _take_over(run)
        return cls(trainer, run, lock=lock)

    def close(self) -> None:
        """Lets another process (or this one, again) train the folder; idempotent, and safe without a lock."""
        if self.lock is not None:
            self.lock.close()

    @property
    def step(self) -> int:
        return self.trainer.step_count

    @property
    def done(self) -> bool:
        return self.step >= self.total_steps

    def advance(self) -> Progress:
        """One step, measured, then its checkpoint when one is due."""
        progress = self.step_and_measure()
        self.save_due_checkpoint()
        return progress

    def step_and_measure(self, before_scoring: Callable[[list[StepStats]], None] | None = None) -> Progress:
        """One step and what it is due to log, picture and score; its checkpoint is saved apart, so a front
        end that cannot save it (a full disk) still shows what the step produced. before_scoring takes the
        step's statistics before a quality score, which takes seconds: a window then shows the step reached
        instead of the one before, and says it is scoring."""
        t = self.trainer
        t.step()
        cfg = t.config.train
        every = t.config.quality.every
        quality_due = bool(every) and not t.is_toy and (t.step_count % every == 0 or self.done)
        stats: list[StepStats] = []
        # a checkpoint (or a new best.pt) logs the pending stats first: drain them here, so they are returned
        # to the front end too instead of only reaching metrics.jsonl
        if t.step_count % cfg.log_every == 0 or self.done or quality_due or self.checkpoint_due:
            stats = self.flush_stats()
        picture = None
        if t.step_count % cfg.sample_every == 0 or self.done:
            picture = self.picture()
            self.run.save_samples(t.step_count, picture)
        modes = None
        if t.step_count % cfg.metrics_every == 0 or self.done:
            modes = self.measure_modes()
            if modes is not None:
                self.log(ModesMeasured(t.step_count, modes))
        quality, best = None, False
        if quality_due:
            if before_scoring is not None:
                before_scoring(stats)
                stats = []
            quality, best = self.measure_quality()
        classifier = self.measure_classifier() if quality_due and isinstance(t, SemiTrainer) else None
        return Progress(stats, picture, modes, quality, best, classifier)

    @property
    def checkpoint_due(self) -> bool:
        return checkpoint_due(self.step, self.trainer.config)

    def save_due_checkpoint(self) -> None:
        """best.pt on a new best score, then latest.pt when one is due. The best score moves only once
        best.pt holds it, so after a failed save the next score as good is saved; the failed one is not
        tried again at a later step, whose weights are not the ones scored."""
        best, self._best_due = self._best_due, None
        if best is not None:
            if self.trainer.config.quality.keep_best:  # step_and_measure() has drained the stats it holds
                save_checkpoint(self.trainer.state_dict(), self.run.best_checkpoint)
            self.best_frechet = best
        if self.checkpoint_due and self.trainer.weights_are_finite():  # NaN never replaces a good checkpoint
            self.save_checkpoint(keep_step_copy=True)

    def write_config_if_changed(self) -> None:
        current = self.trainer.config.to_dict()
        if current != self._saved_config:
            self.run.write_config(self.trainer.config)
            self._saved_config = current

    def measure_modes(self) -> ModeMetrics | None:
        return measure_modes(self.trainer)

    def quality_evaluator(self) -> QualityEvaluator:
        """Built on first use: the real side's features cost a few seconds once per run."""
        if self._quality is None:
            from ganstudio.core.data import scoring_set
            from ganstudio.core.quality.evaluator import QualityEvaluator
            from ganstudio.core.quality.inception import load_inception

            weights = check_inception(self.trainer.config)
            inception = load_inception(weights, self.trainer.device) if weights is not None else None
            real, labels = scoring_set(self.trainer.image_data, self.trainer.config.data, self.trainer.device)
            self._quality = QualityEvaluator(
                real,
                self.trainer.config.quality.samples,
                self.trainer.device,
                inception=inception,
                real_labels=labels,
                class_names=self.trainer.class_names,
                trained_on=self.trainer.image_data.images,
            )
        return self._quality

    def measure_quality(self) -> tuple[QualityReport, bool]:
        """Scores the EMA generator (or G) on quality.samples images; a new best is saved as best.pt by
        save_due_checkpoint, after the step is shown."""
        t = self.trainer
        report = self.quality_evaluator().evaluate(t.sample, t.config.model.latent_dim, seed=t.config.train.seed + 4)
        best = report.is_finite() and report.frechet < self.best_frechet
        if best:
            self._best_due = report.frechet  # best.pt is written with the step's checkpoint
        self.log(QualityScored(t.step_count, report.to_record(), best))
        return report, best

    def measure_classifier(self) -> ClassifierReport:
        """A semi-supervised D's accuracy on the held-out images, logged to metrics.jsonl."""
        assert isinstance(self.trainer, SemiTrainer)
        report = self.trainer.held_out_report()
        self.log(ClassifierScored(self.trainer.step_count, report))
        return report

    def log(self, event: Event) -> None:
        """Appends what metrics.jsonl keeps of an event (a change, an alarm, a rewind, a score). A write that fails
        (a full disk, the folder moved away) keeps it for the log's next write, where the failure is said: a
        quality check's records were lost for good, and the step's other measures with them."""
        self._unlogged_records += event.to_records()
        with contextlib.suppress(OSError):
            self._write_records()

    def _write_records(self) -> None:
        while self._unlogged_records:
            self.run.append_event(self._unlogged_records[0])  # a cut-short write is taken back: none twice
            self._unlogged_records.pop(0)

    def flush_stats(self) -> list[StepStats]:
        """The steps' statistics, logged: those a failed write (a full disk) kept out of the log go first at the
        next flush, not lost (the log had a gap for good, watchers and eval saw it too), after the events' records
        kept out; a cut-short write is taken back by append_run_file, so none is logged twice."""
        self._unlogged += self.trainer.drain_stats()
        self._write_records()
        self.run.append_metrics(self._unlogged)
        stats, self._unlogged = self._unlogged, []
        return stats

    def picture(self) -> np.ndarray:
        """The fixed-noise sample grid (8x8), or real-vs-generated scatter for toy data."""
        samples = self.trainer.fixed_samples()
        if not self.trainer.is_toy:
            return image_grid(samples, nrow=SAMPLE_GRID_COLUMNS)
        return scatter_image(self.toy_real(), self.trainer.sample_spread(self.toy_noise()).numpy())

    def save_last_samples(self) -> bool:
        """The grid of the step a run stopped at, when its sample interval had not come: reopened, a run
        stopped between grids showed none, or an older one than its checkpoint. True once there is one."""
        if self.step == 0:
            return False
        if not self.run.sample_path(self.step).is_file():
            self.run.save_samples(self.step, self.picture())
        return True

    def toy_real(self) -> np.ndarray:
        if self._toy_real is None:
            g = torch.Generator(device=self.trainer.device).manual_seed(12345)
            self._toy_real = self.trainer.data.sample(TOY_REAL_POINTS, g).cpu().numpy()
        return self._toy_real

    def toy_noise(self) -> torch.Tensor:
        g = torch.Generator().manual_seed(self.trainer.config.train.seed + 2)
        return torch.randn(TOY_REAL_POINTS, self.trainer.config.model.latent_dim, generator=g)

    def save_checkpoint(self, keep_step_copy: bool = False) -> Path:
        """Writes latest.pt (and keeps it as step_N.pt: see _keep_step_copy); pending stats are logged first so
        nothing is lost, and config.json first takes any live change, so it never disagrees with the checkpoint."""
        self.flush_stats()
        self.write_config_if_changed()
        state = self.trainer.state_dict()
        if self.prepare_checkpoint is not None:
            state = self.prepare_checkpoint(state)
        path = save_checkpoint(state, self.run.latest_checkpoint)
        if keep_step_copy:
            _keep_step_copy(self.run, state, self.step)
        return path


def _resumable(run: RunDirectory) -> tuple[RunConfig, dict[str, Any], RunConfig]:
    """The folder's config.json, its latest checkpoint's state and the config that state holds, each as
    continuing needs it; raises RunError or CheckpointError saying why the folder cannot be carried on."""
    on_disk = run.read_config()
    run.check_own_folders()  # before anything in them is read: a link there would decide what is read
    if run.latest_checkpoint.is_symlink():  # as config.json and the log: continuing replaces it with a file
        raise RunError(
            f"{run.latest_checkpoint} is a link, not a file of the run's own (continuing would replace it with "
            "one); copy the checkpoint it points to in its place and try again"
        )
    if not run.latest_checkpoint.exists():
        raise RunError(
            f"{run.path} has no checkpoint yet (stopped before its first save?): continuing would "
            "start again at step 0 and erase its metrics; train it over with --restart (or start a new run)"
        )
    state = load_checkpoint(run.latest_checkpoint, map_location="cpu")
    if "discriminator" not in state:
        raise CheckpointError(f"{run.latest_checkpoint}: {GENERATOR_ONLY}")
    try:
        saved = saved_config(state["config"])
    except ConfigError as exc:
        raise CheckpointError(f"{run.latest_checkpoint}: its config is not usable: {exc}") from None
    return on_disk, state, saved


class ContinueCheck(NamedTuple):
    problem: str | None  # why continuing would be refused before a step is trained, or None
    step: int | None  # the step the latest checkpoint holds, where a continued run goes on from (None: unread)


def continue_check(run: RunDirectory) -> ContinueCheck:
    """Whether continuing this folder would be refused (its checkpoint unreadable or an exported generator, its
    config.json edited where a continued run may not change), and from which step it goes on: what a window says
    when it opens the folder or sees its writer end, rather than at every press of Continue. Whether another
    process holds the folder is asked apart (run_lock.why_held): that changes by the second."""
    try:
        on_disk, state, saved = _resumable(run)
    except (RunError, CheckpointError) as exc:
        return ContinueCheck(str(exc), None)
    except OSError as exc:  # a log or folder that cannot be read or written (check_own_folders)
        return ContinueCheck(io_reason(exc), None)
    return ContinueCheck(edits_refused(saved, on_disk), state["step"])


def checkpoint_due(step: int, config: RunConfig) -> bool:
    """Whether a run under config saves latest.pt at step, and keeps it as step_N.pt."""
    return step % config.train.checkpoint_every == 0


def _keep_step_copy(run: RunDirectory, state: dict[str, Any], step: int) -> None:
    """latest.pt, which holds state, kept as step_N.pt: a second name for its file, made at once, so no kill leaves
    it half written; where the disk has no hard links, a copy, which a writer killed while writing it leaves to the
    resume to make."""
    if not second_name(run.latest_checkpoint, run.step_checkpoint(step)):
        save_checkpoint(state, run.step_checkpoint(step))


def _with_processes(config: RunConfig, processes: int | None) -> RunConfig:
    """A checked copy of config as `processes` processes train it (None: as many as it says); set before the
    checks, since some runs train in one only."""
    config = config.copy()
    if processes is not None:
        config.perf.processes = processes
    return check(config)


def _take_over(run: RunDirectory) -> None:
    """What a session carrying a folder on clears first: killed writers' temp files, and the last writer's
    heartbeat, live picture and generator copy."""
    run.remove_stale_temp_files()
    forget_last_writer(run.path)
