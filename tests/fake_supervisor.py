"""A stand-in for core/supervisor.py: its two hooks, and its events by the names and fields that
FolderBridge reads (core/events.py), so the folder protocol is tested without the real loop."""

from dataclasses import dataclass, field

import numpy as np


# Stand-ins for the events of core/events.py, by the names and fields the bridge reads.
@dataclass(frozen=True)
class RunInfo:
    run_dir: str
    device: str
    data: str
    start_step: int
    total_steps: int
    is_toy: bool


@dataclass(frozen=True)
class StatsBatch:
    stats: list


@dataclass(frozen=True)
class StateChanged:
    state: str


@dataclass(frozen=True)
class SampleFrame:
    step: int
    image: np.ndarray | None = None
    real: np.ndarray | None = None
    fake: np.ndarray | None = None
    saved: bool = False
    final: bool = False


@dataclass(frozen=True)
class Snapshot:
    step: int
    payload: dict


@dataclass(frozen=True)
class Remedy:
    label: str
    live: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    rewind: bool = False


@dataclass(frozen=True)
class Alarm:
    kind: str
    step: int
    message: str
    remedies: tuple = ()


@dataclass(frozen=True)
class Refused:
    step: int
    message: str


@dataclass(frozen=True)
class Finished:
    reason: str
    step: int


@dataclass
class FakeSupervisor:
    """Implements only the two hooks the bridge uses, the way the supervisor's contract states them."""

    sources: list = field(default_factory=list)
    listeners: list = field(default_factory=list)

    def add_command_source(self, poll) -> None:
        self.sources.append(poll)

    def add_listener(self, callback) -> None:
        self.listeners.append(callback)

    def emit(self, event) -> None:
        for listener in self.listeners:
            listener(event)

    def poll(self) -> list:
        return [c for source in self.sources for c in source()]
