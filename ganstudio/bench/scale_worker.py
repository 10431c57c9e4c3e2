"""One rank of `ganstudio bench scale` (started by torchrun, or alone for one process).

Times Trainer.step at a fixed global batch, with the per-step control message a run's rank 0 sends,
then the same steps with every collective skipped: the difference is the time communication costs
(transfers and waiting for the slowest rank). Rank 0 writes the figures to --json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch


def _timed(trainer, ranks, steps: int, communicate: bool) -> float:
    import torch.distributed as dist

    def sync() -> None:
        if trainer.device.type == "cuda":
            torch.cuda.synchronize(trainer.device)
        if ranks is not None:
            dist.barrier()

    sync()
    started = time.perf_counter()
    for _ in range(steps):
        if ranks is not None and communicate:
            if ranks.is_leader:
                ranks.announce("step")
            else:
                ranks.receive()
        trainer.step()
    trainer.drain_stats()
    sync()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ganstudio.bench.scale_worker")
    parser.add_argument("--preset", required=True)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--warmup", type=int, required=True)
    parser.add_argument("--device", required=True)
    parser.add_argument("--json", required=True)
    args = parser.parse_args(argv)

    from ganstudio.core.config import check, preset
    from ganstudio.core.distributed import RankGroup, RankInfo, spread_cpu_threads
    from ganstudio.core.fast_path import apply_threads
    from ganstudio.core.trainer import Trainer

    config = preset(args.preset)
    config.train.batch_size, config.train.device, config.quality.every = args.batch, args.device, 0
    check(config)
    info = RankInfo.from_env()
    ranks = RankGroup.join(info, args.device) if info is not None else None
    if ranks is not None and ranks.device.type == "cpu":
        spread_cpu_threads(ranks.info)
    if args.device == "cpu":
        apply_threads(0, gui=False)  # as a run would: all its cores (its slice of them, one of many)
    try:
        trainer = Trainer(config, device=ranks.device if ranks is not None else None)
        if ranks is not None:
            trainer.join(ranks)
        for _ in range(args.warmup):
            trainer.step()
        with_comm = _timed(trainer, ranks, args.steps, communicate=True)
        if ranks is not None:
            ranks._all_reduce = lambda flat: None  # type: ignore[method-assign]  # the same steps, no transfers
            alone = _timed(trainer, ranks, args.steps, communicate=False)
        else:
            alone = with_comm
        if ranks is None or ranks.is_leader:
            world = ranks.world_size if ranks is not None else 1
            Path(args.json).write_text(
                json.dumps(
                    {
                        "processes": world,
                        "device": str(trainer.device),
                        "images_per_s": args.batch * args.steps / with_comm,
                        "step_ms": 1000 * with_comm / args.steps,
                        "communication": max(0.0, 1.0 - alone / with_comm),
                    }
                )
            )
    finally:
        if ranks is not None:
            ranks.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
