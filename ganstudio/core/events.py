"""What a run says (typed events) and what it is told (commands), shared by every front end.

The supervisor yields these; the window, the CLI and a watched run folder consume them. The ones a
run keeps (stats, quality, modes, change, alarm, rewind) write and read themselves as the
metrics.jsonl records GAN Studio has always written, so an old run folder reads as events too.
Nothing here imports torch: the window reads a run's history before torch is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from ganstudio.core.mode_metrics import ModeMetrics
from ganstudio.core.semi.report import ClassifierReport
from ganstudio.core.stats import StepStats

if TYPE_CHECKING:  # numpy is loaded after the window's first paint
    import numpy as np

    from ganstudio.core.distribution_frame import DistributionFrame


class CommandKind(str, Enum):
    PAUSE = "pause"
    RESUME = "resume"
    STEP = "step"  # while paused: k D updates and a G update
    STEP_D = "step_d"  # while paused: one D update
    STEP_G = "step_g"  # while paused: one G update
    CHANGE = "change"  # fields: live hyperparameters (Trainer.LIVE_FIELDS)
    REWIND = "rewind"
    SAVE = "save"
    SNAPSHOT = "snapshot"
    STOP = "stop"  # fields may say {"why": "nan"}: a front end that stops because of NaN


@dataclass(frozen=True)
class Command:
    """A request to the running loop; id lets another process match the command to what it caused."""

    kind: str
    fields: dict[str, Any] | None = None
    id: str | None = None

    def __post_init__(self) -> None:
        CommandKind(self.kind)  # a ValueError names a command that does not exist, before it is queued


class RunState(str, Enum):
    RUNNING = "running"
    PAUSED = "paused"


class FinishReason(str, Enum):
    DONE = "done"
    STOPPED = "stopped"
    ERROR = "error"
    NAN = "nan"


class Event:
    """Base of everything a run says; `to_records` is what metrics.jsonl keeps of it (nothing, for most)."""

    def to_records(self) -> list[dict[str, Any]]:
        return []


@dataclass(frozen=True)
class RunInfo(Event):
    run_dir: str
    device: str
    data: str
    start_step: int
    total_steps: int
    is_toy: bool
    class_names: tuple[str, ...] = ()  # a conditional run's classes: the sample grid has a row for each


@dataclass(frozen=True)
class StateChanged(Event):
    state: RunState


@dataclass(frozen=True)
class StatsBatch(Event):
    stats: list[StepStats]

    def to_records(self) -> list[dict[str, Any]]:
        return [s.to_record() for s in self.stats]


@dataclass(frozen=True)
class SampleFrame(Event):
    """One sample picture for the view: an image grid, or real and generated points for toy data."""

    step: int
    image: np.ndarray | None = None  # uint8 (H, W) or (H, W, 3), C-contiguous
    real: np.ndarray | None = None  # float (N, dim)
    fake: np.ndarray | None = None
    saved: bool = False  # True for the grids written to samples/ (the history the slider scrubs)
    final: bool = False  # True for the picture of the step the run ended at


@dataclass(frozen=True)
class DistributionShown(Event):
    frame: DistributionFrame


@dataclass(frozen=True)
class ModesMeasured(Event):
    step: int
    modes: ModeMetrics

    def to_records(self) -> list[dict[str, Any]]:
        return [{"step": self.step, "event": "modes", **self.modes.to_record()}]


# Keys a class-conditional run adds to QualityScored.scores (absent for an unconditional one):
# numbers in [0, 1] (accuracies) or Fréchet distances, and per-class tables {class name: value}.
CLASS_SCORES = ("label_accuracy", "real_label_accuracy", "intra_fd")
CLASS_TABLES = ("class_label_accuracy", "class_intra_fd")


@dataclass(frozen=True)
class QualityScored(Event):
    step: int
    scores: dict[str, Any]  # QualityReport.to_record(); with CLASS_SCORES and CLASS_TABLES for conditional runs
    best: bool

    def class_scores(self) -> dict[str, float]:
        """The conditional scores this evaluation has (label accuracy, its real-data reference, mean
        intra-FD); empty for an unconditional run."""
        return {key: float(self.scores[key]) for key in CLASS_SCORES if key in self.scores}

    def class_table(self) -> dict[str, dict[str, float]]:
        """Per class name: {"label_accuracy": ..., "intra_fd": ...} as far as measured."""
        table: dict[str, dict[str, float]] = {}
        for key in CLASS_TABLES:
            for name, value in (self.scores.get(key) or {}).items():
                table.setdefault(str(name), {})[key.removeprefix("class_")] = float(value)
        return table

    def to_records(self) -> list[dict[str, Any]]:
        return [{"step": self.step, "event": "quality", "best": self.best, **self.scores}]


@dataclass(frozen=True)
class ClassifierScored(Event):
    """A semi-supervised run's D as a classifier, scored on the held-out images it never trains on."""

    step: int
    report: ClassifierReport

    def to_records(self) -> list[dict[str, Any]]:
        return [{"step": self.step, "event": "classifier", **self.report.to_record()}]


@dataclass(frozen=True)
class Remedy:
    label: str
    live: dict[str, Any] = field(default_factory=dict)  # trainer.apply_changes() fields
    config: dict[str, Any] = field(default_factory=dict)  # "section.field" -> value, for the next run
    rewind: bool = False


@dataclass(frozen=True)
class Alarm(Event):
    """A health alarm (core.health): what was seen and up to three remedies; the log keeps no remedies."""

    kind: str  # "nan" | "vanishing-gradients" | "mode-collapse" | "divergence" | "oscillation"
    step: int
    message: str
    remedies: tuple[Remedy, ...] = ()

    def to_record(self) -> dict[str, Any]:
        return {"step": self.step, "event": "alarm", "kind": self.kind, "message": self.message}

    def to_records(self) -> list[dict[str, Any]]:
        return [self.to_record()]


@dataclass(frozen=True)
class Refused(Event):
    """A command the run could not carry out (a bad change, nothing to rewind to); the run goes on."""

    step: int
    message: str
    change: bool = False  # a refused live change: a window says it beside the fields it came from
    stop: bool = False  # a stop whose checkpoint could not be saved: the run paused instead of ending


@dataclass(frozen=True)
class Scoring(Event):
    """The run is scoring its samples' quality at this step (seconds on a CPU): its steps wait meanwhile."""

    step: int


@dataclass(frozen=True)
class ThreadsChosen(Event):
    """A run on auto CPU threads changed its count to follow the machine's load (core.thread_governor)."""

    step: int
    threads: int
    device: str  # the run's device in words, with the new count
    message: str


@dataclass(frozen=True)
class Changed(Event):
    step: int
    changes: dict[str, Any]

    def to_records(self) -> list[dict[str, Any]]:
        return [{"step": self.step, "event": "change", **self.changes}]


@dataclass(frozen=True)
class Rewound(Event):
    step: int
    config: dict[str, Any] | None = None  # the config training goes on with (not kept in the log)

    def to_records(self) -> list[dict[str, Any]]:
        return [{"step": self.step, "event": "rewind"}]


@dataclass(frozen=True)
class CheckpointSaved(Event):
    step: int
    path: str


@dataclass(frozen=True)
class Snapshot(Event):
    """A detached CPU copy of the sampling generator with its config, for the explorer."""

    step: int
    payload: dict[str, Any]  # checkpoint-shaped: format, version, generator, config, step, final


@dataclass(frozen=True)
class Failed(Event):
    message: str  # traceback text, or the reason a final save failed
    error: BaseException | None = None  # for a front end that reports errors by their type
    summary: str = ""  # the error in a person's words when it needs more than str(error) (what it cost)


@dataclass(frozen=True)
class Finished(Event):
    reason: FinishReason
    step: int


def event_from_record(record: dict[str, Any]) -> Event | None:
    """The event a well-formed metrics.jsonl record stands for; None for kinds this version does not know."""
    step, kind = int(record["step"]), record.get("event")
    rest = {k: v for k, v in record.items() if k not in ("step", "event")}
    if kind is None:
        return StatsBatch([StepStats.from_record(record)])
    if kind == "change":
        return Changed(step, rest)
    if kind == "rewind":
        return Rewound(step)
    if kind == "alarm":
        return Alarm(str(record.get("kind", "")), step, str(record.get("message", "")))
    if kind == "modes":
        own = record.get("own_mode")
        return ModesMeasured(
            step,
            ModeMetrics(
                int(record["modes"]),
                int(record["modes_total"]),
                float(record["high_quality"]),
                float(record["js"]),
                tuple(float(v) for v in own) if isinstance(own, list) else None,
            ),
        )
    if kind == "classifier":
        return ClassifierScored(step, ClassifierReport.from_record(rest))
    if kind == "quality":
        rest.pop("best", None)
        return QualityScored(step, rest, bool(record.get("best")))
    return None
