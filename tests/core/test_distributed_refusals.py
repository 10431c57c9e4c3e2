"""What a run on many processes refuses before it trains: classes missing from a rank's shard, and
checkpoints whose per-rank fields were tampered with."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from ganstudio.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from ganstudio.core.data.errors import DataError
from ganstudio.core.trainer import Trainer
from tests.conftest import tiny_conditional_config, tiny_image_config


def test_a_class_with_no_image_on_a_rank_is_refused():
    """20 images of 10 classes on 2 ranks: some class lands on one rank only, whose other rank would
    otherwise be handed another class's images under its label."""
    cfg = tiny_conditional_config()
    cfg.data.limit = 20
    trainer = Trainer(cfg)
    with pytest.raises(DataError, match=r"class .+ has no images on rank \d of 2: too few images of it for 2"):
        trainer.join(SimpleNamespace(rank=0, world_size=2))


def test_every_class_on_every_rank_is_accepted():
    cfg = tiny_conditional_config()
    cfg.data.limit = 400
    trainer = Trainer(cfg)
    trainer.join(SimpleNamespace(rank=1, world_size=2, total=lambda values: values))
    assert trainer.image_data.empty_classes() == []


def test_a_semi_supervised_trainer_refuses_to_join_a_group_over_several_machines():
    """One machine's torchrun sets the count before the config's checks; a group over several keeps its config's 1,
    and its ranks trained a semi-supervised run unrefused."""
    from ganstudio.core.config import ConfigError
    from ganstudio.core.semi.trainer import SemiTrainer

    cfg = tiny_image_config()
    cfg.train.labelled_per_class = 2
    trainer = SemiTrainer(cfg)
    with pytest.raises(ConfigError, match="a semi-supervised run trains in one process, not 4"):
        trainer.join(SimpleNamespace(rank=0, world_size=4))


@pytest.fixture(scope="module")
def saved_state(tmp_path_factory):
    trainer = Trainer(tiny_image_config())
    trainer.step()
    return {**trainer.state_dict(), "world_size": 2, "rank_rng": [trainer.rng.get_state()] * 2}


@pytest.mark.parametrize(
    ("world_size", "rank_rng"),
    [
        ("x", None),
        (0, None),
        (True, None),
        (5000, None),
        (2, []),
        (2, "x"),
        (2, ["a", "b"]),
        (2, [torch.zeros(3, dtype=torch.uint8)] * 2),
        (2, [torch.zeros(5056, dtype=torch.float32)] * 2),
    ],
)
def test_tampered_rank_fields_are_one_checkpoint_error(tmp_path, saved_state, world_size, rank_rng):
    path = tmp_path / "c.pt"
    good = load_checkpoint(save_checkpoint(saved_state, path))
    assert good["world_size"] == 2 and len(good["rank_rng"]) == 2
    save_checkpoint({**saved_state, "world_size": world_size, "rank_rng": rank_rng}, path)
    with pytest.raises(CheckpointError, match=r"world_size|rank_rng"):
        load_checkpoint(path)
