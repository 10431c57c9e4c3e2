"""A trainer as a checkpoint and back: kept apart from the training step, which it must not change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ganstudio.core.optimizer_state import load_optimizer_state

if TYPE_CHECKING:
    from ganstudio.core.trainer import Trainer

CHECKPOINT_FORMAT = "ganstudio-checkpoint"
CHECKPOINT_VERSION = 1


def trainer_state(trainer: Trainer) -> dict[str, Any]:
    """Everything a resume needs to continue bit for bit: weights, optimizer moments, the random stream."""
    return {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "config": trainer.config.to_dict(),
        "class_names": list(trainer.class_names),
        "step": trainer.step_count,
        "generator": trainer.G.state_dict(),
        **({"generator_ema": trainer.G_ema.state_dict()} if trainer.G_ema is not None else {}),
        "discriminator": trainer.D.state_dict(),
        "opt_g": trainer.opt_g.state_dict(),
        "opt_d": trainer.opt_d.state_dict(),
        "rng": trainer.rng.get_state(),
        "fixed_noise": trainer.fixed_noise.cpu(),
        **({"augment": trainer.augment.state_dict()} if trainer.config.train.augment_adaptive else {}),
        **(
            {"scaler_g": trainer.scaler_g.state_dict(), "scaler_d": trainer.scaler_d.state_dict()}
            if trainer.scaler_g is not None and trainer.scaler_d is not None
            else {}
        ),
    }


def restore_trainer_state(trainer: Trainer, state: dict[str, Any]) -> None:
    """The inverse of trainer_state, into a trainer built from the same config (checked by the caller), or
    given the state's config as it is (a rewind, a follower rank), live fields and all."""
    trainer.G.load_state_dict(state["generator"])
    trainer.match_ema_to_config()
    if trainer.G_ema is not None:
        trainer.G_ema.load_state_dict(state.get("generator_ema", state["generator"]))
    trainer.D.load_state_dict(state["discriminator"])
    load_optimizer_state(trainer.opt_g, state["opt_g"])
    load_optimizer_state(trainer.opt_d, state["opt_d"])
    trainer.rng.set_state(state["rng"])
    if trainer.scaler_g is not None and trainer.scaler_d is not None and "scaler_g" in state:
        trainer.scaler_g.load_state_dict(state["scaler_g"])
        trainer.scaler_d.load_state_dict(state["scaler_d"])
    trainer.fixed_noise = state["fixed_noise"].to(trainer.device)
    if "augment" in state:
        trainer.augment.load_state_dict(state["augment"])
    trainer.step_count = int(state["step"])
