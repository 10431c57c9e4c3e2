"""One run supervisor for every front end: commands in, typed events out.

The window's worker thread, the CLI loop (and a watched run folder, through the hooks) all drive a
TrainingSession through this class, so health alarms, rewind, live changes, snapshots and the
pacing of pictures follow one set of rules. Commands arrive through one thread-safe queue and are
handled in arrival order between steps; while paused the loop blocks on that queue. Events come
out of `run()`, a generator, and go to every listener on the way.

No torch import at module level: the window imports this before torch has loaded.
"""

from __future__ import annotations

import copy
import queue
import time
import traceback
from collections import deque
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

from ganstudio.core.events import (
    Alarm,
    Changed,
    CheckpointSaved,
    ClassifierScored,
    Command,
    CommandKind,
    DistributionShown,
    Event,
    Failed,
    Finished,
    FinishReason,
    ModesMeasured,
    QualityScored,
    Refused,
    Rewound,
    RunInfo,
    RunState,
    SampleFrame,
    Scoring,
    Snapshot,
    StateChanged,
    StatsBatch,
    ThreadsChosen,
)
from ganstudio.core.pacing import paced_interval
from ganstudio.core.stats import StepStats
from ganstudio.core.thread_governor import ThreadGovernor
from ganstudio.core.user_errors import io_reason

if TYPE_CHECKING:
    from ganstudio.core.health import HealthMonitor
    from ganstudio.core.session import Progress, TrainingSession
    from ganstudio.core.trainer import Trainer

STATS_INTERVAL_S = 0.25  # <= 4 stats batches a second, as often as the window's plots redraw
PICTURE_INTERVAL_S = (1.0, 2.0)  # live pictures at most once a second, at least every 2 s ...
PICTURE_COST_FACTOR = 100  # ... waiting 100x what the last one took in between: ~1 % of training
HEADLESS_PICTURE_INTERVAL_S = (1.0, 60.0)  # nobody watching live: only the 1 % duty cycle bounds them
REWIND_EVERY = 200  # steps between in-memory snapshots that "rewind" can go back to
POLL_INTERVAL_S = 0.25  # command sources at most this often; a paused loop wakes this often to look


class Supervisor:
    def __init__(
        self,
        make_session: Callable[[], TrainingSession],
        paused: bool = False,
        gui: bool = False,
    ):
        """make_session runs in run(), on the supervisor's thread (loading data takes seconds);
        gui: a window shares the CPU, so training takes one thread fewer (fast_path.choose_threads), and shows
        live pictures, at least every 2 s; headless runs keep only the 1 % duty cycle, which the 2 s ceiling
        cost measurably (bench supervisor, README)."""
        self._make_session = make_session
        self._gui = gui
        self._commands: queue.Queue[Command] = queue.Queue()
        self._sources: list[Callable[[], list[Command]]] = []
        self._listeners: list[Callable[[Event], None]] = []
        self._pending: deque[Event] = deque()
        self.session: TrainingSession | None = None
        self.monitor: HealthMonitor | None = None
        self.paused = paused
        self.picture_intervals = PICTURE_INTERVAL_S if gui else HEADLESS_PICTURE_INTERVAL_S
        self.picture_interval = self.picture_intervals[0]
        self._stop: FinishReason | None = None
        self._discard = False  # a stop that ends the run without its checkpoint (the user chose to lose it)
        self._stop_saved = False  # the stop's checkpoint is written: shutting down need not write it again
        self._waiting_for_room = False  # a save failed at the run's end: it waits, paused, for Resume or Stop
        self._nan_pause = False
        self._good_state: dict[str, Any] | None = None
        self._good_step = -REWIND_EVERY
        self._last_poll = -POLL_INTERVAL_S
        self._last_stats = 0.0
        self._last_picture = 0.0
        self.thread_governor: ThreadGovernor | None = None  # a CPU run on auto threads, on more than one

    # --- from any thread ---------------------------------------------------------------------
    def submit(self, command: Command) -> None:
        self._commands.put(command)

    def add_command_source(self, poll: Callable[[], list[Command]]) -> None:
        """poll runs on the supervisor's thread between steps (at most every POLL_INTERVAL_S) and while paused."""
        self._sources.append(poll)

    def add_listener(self, callback: Callable[[Event], None]) -> None:
        """callback runs on the supervisor's thread for every event, as it happens."""
        self._listeners.append(callback)

    # --- on the supervisor's thread ----------------------------------------------------------
    @property
    def rewind_step(self) -> int | None:
        """The step a rewind would go back to; None before the first good snapshot."""
        return self._good_step if self._good_state is not None else None

    @property
    def _live_session(self) -> TrainingSession:
        """The session run() made: every step, command and picture comes after _begin."""
        if self.session is None:
            raise RuntimeError("the supervisor has no session before run() starts it")
        return self.session

    @property
    def _live_monitor(self) -> HealthMonitor:
        if self.monitor is None:
            raise RuntimeError("the supervisor has no health monitor before run() starts it")
        return self.monitor

    def run(self) -> Generator[Event, None, None]:
        """Trains until done or stopped, yielding every event; always ends with Finished, and the session
        closed (its folder lock released) even when the consumer gives up on the generator."""
        reason = FinishReason.ERROR
        try:
            try:
                self._begin()
                yield from self._drain()
                reason = yield from self._loop()
            except Exception as exc:  # noqa: BLE001 - every failure must reach the front end as an event
                self._emit(Failed(traceback.format_exc(), exc))
                reason = FinishReason.ERROR
            if self.session is not None and reason is not FinishReason.ERROR and not self._shut_down():
                reason = FinishReason.ERROR  # its last steps are not saved: neither done nor a clean stop
            self._emit(Finished(reason, self.session.step if self.session is not None else 0))
        finally:
            close = getattr(self.session, "close", None)
            if close is not None:
                close()
        yield from self._drain()

    def _begin(self) -> None:
        from ganstudio.core.fast_path import apply_threads

        session = self.session = self._make_session()
        trainer = session.trainer
        if trainer.device.type == "cpu":
            threads = apply_threads(trainer.config.perf.threads, gui=self._gui)
            if trainer.config.perf.threads == 0 and threads > 1 and trainer.ranks is None:
                self.thread_governor = ThreadGovernor(threads)
                _set_threads(self.thread_governor.threads)  # its first steps are timed on one thread
        self._emit(
            RunInfo(
                str(session.run.path),
                _device_words(trainer, self.thread_governor.most if self.thread_governor else None),
                trainer.data.describe(),
                session.step,
                session.total_steps,
                trainer.is_toy,
                trainer.class_names,
            )
        )
        self._emit(StateChanged(RunState.PAUSED if self.paused else RunState.RUNNING))
        if session.resumed_change is not None:  # logged by the resume; a window continuing the run marks it too
            self._emit(session.resumed_change)
        self.monitor = self._make_monitor()
        self._picture(saved=False)
        self._snapshot()
        self._last_stats = self._last_picture = time.monotonic()

    def _loop(self) -> Generator[Event, None, FinishReason]:
        while True:
            if self._nan_pause:
                self._nan_pause = False
                self._set_paused(True)
            self._take_commands(wait=self.paused)
            yield from self._drain()
            if self._stop is not None:
                if not self._saved_before_end(self._stop):
                    continue
                return self._stop
            if self._live_session.done and not self._waiting_for_room:
                if not self._saved_before_end(FinishReason.DONE):
                    continue
                return FinishReason.DONE
            if not self.paused:
                self._step()
                yield from self._drain()

    def _drain(self) -> Iterator[Event]:
        while self._pending:
            yield self._pending.popleft()

    def _emit(self, event: Event) -> None:
        for listener in self._listeners:
            listener(event)
        self._pending.append(event)

    def _record(self, event: Event) -> None:
        """An event metrics.jsonl keeps: logged by the session, then emitted."""
        self._live_session.log(event)
        self._emit(event)

    # --- commands ----------------------------------------------------------------------------
    def _take_commands(self, wait: bool) -> None:
        """Every command waiting, in arrival order; wait: block up to POLL_INTERVAL_S for the first one."""
        now = time.monotonic()
        if wait or now - self._last_poll >= POLL_INTERVAL_S:
            self._last_poll = now
            for poll in self._sources:
                for command in poll():
                    self._commands.put(command)
        try:
            command = self._commands.get(timeout=POLL_INTERVAL_S) if wait else self._commands.get_nowait()
        except queue.Empty:
            return
        while self._stop is None:
            self._handle(command)
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return

    def _handle(self, command: Command) -> None:
        fields = command.fields or {}
        match CommandKind(command.kind):
            case CommandKind.PAUSE:
                self._set_paused(True)
            case CommandKind.RESUME:
                self._set_paused(False)
            case CommandKind.STEP | CommandKind.STEP_D | CommandKind.STEP_G if (
                self.paused and not self._live_session.done
            ):
                self._single_step(CommandKind(command.kind))
            case CommandKind.CHANGE:
                self._apply(fields)
            case CommandKind.REWIND:
                self._rewind()
            case CommandKind.SAVE:
                self._save()
            case CommandKind.SNAPSHOT:
                self._snapshot()
            case CommandKind.STOP:
                self._stop = FinishReason.NAN if fields.get("why") == FinishReason.NAN.value else FinishReason.STOPPED
                self._discard = bool(fields.get("discard"))
                self._waiting_for_room = False

    def _saved_before_end(self, reason: FinishReason) -> bool:
        """In a window, the last checkpoint (of a stop, or of the run's end) is written before the run ends:
        when it cannot be (a full disk, a folder gone) the run pauses instead, its weights still in memory, and
        says why; freeing space and stopping (or continuing) again loses no step. Headless, nobody could free
        space and answer: the run ends, its failure said."""
        if not self._gui or self._discard or reason is FinishReason.NAN:
            return True
        from ganstudio.core.checkpoint import CheckpointError

        try:
            self._save()
        except (CheckpointError, OSError) as exc:  # OSError: the metrics written first (a folder gone)
            self._stop = None
            self._pause_unsaved(exc, ending=reason)
            return False
        self._stop_saved = True
        return True

    def _set_paused(self, paused: bool) -> None:
        if not paused:
            self._waiting_for_room = False  # Resume at the end of a run tries its last save again
        if paused == self.paused:
            return
        self.paused = paused
        if paused:  # the front end shows every finished step, and its picture, before it says "paused"
            try:
                self._emit_stats(self._live_session.flush_stats())
            except OSError:  # pausing for a full disk: the steps stay for the log's next write, shown then
                pass
            self._picture(saved=False)
            self._last_picture = time.monotonic()
        self._emit(StateChanged(RunState.PAUSED if paused else RunState.RUNNING))

    def _single_step(self, kind: CommandKind) -> None:
        """While paused: a full step, or one D or one G update (these two log no stats: no step is counted)."""
        trainer = self._live_session.trainer
        if kind is CommandKind.STEP:
            self._step()
        else:
            (trainer.discriminator_step if kind is CommandKind.STEP_D else trainer.generator_step)()
            self._picture(saved=False)

    def _apply(self, changes: dict[str, Any]) -> None:
        session = self._live_session
        try:
            applied = session.trainer.apply_changes(changes)
        except Exception as exc:  # noqa: BLE001 - a refused change is reported, the run goes on
            self._emit(Refused(session.step, f"Change refused: {exc}", change=True))
            return
        self._emit_stats(session.flush_stats())
        session.write_config_if_changed()  # config.json is the config the next step uses
        self._record(Changed(session.step, applied))
        self._live_monitor.follow(session.trainer.config)

    def _rewind(self) -> None:
        """Back to the last in-memory snapshot whose stats were all finite, with the config it ran with."""
        session = self._live_session
        if self._good_state is None:
            self._emit(Refused(session.step, "No good snapshot to rewind to yet"))
            return
        from ganstudio.core.config import RunConfig

        trainer = session.trainer
        trainer.config = RunConfig.from_dict(self._good_state["config"])  # a change that broke the run is undone
        trainer.load_state_dict(copy.deepcopy(self._good_state))  # the optimizers would alias it
        self._live_monitor.follow(trainer.config)
        session.run.truncate_metrics(session.step)
        session.write_config_if_changed()
        self._record(Rewound(session.step, trainer.config.to_dict()))

    def _save(self) -> None:
        """The Save command's, and the end of a run's. Weights gone NaN are not saved: the last checkpoint
        saved while they were numbers stays latest.pt."""
        session = self._live_session
        if not session.trainer.weights_are_finite():
            kept = "the last checkpoint is kept" if session.run.latest_checkpoint.is_file() else "none was saved before"
            self._emit(Refused(session.step, f"not saved: the weights are NaN or Inf; {kept}"))
            return
        self._emit_stats(self._live_session.flush_stats())  # what the checkpoint holds, the front end has seen
        path = self._live_session.save_checkpoint()
        self._emit(CheckpointSaved(self._live_session.step, str(path)))

    def _snapshot(self, final: bool = False) -> None:
        from ganstudio.core.trainer_state import CHECKPOINT_FORMAT, CHECKPOINT_VERSION

        trainer = self._live_session.trainer
        state = {k: v.detach().to("cpu", copy=True) for k, v in trainer.sampling_generator.state_dict().items()}
        self._emit(
            Snapshot(
                trainer.step_count,
                {
                    "format": CHECKPOINT_FORMAT,
                    "version": CHECKPOINT_VERSION,
                    "generator": state,
                    "config": trainer.config.to_dict(),
                    "class_names": list(trainer.class_names),
                    "step": trainer.step_count,
                    "final": final,
                },
            )
        )

    # --- training ----------------------------------------------------------------------------
    def _step(self) -> None:
        session = self._live_session
        try:
            progress = session.step_and_measure(self._before_scoring)
            self._govern_threads()
            if self._gui:  # shown first: a checkpoint not saved pauses the run with nothing missing on screen
                self._show(progress)
                session.save_due_checkpoint()
            else:  # saved first: a checkpoint not saved ends the run, its error the last line printed
                session.save_due_checkpoint()
                self._show(progress)
        except (RuntimeError, OSError) as exc:  # a CheckpointError is a RuntimeError: imported only when raised
            self._wait_for_room(exc)

    def _before_scoring(self, stats: list[StepStats]) -> None:
        """A quality score takes seconds: the step it scores is shown first, and in a window the generator it
        scores goes to the explorer, which would otherwise show the last one it was sent (at a run's end,
        often the first step's)."""
        self._emit_stats(stats)
        self._last_stats = time.monotonic()
        if self._gui:
            self._snapshot()
        self._emit(Scoring(self._live_session.step))

    def _govern_threads(self) -> None:
        """A run on auto threads follows the machine's load: the governor times its steps."""
        if self.thread_governor is None:
            return
        trainer = self._live_session.trainer
        choice = self.thread_governor.observe(trainer.last_step_seconds)
        if choice is None:
            return
        _set_threads(choice.threads)
        if choice.timings:
            self._emit(ThreadsChosen(trainer.step_count, choice.threads, _device_words(trainer), choice.describe()))

    def _wait_for_room(self, exc: RuntimeError | OSError) -> None:
        """In a window a run that cannot write (a full disk) waits, paused, its weights in memory, for room;
        headless it ends at its last checkpoint, with the error said."""
        from ganstudio.core.checkpoint import CheckpointError

        if not self._gui or not isinstance(exc, (CheckpointError, OSError)):
            raise exc
        self._pause_unsaved(exc)

    def _pause_unsaved(self, exc: Exception, ending: FinishReason | None = None) -> None:
        """Says why a checkpoint was not written and pauses; ending: the stop or the end of the run it was
        for, which then waits for Stop (or Resume) again."""
        session = self._live_session
        self._waiting_for_room = ending is not None or session.done
        gone = not session.run.path.is_dir()
        if gone:
            why = f"the run folder {session.run.path} is gone (removed or moved)"
        else:
            why = io_reason(exc) if isinstance(exc, OSError) else str(exc)
        remedy = "put the folder back" if gone else "free some space"
        if ending is None:
            said, again = "Not saved", "continue or stop"
        else:
            stopping = ending is FinishReason.STOPPED
            said, again = ("Not stopped", "stop again") if stopping else ("Not finished", "continue again")
        self._emit(
            Refused(
                session.step,
                f"{said}: {why}. The run is paused with its weights in memory: once the checkpoint can be "
                f"written ({remedy}), {again}",
                stop=ending is not None,
            )
        )
        self._set_paused(True)

    def _show(self, progress: Progress) -> None:
        session = self._live_session
        if progress.modes is not None:
            self._emit(ModesMeasured(session.step, progress.modes))
            self._raise(self._live_monitor.observe_modes(session.step, progress.modes.modes_captured))
        if progress.quality is not None:
            self._emit(QualityScored(session.step, progress.quality.to_record(), progress.best))
        if progress.classifier is not None:
            self._emit(ClassifierScored(session.step, progress.classifier))
        now = time.monotonic()
        if progress.picture is not None:
            self._picture(saved=True)
            self._last_picture = now
        stats = progress.stats
        if self.paused or now - self._last_stats >= STATS_INTERVAL_S:
            stats = stats + session.flush_stats()
            self._last_stats = now
        self._emit_stats(stats)
        if self._last_picture != now and (self.paused or now - self._last_picture >= self.picture_interval):
            self._picture(saved=False)
            self._last_picture = now

    def _emit_stats(self, stats: list[StepStats]) -> None:
        if not stats:
            return
        self._emit(StatsBatch(stats))
        self._raise(self._live_monitor.observe_stats(stats))
        # a step's stats come before its update, so an update that blew the weights up still has finite stats
        if (
            all(s.is_finite() for s in stats)
            and self._live_session.step - self._good_step >= REWIND_EVERY
            and self._live_session.trainer.weights_are_finite()
        ):
            self._good_state = copy.deepcopy(self._live_session.trainer.state_dict())
            self._good_step = self._live_session.step

    def _raise(self, alarms: list[Alarm]) -> None:
        for alarm in alarms:
            self._record(alarm)
            if alarm.kind == "nan":
                self._nan_pause = True  # before the next step: nothing trains on NaN weights unasked

    def _make_monitor(self) -> HealthMonitor:
        import torch

        from ganstudio.core.health import HealthMonitor, mean_pairwise_distance

        trainer = self._live_session.trainer
        real = trainer.data.sample(64, torch.Generator(device=trainer.device).manual_seed(99)).cpu().numpy()
        return HealthMonitor(trainer.config, mean_pairwise_distance(real))

    # --- pictures ----------------------------------------------------------------------------
    def _picture(self, saved: bool, final: bool = False) -> None:
        """A live picture. On a CPU its forward passes come out of training, so the next one waits
        100x what this took, within the interval's bounds."""
        started = time.perf_counter()
        session = self._live_session
        self._emit(self._frame(saved, final))
        if session.trainer.is_toy:
            from ganstudio.core.distribution import LAB_POINTS, distribution_frame

            real = session.toy_real()[:LAB_POINTS]
            self._emit(DistributionShown(distribution_frame(session.trainer, real, session.toy_noise()[:LAB_POINTS])))
        self.picture_interval = paced_interval(
            time.perf_counter() - started, PICTURE_COST_FACTOR, *self.picture_intervals
        )

    def _frame(self, saved: bool, final: bool) -> SampleFrame:
        import numpy as np

        from ganstudio.core.health import mean_pairwise_distance

        session = self._live_session
        trainer = session.trainer
        if trainer.is_toy:
            fake = trainer.sample_spread(session.toy_noise()).numpy()
            diverse = fake[:64]
            frame = SampleFrame(
                trainer.step_count,
                real=np.ascontiguousarray(session.toy_real()),
                fake=np.ascontiguousarray(fake),
                saved=saved,
                final=final,
            )
        else:
            from ganstudio.core.imaging import SAMPLE_GRID_COLUMNS, image_grid

            images = trainer.fixed_samples()
            diverse = images.astype(np.float32) / 127.5 - 1
            frame = SampleFrame(
                trainer.step_count, image=image_grid(images, nrow=SAMPLE_GRID_COLUMNS), saved=saved, final=final
            )
        if trainer.step_count > 0:
            self._raise(self._live_monitor.observe_diversity(trainer.step_count, mean_pairwise_distance(diverse)))
        return frame

    def _shut_down(self) -> bool:
        """The run's last checkpoint, and its last picture and generator copy for the views (live ones
        lag by up to a few seconds, and the explorer's may be from step 0). A failure here (a full
        disk) is said, not raised: raised, it would skip Finished and leave a window waiting for ever.
        False when the last checkpoint failed."""
        checkpointed = True
        try:
            if not (self._stop_saved or self._discard):
                self._save()
        except Exception as exc:  # noqa: BLE001 - reported to the front end with its cause
            said = f"The final checkpoint was not saved: {exc}"
            self._emit(Failed(f"{traceback.format_exc()}\n{said}", exc, said))
            checkpointed = False
        try:
            saved = not self._discard and self._live_session.save_last_samples()  # quitting without: write nothing
            self._picture(saved=saved, final=True)
            self._snapshot(final=True)
        except Exception as exc:  # noqa: BLE001 - reported; the run is over either way
            self._emit(Failed(traceback.format_exc(), exc))
        return checkpointed


def _device_words(trainer: Trainer, threads: int | None = None) -> str:
    """The run's device as the window's status bar shows it: its threads on the CPU (this thread's count unless
    given), its processes under torchrun, the fast paths taken."""
    from ganstudio.core.device import describe_device

    return f"{describe_device(trainer.device, threads)}{_processes(trainer)}; {trainer.fast.describe()}"


def _set_threads(count: int) -> None:
    import torch

    torch.set_num_threads(count)


def _processes(trainer: Trainer) -> str:
    """Under torchrun the device line is one rank's: it says how many there are and each one's batch."""
    if trainer.ranks is None or trainer.ranks.world_size == 1:
        return ""
    return f" x {trainer.ranks.world_size} processes, a batch of {trainer.local_batch} each"
