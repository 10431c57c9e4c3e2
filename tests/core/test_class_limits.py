"""A conditional model grows with its class count: the memory check counts it and the class count is capped."""

import pytest
import torch
from PIL import Image

from ganstudio.core.checkpoint import CheckpointError, save_checkpoint
from ganstudio.core.config import ConfigError, preset
from ganstudio.core.data import DataError, build_data_source
from ganstudio.core.data.classes import MAX_CLASSES
from ganstudio.core.footprint import check_footprint, estimate
from ganstudio.core.sampling import load_generator, snapshot_from_state
from ganstudio.core.trainer import Trainer
from tests.conftest import tiny_conditional_config


def test_the_memory_check_counts_the_classes():
    cfg = preset("fashion-cdcgan")
    cfg.model.width = 1024
    assert estimate(cfg, MAX_CLASSES).parameters > estimate(cfg, 10).parameters > estimate(cfg).parameters
    check_footprint(cfg, torch.device("cpu"), training=False, num_classes=10)
    with pytest.raises(ConfigError, match=r"model\.width"):
        check_footprint(cfg, torch.device("cpu"), training=False, num_classes=MAX_CLASSES)


@pytest.fixture(scope="module")
def conditional_state():
    trainer = Trainer(tiny_conditional_config())
    trainer.step()
    return trainer.state_dict()


@pytest.mark.parametrize(
    ("names", "words"),
    [
        ([f"c{i}" for i in range(MAX_CLASSES + 1)], "limit of 1,000"),
        (["x" * 201] * 10, "at most 200 characters"),
        ([3] * 10, "at most 200 characters"),
        ("abc", "not a list"),
    ],
)
def test_a_checkpoint_with_too_many_or_odd_class_names_is_refused_before_building(conditional_state, names, words):
    state = dict(conditional_state, class_names=names)
    with pytest.raises(CheckpointError, match=words):
        snapshot_from_state(state)


def test_a_wide_checkpoint_with_many_classes_is_refused_by_the_memory_check(conditional_state, tmp_path):
    config = dict(conditional_state["config"])
    config["model"] = dict(config["model"], width=1024)
    state = dict(conditional_state, config=config, class_names=[f"c{i}" for i in range(MAX_CLASSES)])
    save_checkpoint(state, tmp_path / "wide.pt")
    with pytest.raises(CheckpointError, match=r"too big: model\.width"):
        load_generator(tmp_path / "wide.pt")


def test_an_image_folder_with_too_many_class_subfolders_has_no_classes(tmp_path):
    for i in range(MAX_CLASSES + 1):
        (tmp_path / f"c{i}").mkdir()
        Image.new("L", (4, 4), i % 256).save(tmp_path / f"c{i}" / "a.png")
    cfg = preset("fashion-cdcgan").data
    cfg.dataset, cfg.path, cfg.image_size = "image-folder", str(tmp_path), 8
    assert build_data_source(cfg, torch.device("cpu"), labelled=False).num_classes == 0
    with pytest.raises(DataError, match="1,001 class subfolders, over GAN Studio's limit of 1,000"):
        build_data_source(cfg, torch.device("cpu"), labelled=True)
