"""A run on 2 CPU processes (gloo): real spawned ranks, each test a few seconds."""

from __future__ import annotations

import datetime

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from ganstudio.core.config import DataConfig
from ganstudio.core.data import build_data_source
from ganstudio.core.distributed import DistributedError, local_batch, rank_seed
from tests.core import rank_workers


def test_two_cpu_ranks_train_one_model():
    """In one spawned group (see tests/core/rank_workers.py): 2 ranks agree bit for bit and equal one
    process with the whole batch (MLP, k = 2, EMA); BatchNorm with two D forwards, R1, WGAN-GP and
    an unrolled D keep the ranks identical; a resume on 2 ranks is bit for bit.

    This process hosts the ranks' store, as torchrun's agent does: a rank 0 that hosted it would tear
    down its server at exit while rank 1 may still be closing (an abort, seen under load)."""
    store = dist.TCPStore(
        "127.0.0.1", 0, is_master=True, wait_for_workers=False, timeout=datetime.timedelta(seconds=60)
    )
    mp.start_processes(rank_workers.every_check, args=(2, store.port), nprocs=2, start_method="spawn", join=True)


def test_data_shards_are_disjoint_and_cover_the_images():
    seen = []
    for rank in range(2):
        source = build_data_source(DataConfig(dataset="fashion-mnist"), torch.device("cpu"))
        source.shard(rank, 2)
        drawn = source.sample(4000, torch.Generator().manual_seed(rank))
        rows = {bytes(x) for x in ((drawn + 1) * 127.5).round().to(torch.uint8).reshape(len(drawn), -1).numpy()}
        seen.append(rows)
    assert not seen[0] & seen[1]  # no image drawn by both ranks
    shard = source._shard
    assert shard is not None and len(shard) == len(source) // 2


def test_a_batch_that_does_not_split_is_refused_in_one_line():
    assert local_batch(64, 4) == 16
    with pytest.raises(DistributedError, match="does not split over 3 processes"):
        local_batch(64, 3)
    with pytest.raises(DistributedError, match="pack size 4"):
        local_batch(8, 4, pack=4)


def test_rank_zero_draws_what_one_process_would():
    assert rank_seed(5, 0) == 5
    assert len({rank_seed(5, r) for r in range(8)}) == 8
    assert rank_seed(5, 1, step=100) != rank_seed(5, 1)
