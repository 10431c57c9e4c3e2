"""`ganstudio train` on one process: the arguments it refuses, the session it opens or continues, and the
loop that prints its progress and turns Ctrl-C, SIGTERM and SIGHUP into a stop that saves. Many processes
go through cli_distributed, which starts torchrun and runs this loop on rank 0."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

from ganstudio.cli_errors import EXIT_ALARM, EXIT_INTERRUPTED, CliError, user_errors
from ganstudio.core.config import DEFAULT_PRESET, RunConfig, load_config, override_field, preset
from ganstudio.core.stop_signals import stop_signals
from ganstudio.core.user_errors import io_reason
from ganstudio.core.wording import counted

if TYPE_CHECKING:
    from ganstudio.core.control import FolderBridge
    from ganstudio.core.runlog import RunDirectory


def config_from_args(args: argparse.Namespace) -> RunConfig:
    if args.preset and args.config:
        raise CliError("give --preset or --config, not both")
    config = load_config(args.config) if args.config else preset(args.preset or DEFAULT_PRESET)
    flags = {"train.steps": args.steps, "train.seed": args.seed, "train.device": args.device or None}
    for field in map(override_field, args.set or []):
        if flags.get(field) is not None:  # which should win is a guess either way
            raise CliError(f"--{field.split('.')[1]} and --set {field} both given; give one")
    if args.steps is not None:
        config.train.steps = args.steps
    if args.seed is not None:
        config.train.seed = args.seed
    if args.device:
        config.train.device = args.device
    from ganstudio.core.config import PATH_DATASETS, apply_override, check

    for assignment in args.set or []:
        apply_override(config, assignment)
    if "data.path" in map(override_field, args.set or []) and config.data.dataset not in PATH_DATASETS:
        raise CliError(  # it would train on the dataset named, the folder given only written into config.json
            f"--set data.path: {config.data.dataset} reads no folder; to train on your own images add "
            "--set data.dataset=image-folder"
        )
    return check(config)


def check_train_arguments(args: argparse.Namespace) -> None:
    """The combinations of train arguments that are refused; `train --nproc` asks before starting torchrun."""
    if args.restart and not args.resume:
        raise CliError("--restart trains a run folder over: give it with --resume RUN_DIR")
    given = [override_field(assignment) for assignment in args.set or []]
    if twice := sorted({field for field in given if given.count(field) > 1}):
        raise CliError(f"--set {twice[0]} given more than once; give it once")  # the last one won, unchecked
    if args.nproc is not None and "perf.processes" in given:
        said = next(a for a in args.set if override_field(a) == "perf.processes").strip()
        raise CliError(f"--nproc {args.nproc} and --set {said} both say how many processes train; give one")
    if not args.resume:
        return
    if args.preset or args.config or args.out:
        raise CliError("--resume continues a run with its own config; drop --preset/--config/--out")
    if args.seed is not None:
        raise CliError(
            "--seed cannot change when a run continues (its random state is in the checkpoint); "
            "start a new run with --seed"
        )
    if args.restart and (args.set or args.steps is not None):
        raise CliError("--restart trains the folder's config.json as it is; edit it instead of --set/--steps")
    if "perf.processes" in given:
        raise CliError("perf.processes is how many processes the window launches; on the command line use --nproc N")


def refuse_a_run_among_its_images(out: str | Path, config: RunConfig) -> None:
    """Before a folder is made (TrainingSession.start refuses it too, once the folder is there): a run folder inside
    the image folder it trains on would have its grids read as training images."""
    from ganstudio.core.run_data import inside_training_images

    if (inside := inside_training_images(Path(out), config)) is not None:
        raise CliError(inside)


def session_for(args: argparse.Namespace, processes: int | None, prepare=None):
    """prepare and processes: TrainingSession's (rank 0 under torchrun joins its group and says how many)."""
    from ganstudio.core.paths import default_runs_dir
    from ganstudio.core.runlog import RunDirectory
    from ganstudio.core.session import TrainingSession

    check_train_arguments(args)
    if not args.resume:
        from ganstudio.core.session import check_inception

        config = config_from_args(args)
        check_inception(config)  # a wrong weights file is refused before a folder is made
        refuse_a_run_among_its_images(args.out or default_runs_dir(), config)
        run = RunDirectory.at(args.out) if args.out else RunDirectory.create(default_runs_dir(), config.preset or "run")
        return TrainingSession.start(config, run, prepare=prepare, processes=processes)
    run = RunDirectory.open(args.resume)
    if args.restart:
        return TrainingSession.restart(run, device=args.device, prepare=prepare, processes=processes)
    session = TrainingSession.resume(
        run, total_steps=args.steps, device=args.device, overrides=args.set, prepare=prepare, processes=processes
    )
    lost = session.steps_lost
    said = f"; the {counted(lost, 'step')} logged after it {'was' if lost == 1 else 'were'} not saved and train again"
    print(f"continuing from step {session.step:,} (its latest checkpoint){said if lost else ''}", flush=True)
    for note in session.resume_notes:
        print(f"changed on resume: {note}", flush=True)
    return session


class ProcessesAsked(NamedTuple):
    processes: int
    source: str  # what chose it, as the user gave it: their --nproc, a --set, a --config file or a run's config.json


def processes_asked(args: argparse.Namespace) -> ProcessesAsked:
    """--nproc, else the config's perf.processes (a run folder's, when continuing one). A config that
    cannot be read counts as 1: session_for then says what is wrong with it, as it always has."""
    if args.nproc is not None:
        return ProcessesAsked(args.nproc, f"--nproc {args.nproc}")
    try:
        if args.resume:
            from ganstudio.core.runlog import RunDirectory

            count = RunDirectory.open(args.resume).read_config().perf.processes
            return ProcessesAsked(count, f"perf.processes {count} in the run's config.json")
        count = config_from_args(args).perf.processes
    except user_errors():
        return ProcessesAsked(1, "a config that does not read")
    if "perf.processes" in [override_field(assignment) for assignment in args.set or []]:
        return ProcessesAsked(count, f"--set perf.processes={count}")
    return ProcessesAsked(count, f"perf.processes {count} in {args.config or 'the preset'}")


def train_one_process(args: argparse.Namespace) -> int:
    session = session_for(args, processes=1)
    try:
        if session.resumed_world_size != 1 and session.step > 0:
            print(
                f"ganstudio: warning: resuming on 1 process a run saved on {session.resumed_world_size}: the weights "
                "and optimizer states carry over; the data order and noise differ from an uninterrupted run",
                file=sys.stderr,
                flush=True,
            )
        return run_session(session, args.on_alarm)
    finally:
        session.close()  # the folder's lock: free for the next train --resume, even in this process


class StopSource(Protocol):
    """A way to be told to stop besides the folder's commands: a signal, the launcher gone. reason: the stop
    line's words once it has asked."""

    reason: str

    def commands(self) -> list: ...


def run_session(session, on_alarm: str, ranks=None, stop_sources: Sequence[StopSource] = ()) -> int:
    """ranks: rank 0's group under torchrun; stop_sources: more ways to be told to stop (the launcher gone)."""
    from ganstudio.cli_progress import TrainingProgress
    from ganstudio.core.control import attach_folder
    from ganstudio.core.events import (
        Alarm,
        Changed,
        CheckpointSaved,
        ClassifierScored,
        Failed,
        Finished,
        FinishReason,
        QualityScored,
        Refused,
        Rewound,
        RunInfo,
        StatsBatch,
        ThreadsChosen,
    )
    from ganstudio.core.supervisor import Supervisor
    from ganstudio.core.unattended import OnAlarm, Unattended

    if ranks is None:
        supervisor = Supervisor(lambda: session)
    else:  # rank 0 of a run under torchrun (cli_distributed)
        from ganstudio.core.rank_leader import LeaderSupervisor

        supervisor = LeaderSupervisor(lambda: session, ranks)
    bridge = attach_folder(supervisor, session.run)  # a window watching the folder can see and steer this run
    unattended = Unattended(OnAlarm(on_alarm))
    failure: Failed | None = None
    finished = Finished(FinishReason.ERROR, session.step)
    saved, saved_step = "", 0
    log_every = session.trainer.config.train.log_every
    with (
        StopOnInterrupt(abort_on_repeat=ranks is None) as stop,
        TrainingProgress(session.total_steps, session.step) as bar,
    ):
        sources = (stop, *stop_sources)
        for source in sources:
            supervisor.add_command_source(_logging_its_reason(source, bridge))
        for event in supervisor.run():
            match event:
                case RunInfo():
                    bar.write(f"run folder: {event.run_dir}")
                    bar.write(f"data: {event.data}; device: {event.device}")
                case StatsBatch(stats=stats):  # the display moves at log points, as the log does
                    logged = [s for s in stats if s.step % log_every == 0 or s.step == session.total_steps]
                    if logged:
                        bar.update(logged[-1].step, loss_d=logged[-1].loss_d, loss_g=logged[-1].loss_g)
                case QualityScored(step=step, scores=q, best=best):
                    classes = event.class_scores()
                    bar.write(
                        f"step {step:,}: FD {q['frechet']:.2f}, precision {q['precision']:.2f}, "
                        f"recall {q['recall']:.2f}, coverage {q['coverage']:.2f}"
                        + (
                            f", label accuracy {100 * classes['label_accuracy']:.1f} %"
                            if "label_accuracy" in classes
                            else ""
                        )
                        + (f", mean intra-FD {classes['intra_fd']:.2f}" if "intra_fd" in classes else "")
                        + (
                            " (best so far; checkpoints/best.pt)"
                            if best and session.trainer.config.quality.keep_best
                            else ""
                        )
                    )
                case ClassifierScored(step=step, report=report):
                    bar.write(f"step {step:,}: classifier accuracy {100 * report.accuracy:.1f} % on {report.split}")
                case Alarm():
                    bar.write(
                        f"alarm at step {event.step:,}: {event.message} "
                        f"(remedies: {'; '.join(r.label for r in event.remedies) or 'none'})"
                    )
                    for command in unattended.commands_for(event, supervisor.rewind_step):
                        supervisor.submit(command)
                case Changed(step=step, changes=changes):
                    bar.write(f"step {step:,}: changed {', '.join(f'{k}={v:g}' for k, v in changes.items())}")
                case Rewound(step=step):
                    bar.write(f"rewound to step {step:,}")
                case ThreadsChosen(step=step, message=message):
                    bar.write(f"step {step:,}: {message}")
                case Refused(step=step, message=message):
                    bar.write(f"step {step:,}: {message}")
                case CheckpointSaved(path=path, step=step):
                    saved, saved_step = path, step
                case Failed():
                    failure = failure or event
                case Finished():
                    finished = event
        if finished.reason is not FinishReason.ERROR:  # a failed run's error line is the last word
            bar.update(session.step)
    processes = f" --nproc {ranks.world_size}" if ranks is not None else ""  # what a resume asks for too
    if failure is not None:
        if isinstance(failure.error, OSError):  # a disk filled or went read-only under the run, or it went
            kept = what_is_kept(session.run, options=processes)
            raise CliError(kept if not session.run.path.is_dir() else f"{io_reason(failure.error)}; {kept}")
        raise failure.error if failure.error is not None else CliError(failure.message.strip().splitlines()[-1])
    if finished.reason is FinishReason.NAN or unattended.stop_message is not None:
        kept = _kept(saved, session.run, saved_step)  # its step: an alarm comes with a batch of stats, steps late
        print(f"ganstudio: {unattended.stop_message}; {kept}", file=sys.stderr, flush=True)
        return EXIT_ALARM
    if finished.reason is FinishReason.STOPPED:  # unsaved only when the weights went NaN before an alarm said so
        kept = _kept(saved, session.run)
        resumable = saved or session.run.latest_checkpoint.exists()
        carry_on = f"\ncontinue with: {session.run.resume_command}{processes}" if resumable else ""
        print(f"{_stop_reason(*sources)} at step {session.step:,}; {kept}{carry_on}", flush=True)
        return EXIT_INTERRUPTED
    print(f"done: {counted(session.step, 'step')}; checkpoint {saved}; samples in {session.run.samples_dir}")
    return 0


def _kept(saved: str, run, step: int | None = None) -> str:
    """What a run ending on a stop or an alarm leaves to carry on from: a checkpoint saved weights gone NaN.
    step: the saved checkpoint's, when the line does not say it already."""
    if saved:
        return f"checkpoint{'' if step is None else f' of step {step:,}'} saved to {saved}"
    latest = run.latest_checkpoint
    return f"{latest} from before is kept" if latest.exists() else "no checkpoint was saved before the weights went NaN"


REPEATED_INTERRUPT = (
    "again, before the run had stopped and saved: the steps since its last checkpoint are lost "
    "(one Ctrl-C stops a run and saves them)"
)


def _logging_its_reason(source: StopSource, bridge: FolderBridge) -> Callable[[], list]:
    """source's commands, its reason logged once it asks for a stop: a window watching the folder says why the
    run stopped ("stopped by SIGHUP"), where it said only that it had."""
    logged = False

    def commands() -> list:
        nonlocal logged
        asked = source.commands()
        if asked and source.reason and not logged:
            logged = True
            bridge.note_stop(source.reason)
        return asked

    return commands


def _stop_reason(*sources: StopSource) -> str:
    """What asked for the stop: a source that says so, or else a command in the folder (a watching window)."""
    return next((source.reason for source in sources if source.reason), "stopped from a watching window")


class StopOnInterrupt:
    """Ctrl-C, SIGTERM (a scheduler, `kill`) and SIGHUP (a closed terminal) ask the loop to stop between
    steps, so the checkpoint is consistent and nothing trained is lost; a second one aborts."""

    def __init__(self, abort_on_repeat: bool = True):
        """abort_on_repeat=False under torchrun: a Ctrl-C reaches rank 0 from the terminal and again from
        torchrun, and must not abort the save; torchrun's SIGKILL after its grace period is the hard stop."""
        self.abort_on_repeat = abort_on_repeat
        self.requested = False
        self.reason = ""
        self._previous: dict[int, object] = {}

    def commands(self) -> list:
        """A command source for the supervisor: a stop, once one was asked for (handlers only set a flag:
        a handler that touched the command queue could deadlock on its lock)."""
        from ganstudio.core.events import Command, CommandKind

        return [Command(CommandKind.STOP.value)] if self.requested else []

    def _handle(self, signum, frame):
        if self.requested:
            if not self.abort_on_repeat:
                return
            raise KeyboardInterrupt(REPEATED_INTERRUPT)
        self.requested = True
        self.reason = "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"

    def __enter__(self):
        """A signal this process was started with ignored stays ignored: `nohup` ignores SIGHUP so that a run
        outlives its terminal, and a shell starts a script's background jobs with Ctrl-C ignored; handled
        here, a closed terminal stopped a nohup'd run."""
        self._previous = {sig: signal.signal(sig, self._handle) for sig in stop_signals()}
        return self

    def __exit__(self, *exc):
        # Under torchrun a rank whose loop has ended (a peer died: an error, or a failure the supervisor
        # reported) has yet to say so in one line, and torchrun, which saw the same death, sends its SIGTERM
        # now: the default action would end the rank silently first. It is ignored from here; torchrun's
        # SIGKILL after its grace period stays the hard stop.
        for sig, previous in self._previous.items():
            signal.signal(sig, previous if self.abort_on_repeat else signal.SIG_IGN)
        return False


def what_is_kept(run: RunDirectory, then: str = "make room, then ", options: str = "") -> str:
    """After a run failed (a write, by default): whether there is a checkpoint to carry it on from, and how.
    then: what to do first; options: what the command needs besides the folder (--nproc N)."""
    if not run.path.is_dir():
        return f"the run folder {run.path} is gone (removed or moved while the run trained); it was not made again"
    resume = run.resume_command
    if not run.latest_checkpoint.is_file():
        return f"it had saved no checkpoint yet: {then}train it over with: {resume} --restart{options}"
    return f"{run.latest_checkpoint} is kept: {then}continue with: {resume}{options}"
