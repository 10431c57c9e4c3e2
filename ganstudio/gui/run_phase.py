"""Where the window's run stands, and what each phase lets the user do.

The supervisor knows only running and paused (core.events.RunState); the window adds the phases
around them: nothing to run, a run being set up, a run asked to stop. Buttons and menu actions
ask `allows` instead of comparing phase names, so a new action is one line in ALLOWED.
"""

from __future__ import annotations

from enum import Enum

from ganstudio.core.events import RunState


class RunPhase(str, Enum):
    IDLE = "idle"
    STARTING = "starting"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"

    @classmethod
    def of(cls, state: RunState | str) -> RunPhase:
        """The phase for a supervisor's (or a watched run's heartbeat's) state."""
        return cls(RunState(state).value)

    @property
    def label(self) -> str:
        return self.value.capitalize()

    def allows(self, action: RunAction) -> bool:
        return action in ALLOWED[self]


class RunAction(Enum):
    START = "start"  # also continue; the setup must be valid as well
    PAUSE = "pause"  # pause or resume
    STEP = "step"  # single steps, while paused
    STOP = "stop"
    SAVE = "save"  # a checkpoint now
    CHANGE_LIVE = "change_live"  # the live-changes panel and the alarm's remedies
    EDIT_SETUP = "edit_setup"  # the setup form, new run, open or watch a folder


ALLOWED: dict[RunPhase, frozenset[RunAction]] = {
    RunPhase.IDLE: frozenset({RunAction.START, RunAction.EDIT_SETUP}),
    RunPhase.STARTING: frozenset({RunAction.STOP}),
    RunPhase.RUNNING: frozenset({RunAction.PAUSE, RunAction.STOP, RunAction.SAVE, RunAction.CHANGE_LIVE}),
    RunPhase.PAUSED: frozenset(
        {RunAction.PAUSE, RunAction.STEP, RunAction.STOP, RunAction.SAVE, RunAction.CHANGE_LIVE}
    ),
    RunPhase.STOPPING: frozenset(),
}
