"""`ganstudio train` on many processes: as one rank under torchrun, or starting torchrun itself.

Under torchrun (WORLD_SIZE > 1 in the environment) rank 0 opens the run folder and runs the one
supervisor (core/rank_leader.py); the other ranks get the config and the weights from it and follow
(core/rank_follower.py). `--nproc N` runs `python -m torch.distributed.run --standalone` on this
machine, in a session of its own so that a Ctrl-C reaches the run once, through torchrun.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import IO, TYPE_CHECKING, NoReturn

from ganstudio import cli_train
from ganstudio.cli_errors import EXIT_ALARM, EXIT_INTERRUPTED, EXIT_USAGE, CliError
from ganstudio.cli_progress import print_or_drop
from ganstudio.core.process_state import no_such_process
from ganstudio.core.wording import LOST_PEER

if TYPE_CHECKING:
    from ganstudio.core.distributed import RankGroup
    from ganstudio.core.session import TrainingSession
    from ganstudio.core.trainer import Trainer

TORCHRUN_ENV = "WORLD_SIZE"


def under_torchrun() -> bool:
    return int(os.environ.get(TORCHRUN_ENV, "1")) > 1


def leave(status: int) -> NoReturn:
    """A rank's last act, once its run has ended, every file is written and the group is closed.

    The interpreter's teardown after a process group (its daemon threads, then C++'s static
    destructors) now and then aborted a rank that had finished ("terminate called without an active
    exception", SIGABRT), and torchrun took the finished run for a failed one. Ending at once, as the
    multiprocessing module ends its children, skips that teardown.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def forwarded_arguments(args: argparse.Namespace) -> list[str]:
    """The train arguments each rank gets: the user's, without --nproc."""
    out = ["train"]
    for flag, value in (
        ("--preset", args.preset),
        ("--config", args.config),
        ("--steps", args.steps),
        ("--seed", args.seed),
        ("--out", args.out),
        ("--device", args.device),
        ("--resume", args.resume),
    ):
        if value is not None:
            out.append(f"{flag}={value}")  # one word: a value starting with "-" stays a value
    if args.restart:
        out.append("--restart")
    for assignment in args.set or []:
        out.append(f"--set={assignment}")
    return [*out, "--on-alarm", args.on_alarm]


LAUNCHER_ENV = "GANSTUDIO_LAUNCHER_PID"  # set by `train --nproc` for rank 0 to watch
LAUNCHER_CHECK_S = 1.0


class LauncherWatch:
    """Rank 0's stop source when `train --nproc` started the group: a stop (a checkpoint saved, every rank
    ended) once the launcher is gone. Killed outright, it cannot pass a signal on, and torchrun and its ranks
    trained on detached, holding the folder's lock. reason: what the stop line says once it fired."""

    def __init__(self, pid: int):
        self.pid = pid
        self.reason = ""
        self._checked = 0.0

    def commands(self) -> list:
        from ganstudio.core.events import Command, CommandKind

        now = time.monotonic()
        if self.reason or now - self._checked < LAUNCHER_CHECK_S:
            return []
        self._checked = now
        if not no_such_process(self.pid):
            return []
        self.reason = f"stopped: the `ganstudio train --nproc` that launched it (pid {self.pid}) ended"
        return [Command(CommandKind.STOP.value)]


def launcher_watch() -> LauncherWatch | None:
    text = os.environ.get(LAUNCHER_ENV, "")
    return LauncherWatch(int(text)) if text.isdecimal() else None


def torchrun_command(nproc: int, train_args: list[str], max_restarts: int = 0) -> list[str]:
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc-per-node={nproc}",
        f"--max-restarts={max_restarts}",
        f"--log-dir={os.devnull}",  # the ranks print to our streams; a folder of empty logs per run is litter
        "-m",
        "ganstudio",
        *train_args,
    ]


def exit_status(run_dir: str, torchrun_status: int, launched_at: float) -> int:
    """The status one process would have ended with, read from how the run's heartbeat says it ended:
    ranks end a stop or an alarm with 0, or torchrun would restart them (with --max-restarts). A heartbeat
    written before the launch is an earlier run's ending and says nothing about this one. Its own time is
    rank 0's clock, this machine's; the file's mtime is the file server's, behind or ahead on a shared
    folder."""
    from ganstudio.core.control import read_heartbeat

    beat = read_heartbeat(run_dir)
    state = beat.state if beat is not None and beat.time >= launched_at else ""
    if state == "done" and torchrun_status == 0:
        return 0
    if state == "stopped":
        return EXIT_INTERRUPTED
    if state == "nan":
        return EXIT_ALARM
    return torchrun_status or 1


PASSED_ON = ("ganstudio:", "step ")  # the ranks' own one-line errors, warnings and progress lines


def _pass_on(stream: IO[str], log: IO[str], errors: list[str]) -> None:
    """Keeps torchrun's tracebacks in the log and passes the ranks' own lines on to the terminal; each rank's
    `ganstudio: error:` line also goes into `errors`. One that another rank went (rank 0 says it; a follower's
    would too) is held there, not printed, until torchrun has said which rank that was (_killed_rank)."""
    for line in stream:
        try:
            log.write(line)
            log.flush()
        except OSError:
            pass  # a full disk: the ranks' lines must still be read, or they block writing them
        if line.startswith("ganstudio: error: "):
            errors.append(line.rstrip("\n"))
        if line.startswith(PASSED_ON) and not _held(line):
            print_or_drop(line.rstrip("\n"), sys.stderr)  # `2>&1 | head`: keep reading, or the ranks block


HELD = f"ganstudio: error: {LOST_PEER} ("  # a rank's line that another rank went: printed once torchrun says which


def _held(line: str) -> bool:
    return line.startswith(HELD)


FAILURES = "Failures:"  # torchrun's ChildFailedError report, at the log's end: the others, then the first
_FAILURE = re.compile(
    r"rank\s*:\s*(\d+)\b[^\n]*\n[^\n]*exitcode\s*:\s*(-?\d+)\s*\(pid:\s*(\d+)\)[ \t]*(?:\((SIG\w+)\))?"
)
REPORT_BYTES_PER_RANK = 4096  # the report's part for one failure is a few hundred bytes; the log before it
# holds hours of progress lines, so only its end is read


def _killed_rank(log_path: str, nproc: int) -> str | None:
    """Which rank a signal ended (kill -9, the system out of memory), as torchrun reports it: such a rank says
    nothing itself, and the others only that one of them went. torchrun's own SIGTERM to the others, once
    one has gone, is not it; of two, the first torchrun observed. None when no signal ended a rank."""
    try:
        with open(log_path, "rb") as fh:
            fh.seek(max(0, os.fstat(fh.fileno()).st_size - REPORT_BYTES_PER_RANK * (nproc + 1)))
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return None
    _, found, report = text.rpartition(FAILURES)
    failures = [m.groups() for m in _FAILURE.finditer(report)] if found else []
    killed = [f for f in failures if int(f[1]) < 0 and f[3] != "SIGTERM"]
    if not killed:
        return None
    rank, status, pid, name = killed[-1]  # the report lists the first observed failure last
    how = name or f"signal {-int(status)}"
    if name == "SIGKILL":
        how += " (kill -9, or the system out of memory)"
    return f"rank {rank} of {nproc} (pid {pid}) was killed by {how}"


def _check_devices(request: str, nproc: int, asked: str) -> None:
    """One GPU per process: with fewer, rank N would fail on an invalid device ordinal inside torchrun. asked:
    what chose nproc, as the user knows it (their --nproc, or a run's config.json)."""

    if request != "auto" and not request.startswith("cuda"):
        return
    import torch

    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if count < nproc and (count > 0 or request != "auto"):
        raise CliError(
            f"{asked} on device {request} needs {nproc} GPUs, one per process; this machine has {count}"
            + ("" if asked.startswith("--nproc") else "; give --nproc N for fewer")
        )


def launch(args: argparse.Namespace, asked: cli_train.ProcessesAsked) -> int:
    """Starts torchrun with the ranks asked for on this machine and waits for it; signals are passed on once."""
    from ganstudio.core.config import check
    from ganstudio.core.paths import default_runs_dir
    from ganstudio.core.runlog import RunDirectory

    nproc = asked.processes
    if not 2 <= nproc <= 1024:
        raise CliError("--nproc must be from 1 to 1024")
    from ganstudio.core.distributed import timeout_s

    # What rank 0 would refuse is refused here, in one line, before torchrun starts N processes.
    timeout_s()
    cli_train.check_train_arguments(args)
    continuing = RunDirectory.open(args.resume) if args.resume else None
    config = continuing.read_config() if continuing is not None else cli_train.config_from_args(args)
    if config.train.labelled_per_class:  # its config's rule would ask for perf.processes 1, which was not given
        raise CliError(f"a semi-supervised run trains in one process; run it without {asked.source}")
    config.perf.processes = nproc
    check(config)
    _check_devices(args.device or config.train.device, nproc, asked.source)
    made: RunDirectory | None = None  # the folder this launch made, taken back if the run never began
    if continuing is not None:
        run_dir = str(continuing.path)
    else:
        from ganstudio.core.session import check_inception

        check_inception(config)  # before a folder is made and N processes start
        cli_train.refuse_a_run_among_its_images(args.out or default_runs_dir(), config)
        made = (
            RunDirectory.at(args.out) if args.out else RunDirectory.create(default_runs_dir(), config.preset or "run")
        )
        args.out = run_dir = str(made.path)  # fixed here, so a restarted rank 0 finds the same folder
    fd, log_path = tempfile.mkstemp(prefix="ganstudio-torchrun-", suffix=".log")
    launched_at = time.time()
    with os.fdopen(fd, "w", encoding="utf-8") as log:
        child = subprocess.Popen(
            torchrun_command(nproc, forwarded_arguments(args)),
            env={**os.environ, LAUNCHER_ENV: str(os.getpid())},
            start_new_session=True,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        assert child.stderr is not None
        errors: list[str] = []
        reader = threading.Thread(target=_pass_on, args=(child.stderr, log, errors), daemon=True)
        reader.start()

        def forward(signum: int, _frame: FrameType | None) -> None:
            child.send_signal(signum)

        names = ("SIGINT", "SIGTERM", "SIGHUP")
        previous = {
            sig: signal.signal(sig, forward) for sig in (getattr(signal, n) for n in names if hasattr(signal, n))
        }
        try:
            status = child.wait()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        reader.join(timeout=10)
    killed = _killed_rank(log_path, nproc) if status != 0 else None  # a report is written only on a failure
    for line in errors:  # "ganstudio: error: another process ...", held: which one, first
        if _held(line):
            print_or_drop(line if killed is None else line.replace("error: ", f"error: {killed}: ", 1), sys.stderr)
    result = exit_status(run_dir, status, launched_at)
    if result not in (0, EXIT_INTERRUPTED) and made is not None:
        made.remove_if_empty()  # a run refused by its rank 0 leaves no folder behind, as one process's does
    if result in (0, EXIT_INTERRUPTED):
        os.unlink(log_path)
        return result
    if errors or result == EXIT_ALARM:  # the rank's one line has reached the terminal already
        os.unlink(log_path)
        return EXIT_USAGE
    failed = f"the {nproc} processes failed" + (f": {killed}" if killed else "")
    print(
        f"ganstudio: error: {failed} (torchrun status {status}); their output is in {log_path}",
        file=sys.stderr,
        flush=True,
    )
    return result


def _leader_session(
    args: argparse.Namespace, device: str, prepare: Callable[[Trainer], None], processes: int | None
) -> TrainingSession:
    """Rank 0's session: as one process's, except that a group restarted by torchrun continues the
    folder it was training (from its last checkpoint, or from step 0 if there was none yet). prepare joins
    the trainer to the group, whose refusals (a batch that does not split) come before anything is written."""
    from ganstudio.core.distributed import restart_count
    from ganstudio.core.runlog import RunDirectory
    from ganstudio.core.session import TrainingSession

    if not args.resume and not args.out:
        raise CliError("under torchrun give --out RUN_DIR (a restarted group must find the same folder)")
    args.device = device
    if restart_count() > 0:
        folder = args.resume or args.out
        run = RunDirectory(folder)
        if RunDirectory.holds_a_run(folder):
            if run.latest_checkpoint.exists():
                return TrainingSession.resume(run, device=device, prepare=prepare, processes=processes)
            return TrainingSession.restart(run, device=device, prepare=prepare, processes=processes)
    return cli_train.session_for(args, processes, prepare)


def _device_request(args: argparse.Namespace) -> str:
    """The same answer on every rank, before any of them has a config from rank 0."""
    if args.device:
        return str(args.device)
    if args.resume:
        from ganstudio.core.runlog import RunDirectory

        return RunDirectory.open(args.resume).read_config().train.device

    return cli_train.config_from_args(args).train.device


def _ignore_signals() -> None:
    """Ranks other than 0 let rank 0 decide how to end (it saves, then tells them); torchrun's
    SIGKILL after its grace period is the hard stop."""
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)


def train_on_ranks(args: argparse.Namespace) -> int:
    """One rank's part of `torchrun ... -m ganstudio train`."""
    from ganstudio.core.distributed import RankGroup, RankInfo, spread_cpu_threads

    info = RankInfo.from_env()
    assert info is not None  # under_torchrun() said so
    request = _device_request(args)
    ranks = RankGroup.join(info, request)
    try:
        if ranks.device.type == "cpu":
            spread_cpu_threads(info)
        if ranks.is_leader:
            return _lead(args, ranks)
        _ignore_signals()
        return _follow(ranks)
    except RuntimeError as exc:
        from ganstudio.core.distributed import DistributedError, lost_peer

        lost = lost_peer(exc)
        if lost is None:
            raise
        from ganstudio.core.runlog import RunDirectory

        folder = args.resume or args.out  # under torchrun a run has one (_leader_session)
        options = f" --nproc {info.world_size}"
        kept = (
            cli_train.what_is_kept(RunDirectory(folder), then="", options=options) if folder else "nothing was trained"
        )
        raise DistributedError(f"{lost}; {kept}") from None
    finally:
        ranks.close()


def _lead(args: argparse.Namespace, ranks: RankGroup) -> int:
    from ganstudio.core.distributed import to_cpu
    from ganstudio.core.rank_leader import checkpoint_check

    try:
        # one machine's count goes to config.json; a run over many machines keeps its config's
        processes = ranks.world_size if ranks.info.local_world_size == ranks.world_size else None
        session = _leader_session(
            args, str(ranks.device), prepare=lambda trainer: trainer.join(ranks), processes=processes
        )
    except BaseException as exc:
        ranks.announce("error", str(exc))
        raise
    try:
        trainer = session.trainer
        same_world = session.resumed_world_size == ranks.world_size
        if session.step > 0 and not same_world:
            print(
                f"ganstudio: warning: resuming on {ranks.world_size} processes a run saved on "
                f"{session.resumed_world_size}: the weights and optimizer states carry over; the data order and "
                "noise differ from an uninterrupted run (new shards and random streams)",
                file=sys.stderr,
                flush=True,
            )
        ranks.announce(
            "start",
            to_cpu(
                {
                    "config": trainer.config.to_dict(),
                    "state": trainer.state_dict(),
                    "rank_rng": session.resumed_rank_rng if same_world else None,
                    "run": str(session.run.path),
                    "downloads": session.trainer.download,  # none for a folder's config on rank 0: nor on the others
                }
            ),
        )
        session.prepare_checkpoint = checkpoint_check(session, ranks)
        launcher_gone = launcher_watch()
        status = cli_train.run_session(
            session, args.on_alarm, ranks=ranks, stop_sources=[launcher_gone] if launcher_gone else []
        )
    finally:
        session.close()
    # A deliberate end is a success to torchrun, which would otherwise restart the group (--max-restarts);
    # the heartbeat says stopped or nan, which `train --nproc` turns back into 130 or 2.
    return 0 if status in (EXIT_INTERRUPTED, EXIT_ALARM) else status


def _follow(ranks: RankGroup) -> int:
    from ganstudio.core.config import RunConfig
    from ganstudio.core.distributed import rank_seed
    from ganstudio.core.fast_path import apply_threads
    from ganstudio.core.rank_follower import follow
    from ganstudio.core.runlog import RunDirectory
    from ganstudio.core.session import build_trainer

    op, payload = ranks.receive()
    if op != "start":
        return EXIT_USAGE  # rank 0 said why, in one line
    assert isinstance(payload, dict)  # rank 0's "start" carries the run's config, folder and state
    config = RunConfig.from_dict(payload["config"])
    trainer = build_trainer(
        config, RunDirectory(payload["run"]), device=str(ranks.device), download=payload["downloads"]
    )
    if trainer.device.type == "cpu":
        apply_threads(config.perf.threads, gui=False)
    trainer.join(ranks)
    state = payload["state"]
    trainer.load_state_dict(state)
    if payload["rank_rng"] is not None:
        trainer.rng.set_state(payload["rank_rng"][ranks.rank])
    else:
        trainer.rng.manual_seed(rank_seed(config.train.seed, ranks.rank, int(state["step"])))
    return follow(trainer, ranks)
