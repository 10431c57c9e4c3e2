"""torch.distributed for a run started by torchrun: who this process is, and what the ranks share.

Gradients are averaged with one flat all-reduce per network update (as StyleGAN3's training loop
does) rather than through DistributedDataParallel. DDP's hooks fire on backward, so its known traps
are all ours here: two D forwards (real, fake) before one backward with BatchNorm buffers, R1 and
WGAN-GP penalties that differentiate through D twice, an unrolled copy of D that DDP would not be
wrapping, and `module.` prefixes that would make checkpoints differ by world size. A flat all-reduce
after backward sees only finished gradients, so the trainer's step stays the single-process one plus
one call; the cost is no overlap of communication with backward, small for GAN-sized networks.

BatchNorm running statistics ride in the same all-reduce (averaged), so every rank holds identical
weights and buffers, which the checkpoint check (a hash all-gather) relies on.

Control messages (rank 0's supervisor telling the others what to do next) go through a gloo group
of their own, so on CUDA they never wait on the GPU.
"""

from __future__ import annotations

import datetime
import hashlib
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from ganstudio.core.runlog import RunError
from ganstudio.core.wording import LOST_PEER

TIMEOUT_ENV = "GANSTUDIO_DIST_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 600.0  # rank 0 may evaluate quality for minutes while the others wait on its next message
SEED_STRIDE = 1_000_003  # a prime: rank streams of nearby seeds never coincide


class DistributedError(RunError):
    """A distributed run that cannot go on: ranks that disagree, a batch that does not split (a
    RunError, so the CLI says it in one line)."""


def lost_peer(exc: BaseException) -> str | None:
    """A collective that failed because another rank died or hung (torch's DistError, or gloo's and NCCL's
    own RuntimeErrors), in words; None for anything else, a bug in this process. The library's first
    sentence only: gloo puts its C++ source location before it and advice for its own developers after it
    ("Check the logs of the remote worker before reporting an error. GLHF!")."""
    text = str(exc)
    if not isinstance(exc, getattr(dist, "DistError", ())) and not (
        isinstance(exc, RuntimeError)
        and dist.is_available()
        and dist.is_initialized()  # a run of one process has no other to lose, whatever its error says
        and any(word in text.lower() for word in ("gloo", "nccl", "connection closed by peer", "timed out"))
    ):
        return None
    line = (text.strip().splitlines() or [type(exc).__name__])[0]
    line = re.sub(r"^\[[^\]]*\]\s*", "", line)  # gloo's "[/path/to/pair.cc:545]"
    line = line.split(". ", 1)[0].rstrip(".")
    line = line if len(line) <= 160 else line[:157] + "..."
    return f"{LOST_PEER} ({line})"


@dataclass(frozen=True)
class RankInfo:
    rank: int
    world_size: int
    local_rank: int
    local_world_size: int

    @classmethod
    def from_env(cls) -> RankInfo | None:
        """torchrun's variables; None for one process (no torchrun, or torchrun with one process)."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return None
        rank = int(os.environ["RANK"])
        local = int(os.environ.get("LOCAL_RANK", rank))
        return cls(rank, world, local, int(os.environ.get("LOCAL_WORLD_SIZE", world)))

    @property
    def is_leader(self) -> bool:
        return self.rank == 0


def restart_count() -> int:
    """How many times torchrun has restarted this group (--max-restarts); 0 on the first start."""
    return int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0"))


MAX_TIMEOUT_S = 86_400.0  # a day: longer is no bound at all, and torch's timedelta overflows near 1e14 s


def timeout_s() -> float:
    """The environment's bound on every wait between ranks; one that is no bound is refused by name."""
    text = os.environ.get(TIMEOUT_ENV)
    if text is None:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 1.0 <= value <= MAX_TIMEOUT_S:  # NaN fails this too
        raise DistributedError(
            f"{TIMEOUT_ENV}={text[:40]!r}: give the seconds a process waits for the others, from 1 to "
            f"{MAX_TIMEOUT_S:,.0f} (default {DEFAULT_TIMEOUT_S:g})"
        )
    return value


def rank_seed(seed: int, rank: int, step: int = 0) -> int:
    """Rank 0 draws exactly what one process would; the others from streams of their own. step
    gives a resume on another world size fresh streams rather than replaying the first steps'."""
    if rank == 0 and step == 0:
        return seed
    return (seed * SEED_STRIDE + rank + step * SEED_STRIDE * SEED_STRIDE) % (2**63)


def local_batch(batch_size: int, world_size: int, pack: int = 1) -> int:
    """Each rank's share of the global batch. Equal shares or none: the mean of per-rank mean
    gradients equals the one-process gradient only when every rank holds as many samples."""
    if batch_size % world_size:
        raise DistributedError(
            f"the batch of {batch_size} does not split over {world_size} processes; "
            f"choose a batch that is a multiple of {world_size}"
        )
    share = batch_size // world_size
    if share % pack:
        raise DistributedError(
            f"each of the {world_size} processes would get {share} samples, not a multiple "
            f"of the PacGAN pack size {pack}; choose a batch that is a multiple of {world_size * pack}"
        )
    return share


def shard_indices(n: int, rank: int, world_size: int) -> torch.Tensor:
    """Rank r's disjoint share of n items: r, r + W, r + 2W, ... (every item in exactly one shard)."""
    return torch.arange(rank, n, world_size)


def spread_cpu_threads(info: RankInfo) -> None:
    """On the CPU, each of a machine's ranks trains on its own slice of the cores, so N processes
    do not fight over every core (the trainer's automatic thread count then sees the slice)."""
    if not hasattr(os, "sched_setaffinity"):
        return
    cores = sorted(os.sched_getaffinity(0))
    share = max(1, len(cores) // info.local_world_size)
    mine = cores[info.local_rank * share : (info.local_rank + 1) * share] or cores[-share:]
    os.sched_setaffinity(0, mine)


def _buffers(modules: Iterable[nn.Module]) -> list[torch.Tensor]:
    return [b for m in modules for b in m.buffers() if b.is_floating_point()]


def _flat_copy_back(flat: torch.Tensor, tensors: list[torch.Tensor]) -> None:
    offset = 0
    for t in tensors:
        n = t.numel()
        t.copy_(flat[offset : offset + n].view_as(t))
        offset += n


def tensor_digest(tensors: Iterable[torch.Tensor]) -> str:
    """A hash of the exact bytes: ranks hold bit-identical weights, so any difference is a bug."""
    h = hashlib.blake2b(digest_size=16)
    for t in tensors:
        h.update(t.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def to_cpu(obj: object) -> object:
    """A state (nested dicts and lists of tensors) with every tensor copied to the CPU, to send."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().to("cpu", copy=True)
    if isinstance(obj, dict):
        return {k: to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_cpu(v) for v in obj)
    return obj


class RankGroup:
    """This process's place in the run: the process group, the device, and the collectives the
    trainer and the supervisor need. Every method is a collective: all ranks call it, in the same order."""

    def __init__(self, info: RankInfo, device: torch.device, control: dist.ProcessGroup | None):
        self.info = info
        self.device = device
        self._control = control

    @classmethod
    def join(cls, info: RankInfo, device_request: str) -> RankGroup:
        """Joins the group torchrun set up (MASTER_ADDR/PORT in the environment). CUDA: NCCL, one GPU
        per process picked by LOCAL_RANK; otherwise gloo. The timeout bounds every wait, so a dead or
        stuck peer ends the others with an error rather than a hang."""
        from ganstudio.core.device import select_device

        device = select_device(device_request)
        if device.type not in ("cuda", "cpu"):
            raise DistributedError(
                f"a run on many processes trains on CUDA GPUs or the CPU, not {device.type}; give --device cpu or cuda"
            )
        timeout = datetime.timedelta(seconds=timeout_s())
        # torchrun's store outlives a restart (--max-restarts): without a name of its own, a restarted
        # group could read the dead group's gloo addresses and never connect (seen here, under load).
        base, _, _ = next(dist.rendezvous("env://", timeout=timeout))
        store = dist.PrefixStore(f"ganstudio/attempt_{restart_count()}", base)
        if device.type == "cuda":
            device = torch.device("cuda", info.local_rank)
            torch.cuda.set_device(device)
            dist.init_process_group(
                "cpu:gloo,cuda:nccl", store=store, timeout=timeout, rank=info.rank, world_size=info.world_size
            )
            group = dist.new_group(backend="gloo", timeout=timeout)
            control = group if isinstance(group, dist.ProcessGroup) else None
        else:
            dist.init_process_group("gloo", store=store, timeout=timeout, rank=info.rank, world_size=info.world_size)
            control = None  # the default group is gloo already
        return cls(info, device, control)

    @property
    def rank(self) -> int:
        return self.info.rank

    @property
    def world_size(self) -> int:
        return self.info.world_size

    @property
    def is_leader(self) -> bool:
        return self.info.is_leader

    def part(self) -> None:
        """The run's last collective, on every rank once rank 0 has said "end": nobody closes its
        connections while another rank still reads from them. Bounded by the group's timeout."""
        dist.barrier(group=self._control)

    def close(self) -> None:
        if dist.is_initialized():
            dist.destroy_process_group()

    # --- training ----------------------------------------------------------------------------
    def _all_reduce(self, flat: torch.Tensor) -> None:
        """The one communication of an update; a benchmark overrides it to measure the rest alone."""
        dist.all_reduce(flat)

    def average(self, module: nn.Module, buffers_of: Iterable[nn.Module] = ()) -> None:
        """After backward, before the optimizer: module's gradients (and the BatchNorm statistics of
        buffers_of) become their mean over ranks, in one all-reduce."""
        grads = [p.grad for p in module.parameters() if p.grad is not None]
        bufs = _buffers(buffers_of)
        tensors = grads + bufs
        if not tensors:
            return
        flat = torch.cat([t.reshape(-1).float() for t in tensors])
        self._all_reduce(flat)
        flat.div_(self.world_size)
        _flat_copy_back(flat, tensors)

    def total(self, values: torch.Tensor) -> torch.Tensor:
        """values summed over ranks (a copy; no host sync on CUDA)."""
        out = values.clone()
        self._all_reduce(out)
        return out

    def mean(self, values: torch.Tensor) -> torch.Tensor:
        """A step's stats, averaged over ranks (no host sync on CUDA)."""
        return self.total(values).div_(self.world_size)

    # --- control -----------------------------------------------------------------------------
    def announce(self, op: str, payload: object = None) -> None:
        """Rank 0 tells the others what it does next (a step, a save, a change, the end)."""
        dist.broadcast_object_list([(op, payload)], src=0, group=self._control)

    def receive(self) -> tuple[str, object]:
        message: list[object] = [None]
        dist.broadcast_object_list(message, src=0, group=self._control)
        received = message[0]
        if not (isinstance(received, tuple) and len(received) == 2):
            raise DistributedError(
                f"rank 0 sent {type(received).__name__}, not a message (ranks of different versions?)"
            )
        return str(received[0]), received[1]

    def share(self, state: object) -> object:
        """Rank 0's state (moved to the CPU) on every rank."""
        message = [to_cpu(state) if self.is_leader else None]
        dist.broadcast_object_list(message, src=0, group=self._control)
        return message[0]

    def gather(self, value: object) -> list[object]:
        """Every rank's value, in rank order, on every rank."""
        out: list[object] = [None] * self.world_size
        dist.all_gather_object(out, value, group=self._control)
        return out

    def check_agree(self, modules: Iterable[nn.Module], rng_state: torch.Tensor) -> list[torch.Tensor]:
        """Before a checkpoint: the ranks' weights must be bit-identical; raises naming the ranks
        that differ from rank 0. Returns every rank's random state, for a resume on as many ranks."""
        tensors = [t for m in modules for t in (*m.parameters(), *m.buffers())]
        answers = self.gather((tensor_digest(tensors), rng_state.cpu()))
        digests = [a[0] for a in answers]  # type: ignore[index]
        differ = [r for r, d in enumerate(digests) if d != digests[0]]
        if differ:
            raise DistributedError(
                f"the weights of rank(s) {', '.join(map(str, differ))} differ from rank 0's "
                "before a checkpoint (a bug: the ranks no longer train one model); stopping"
            )
        return [a[1] for a in answers]  # type: ignore[index]
