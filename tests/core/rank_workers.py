"""What each spawned rank of tests/core/test_distributed.py runs (importable by torch's spawn)."""

from __future__ import annotations

import copy
import os

import torch

from ganstudio.cli_distributed import leave
from ganstudio.core.augment import ADJUST_INTERVAL
from ganstudio.core.config import RunConfig
from ganstudio.core.distributed import RankGroup, RankInfo, tensor_digest
from ganstudio.core.rank_leader import synced_modules
from ganstudio.core.trainer import Trainer
from tests.conftest import tiny_image_config, tiny_toy_config


class ScriptedTrainer(Trainer):
    """Draws its slice of global batches that are the same whatever the world size, so 2 ranks with
    batch B/2 can be compared with 1 process with batch B (the averaging is what is under test)."""

    def __init__(self, *args, part: tuple[int, int] = (0, 1), **kwargs):
        super().__init__(*args, **kwargs)
        self.part = part
        self.calls = 0

    def _global(self, n: int, shape: tuple[int, ...]) -> torch.Tensor:
        rank, world = self.part
        self.calls += 1
        full = torch.randn(n * world, *shape, generator=torch.Generator().manual_seed(1000 + self.calls))
        return full[rank * n : (rank + 1) * n]

    def noise(self, n: int) -> torch.Tensor:
        return self._global(n, (self.config.model.latent_dim,))

    def _real_batch(self, batch: int) -> tuple[torch.Tensor, None]:
        return self._global(batch, tuple(self.data.sample(1, self.rng).shape[1:])), None


def _join(rank: int, world: int, port: int) -> RankGroup:
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        WORLD_SIZE=str(world),
        LOCAL_RANK=str(rank),
        LOCAL_WORLD_SIZE=str(world),
        GANSTUDIO_DIST_TIMEOUT_S="60",
        TORCHELASTIC_USE_AGENT_STORE="True",  # every rank a client of the test's store, as under torchrun
    )
    torch.set_num_threads(1)
    info = RankInfo.from_env()
    assert info is not None
    return RankGroup.join(info, "cpu")


def _assert_ranks_agree(trainer: Trainer, ranks: RankGroup, what: str) -> None:
    digests = ranks.gather(tensor_digest(t for m in synced_modules(trainer) for t in (*m.parameters(), *m.buffers())))
    assert len(set(digests)) == 1, f"{what}: the ranks' weights differ ({digests})"


def _flat(trainer: Trainer) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for m in synced_modules(trainer) for p in m.parameters()])


def every_check(rank: int, world: int, port: int) -> None:
    """One group for all the checks below: starting ranks costs seconds each on 2 cores."""
    ranks = _join(rank, world, port)
    try:
        equivalence(ranks)
        traps(ranks)
        resume_same_world(ranks)
        ranks.part()  # as a real run ends: no rank closes its sockets while the other still reads
    finally:
        ranks.close()
    leave(0)  # as a real rank ends: the interpreter's teardown after a group aborted one now and then (SIGABRT)


def equivalence(ranks: RankGroup) -> None:
    """An MLP (no BatchNorm) with k = 2 and EMA: the ranks agree bit for bit, and match one process
    with the whole batch within float tolerance; the stats are averaged over the ranks."""
    rank, world = ranks.rank, ranks.world_size
    cfg = tiny_toy_config(batch_size=16, k=2, ema_decay=0.9)
    trainer = ScriptedTrainer(cfg, part=(rank, world))
    trainer.join(ranks)
    assert trainer.local_batch == 8
    for _ in range(4):
        trainer.step()
    stats = trainer.drain_stats()
    _assert_ranks_agree(trainer, ranks, "MLP with EMA")
    losses = ranks.gather(stats[-1].loss_d)
    assert losses[0] == losses[1], "stats are averaged: every rank logs the same"
    if rank == 0:
        alone = ScriptedTrainer(cfg)
        for _ in range(4):
            alone.step()
        diff = (_flat(trainer) - _flat(alone)).abs().max().item()
        assert diff < 1e-5, f"2 ranks with batch 8 each differ from 1 with batch 16 by {diff}"


def traps(ranks: RankGroup) -> None:
    """The known traps of averaging GAN gradients, each a few steps with the ranks checked after:
    BatchNorm in D with two forwards (real, fake) before one backward, R1 and WGAN-GP (double
    backward through D), an unrolled D copy, k D steps per G step, and a live change."""
    rank = ranks.rank
    cases: list[tuple[str, RunConfig]] = []
    bn = tiny_image_config(batch_size=8, k=2, ema_decay=0.9)
    cases.append(("BatchNorm D, k = 2, EMA", bn))
    r1 = tiny_image_config(batch_size=8)
    r1.loss.r1_gamma = 1.0
    cases.append(("R1", r1))
    gp = tiny_image_config(batch_size=8)
    gp.loss.kind = "wgan-gp"
    cases.append(("WGAN-GP", gp))
    unrolled = tiny_image_config(batch_size=8, unrolled_steps=1)
    cases.append(("unrolled D", unrolled))
    for what, cfg in cases:
        trainer = Trainer(cfg)
        trainer.join(ranks)
        trainer.rng.manual_seed(100 + rank)  # the ranks' own noise: different batches, one model
        for _ in range(2):
            trainer.step()
        trainer.apply_changes({"lr_d": 1e-4})
        trainer.step()
        assert all(torch.isfinite(p).all() for p in trainer.G.parameters()), what
        _assert_ranks_agree(trainer, ranks, what)
    adaptive = tiny_image_config(batch_size=8, augment_translation=True, augment_adaptive=True)
    trainer = Trainer(adaptive)
    trainer.join(ranks)
    # rank 0's D sure of its reals (r_t 1), rank 1's of half (r_t 0.5): alone they would step p apart
    # around the 0.6 target; pooled over the ranks r_t is 0.75 on both
    sure = torch.full((8,), 4.0) if rank == 0 else torch.tensor([4.0, 4.0, 4.0, -4.0] * 2)
    for _ in range(ADJUST_INTERVAL):
        trainer.augment.observe(sure)
        trainer.augment.end_step()
    p = ranks.gather(float(trainer.augment.p))
    assert p[0] == p[1] > 0, f"adaptive augmentation: the ranks' p differ or never moved ({p})"


def resume_same_world(ranks: RankGroup) -> None:
    """A rank's state and random stream restored (as a checkpoint keeps them, rank_rng) give the
    same steps bit for bit on the CPU."""
    rank = ranks.rank
    cfg = tiny_image_config(batch_size=8)
    trainer = Trainer(cfg)
    trainer.join(ranks)
    trainer.rng.manual_seed(7 + rank)
    trainer.step()
    state = copy.deepcopy(trainer.state_dict())
    rngs = ranks.check_agree(synced_modules(trainer), trainer.rng.get_state())
    for _ in range(2):
        trainer.step()
    first = _flat(trainer).clone()
    again = Trainer(cfg)
    again.join(ranks)
    again.load_state_dict(state)
    again.rng.set_state(rngs[rank])
    for _ in range(2):
        again.step()
    assert torch.equal(first, _flat(again)), "a resume on as many ranks is not bit for bit"
