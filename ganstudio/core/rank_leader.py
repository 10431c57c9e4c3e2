"""Rank 0 of a run on many processes: the one supervisor, telling the other ranks what to do.

Every action of the supervisor that changes the model, or needs the other ranks' part in a
collective (a step, a single D or G update, a live change, a rewind, a checkpoint), is announced to
them just before rank 0 does it, so every rank applies it at the same step. While paused, an idle
message every poll keeps the others inside the group's timeout. Commands themselves (from the
window, the control file, a signal) reach rank 0 alone, as with one process.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from ganstudio.core.events import CommandKind, Event
from ganstudio.core.supervisor import Supervisor

if TYPE_CHECKING:
    from torch import nn

    from ganstudio.core.distributed import RankGroup
    from ganstudio.core.session import TrainingSession
    from ganstudio.core.trainer import Trainer


def synced_modules(trainer: Trainer) -> list[nn.Module]:
    """What every rank must hold bit for bit: G, D and the EMA generator."""
    return [trainer.G, trainer.D] + ([trainer.G_ema] if trainer.G_ema is not None else [])


def checkpoint_check(session: TrainingSession, ranks: RankGroup) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """session.prepare_checkpoint for rank 0: the ranks compare weight hashes (failing loudly when
    one differs), and the checkpoint keeps every rank's random state, for a resume on as many."""

    def prepare(state: dict[str, Any]) -> dict[str, Any]:
        ranks.announce("save")
        rngs = ranks.check_agree(synced_modules(session.trainer), session.trainer.rng.get_state())
        return {**state, "world_size": ranks.world_size, "rank_rng": rngs}

    return prepare


class LeaderSupervisor(Supervisor):
    def __init__(self, make_session: Callable[[], TrainingSession], ranks: RankGroup, **kwargs: Any):
        super().__init__(make_session, **kwargs)
        self.ranks = ranks

    def run(self) -> Generator[Event, None, None]:
        """As Supervisor.run; at the end, however it ends, the other ranks are told to end too."""
        try:
            yield from super().run()
        finally:
            try:
                self.ranks.announce("end")
                self.ranks.part()
            except RuntimeError:
                pass  # a rank already gone: the group is broken, and torchrun ends the rest

    def _take_commands(self, wait: bool) -> None:
        super()._take_commands(wait)
        if self.paused:
            self.ranks.announce("idle")

    def _step(self) -> None:
        self.ranks.announce("step")
        super()._step()

    def _single_step(self, kind: CommandKind) -> None:
        if kind is not CommandKind.STEP:  # a full step announces itself in _step
            self.ranks.announce(kind.value)
        super()._single_step(kind)

    def _apply(self, changes: dict[str, Any]) -> None:
        assert self.session is not None
        trainer = self.session.trainer
        before = trainer.config.to_dict()
        super()._apply(changes)
        if trainer.config.to_dict() != before:  # a refused change stays on rank 0 alone
            self.ranks.announce("change", dict(changes))

    def _rewind(self) -> None:
        if self.rewind_step is None:
            super()._rewind()  # refused, on rank 0 alone
            return
        self.ranks.announce("rewind")
        assert self.session is not None
        try:
            super()._rewind()
        finally:  # the others wait in share() for the state: a failed write of the log (a full disk) still sends it
            self.ranks.share(self.session.trainer.state_dict())
