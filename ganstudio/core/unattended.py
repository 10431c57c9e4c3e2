"""What a run with nobody watching does on a health alarm (the CLI's --on-alarm).

A window shows an alarm and waits for a person; a headless run cannot wait. NaN leaves nothing to
train on, so it is always acted on: under "remedy" the run goes back to its last good snapshot and
takes the first live remedy (halve both learning rates), at most MAX_REWINDS times; past that, or
under the other policies, it stops at the last good snapshot with a checkpoint saved. The other
alarms are advice for a person: "stop" ends the run on them, "remedy" and "ignore" go on.
"""

from __future__ import annotations

from enum import Enum

from ganstudio.core.events import Alarm, Command, CommandKind, FinishReason

MAX_REWINDS = 3


class OnAlarm(str, Enum):
    REMEDY = "remedy"
    STOP = "stop"
    IGNORE = "ignore"


class Unattended:
    def __init__(self, policy: OnAlarm, max_rewinds: int = MAX_REWINDS):
        self.policy = policy
        self.max_rewinds = max_rewinds
        self.rewinds = 0
        self.stop_message: str | None = None  # why the run was stopped, once it was

    def commands_for(self, alarm: Alarm, rewind_step: int | None) -> list[Command]:
        """The commands to submit on this alarm; rewind_step: where a rewind would go (None: nowhere yet)."""
        if self.stop_message is not None:
            return []
        if alarm.kind != "nan":
            if self.policy is not OnAlarm.STOP:
                return []
            self.stop_message = f"stopped on a {alarm.kind} alarm at step {alarm.step:,} (--on-alarm stop)"
            return [Command(CommandKind.STOP.value)]
        remedy = next((r for r in alarm.remedies if r.live), None)
        if (
            rewind_step is not None
            and self.policy is OnAlarm.REMEDY
            and self.rewinds < self.max_rewinds
            and remedy is not None
        ):
            self.rewinds += 1
            return [
                Command(CommandKind.REWIND.value),
                Command(CommandKind.CHANGE.value, dict(remedy.live)),
                Command(CommandKind.RESUME.value),
            ]
        tries = f" after {self.rewinds} rewinds with the remedy" if self.rewinds else ""
        where = (
            f"rewound to step {rewind_step:,} and stopped"
            if rewind_step is not None
            else "stopped (no good snapshot to rewind to)"
        )
        self.stop_message = (
            f"loss became NaN/Inf at step {alarm.step:,}{tries}; {where}. Try a lower learning rate or another loss"
        )
        stop = Command(CommandKind.STOP.value, {"why": FinishReason.NAN.value})
        return [Command(CommandKind.REWIND.value), stop] if rewind_step is not None else [stop]
