"""`ganstudio bench supervisor`: what the run supervisor costs a headless run.

Two runs of one preset in one process: the bare session loop (what `ganstudio train` ran before
the supervisor: session.advance() until done) and the supervisor's generator, consumed as the CLI
consumes it. They train in alternating chunks because this machine's speed drifts from minute to
minute; the figure is the median of the paired chunk ratios. Both do the same logging and sample
grids (neither reaches a checkpoint: the bench's runs are endless); the supervisor adds its command
queue, health checks, rewind snapshots and paced live pictures. Quality scoring is off on both sides: seconds per evaluation would drown the rest.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ganstudio.bench.arguments import add_json, add_preset, add_set
from ganstudio.bench.child_process import BenchError
from ganstudio.bench.endless_run import make_endless
from ganstudio.bench.table import format_table, median, write_json
from ganstudio.cli_types import positive_int
from ganstudio.core.config import apply_override, check, preset
from ganstudio.core.events import Alarm, Event, Failed, Finished
from ganstudio.core.runlog import RunDirectory
from ganstudio.core.supervisor import Supervisor

if TYPE_CHECKING:  # torch loads when the bench runs, not when the CLI parses its arguments
    from ganstudio.core.session import TrainingSession

HELP = "what the run supervisor costs a headless run"
DEFAULT_PRESET = "fashion-dcgan"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_preset(parser, DEFAULT_PRESET)
    parser.add_argument("--steps", type=positive_int, default=200, help="steps per side (default: 200)")
    parser.add_argument("--chunk", type=positive_int, default=20, help="steps per alternating chunk (default: 20)")
    add_set(parser)
    add_json(parser)


def main(args: argparse.Namespace) -> int:
    print(
        run_supervisor_bench(
            args.preset or DEFAULT_PRESET, steps=args.steps, chunk=args.chunk, json_path=args.json, overrides=args.set
        )
    )
    return 0


WARM_UP_STEPS = 2


def _session(name: str, folder: Path, overrides: list[str] | None) -> TrainingSession:
    from ganstudio.core.session import TrainingSession

    config = preset(name)
    make_endless(config)
    config.train.device, config.quality.every = "cpu", 0
    for assignment in overrides or []:
        apply_override(config, assignment)
    return TrainingSession.start(check(config), RunDirectory.at(folder))


def _bare_chunk(session: TrainingSession, steps: int, batch: int) -> float:
    started = time.perf_counter()
    target = session.step + steps
    while session.step < target:
        session.advance()
    return steps * batch / (time.perf_counter() - started)


def _supervised_chunk(session: TrainingSession, events: Iterator[Event], steps: int, batch: int) -> float:
    """session: the one the supervisor drives, which events steps forward. A run gone NaN is paused by its
    supervisor until someone answers, which nobody here would: the bench ends, saying why."""
    started, first = time.perf_counter(), session.step
    for event in events:  # an event comes at a log point, so the chunk may run a few steps past its target
        if (isinstance(event, Alarm) and event.kind == "nan") or isinstance(event, Failed | Finished):
            raise BenchError(f"the supervised run ended or paused at step {session.step:,}: {_said(event)}")
        if session.step >= first + steps:
            break
    return (session.step - first) * batch / (time.perf_counter() - started)


def _said(event: Alarm | Failed | Finished) -> str:
    if isinstance(event, Alarm):
        return f"{event.message} Choose settings that train (the bench measures a run that does)"
    if isinstance(event, Failed):
        return event.summary or (event.message.strip().splitlines() or ["it failed"])[-1]
    return f"it finished ({event.reason.value})"


def run_supervisor_bench(
    name: str, steps: int, chunk: int, json_path: str | None, overrides: list[str] | None = None
) -> str:
    from ganstudio.core.fast_path import apply_threads

    with tempfile.TemporaryDirectory(prefix="ganstudio-bench-") as tmp:
        chunks = max(1, steps // chunk)
        bare = _session(name, Path(tmp) / "bare", overrides)
        supervised = _session(name, Path(tmp) / "supervised", overrides)
        apply_threads(bare.trainer.config.perf.threads, gui=False)  # the supervisor does the same at its start
        batch = bare.trainer.config.train.batch_size
        supervisor = Supervisor(lambda: supervised)  # as `train`
        events = supervisor.run()
        next(events)  # RunInfo: the session is made
        # its set-up (health reference, first picture) is not a step
        _supervised_chunk(supervised, events, WARM_UP_STEPS, batch)
        _bare_chunk(bare, WARM_UP_STEPS, batch)
        bare_rates, supervised_rates = [], []
        for _ in range(chunks):
            bare_rates.append(_bare_chunk(bare, chunk, batch))
            supervised_rates.append(_supervised_chunk(supervised, events, chunk, batch))
        events.close()
    ratio = median([s / b for s, b in zip(supervised_rates, bare_rates, strict=True)])
    rows = [
        [name, "bare session loop", f"{median(bare_rates):,.0f}", "1.00"],
        [name, "supervisor (CLI)", f"{median(supervised_rates):,.0f}", f"{ratio:.3f}"],
    ]
    write_json(
        json_path,
        "supervisor",
        {
            "preset": name,
            "chunks": len(bare_rates),
            "chunk_steps": chunk,
            "bare_images_per_s": bare_rates,
            "supervised_images_per_s": supervised_rates,
            "median_paired_ratio": ratio,
        },
    )
    return format_table(["preset", "loop", "img/s (median)", "ratio (median of pairs)"], rows)
