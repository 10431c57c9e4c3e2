"""Ranks 1..N-1 of a run on many processes: no supervisor and no files, only what rank 0 announces.

A follower trains the same model on its own share of the data, doing exactly what rank 0 says it
does next (core/rank_leader.py), so the two sides' collectives always pair up. It writes nothing:
rank 0 alone owns the run folder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ganstudio.core.rank_leader import synced_modules

if TYPE_CHECKING:
    from ganstudio.core.distributed import RankGroup
    from ganstudio.core.trainer import Trainer


def restore_shared(trainer: Trainer, state: dict[str, Any]) -> None:
    """Rank 0's weights, optimizers and config; this rank's own random stream goes on."""
    from ganstudio.core.config import RunConfig

    own = trainer.rng.get_state()
    trainer.config = RunConfig.from_dict(state["config"])
    trainer.load_state_dict(state)
    trainer.rng.set_state(own)


def follow(trainer: Trainer, ranks: RankGroup) -> int:
    """Carries out rank 0's announcements until it says the run has ended; returns an exit status."""
    while True:
        op, payload = ranks.receive()
        match op:
            case "step":
                trainer.step()
                trainer.drain_stats()  # rank 0 logs the averaged stats; these would only pile up
            case "step_d":
                trainer.discriminator_step()
            case "step_g":
                trainer.generator_step()
            case "change":
                trainer.apply_changes(payload)  # type: ignore[arg-type]
            case "save":
                ranks.check_agree(synced_modules(trainer), trainer.rng.get_state())
            case "rewind":
                restore_shared(trainer, ranks.share(None))  # type: ignore[arg-type]
            case "idle":
                continue
            case "end":
                ranks.part()
                return 0
            case _:
                raise RuntimeError(f"rank 0 sent an unknown message {op!r} (ranks of different versions?)")
