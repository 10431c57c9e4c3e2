import json
import math

import pytest

from ganstudio.core.config import (
    PRESETS,
    ConfigError,
    RunConfig,
    check,
    load_config,
    preset,
    validate,
)


def fields_of(config: RunConfig) -> set[str]:
    return {name for name, _ in validate(config)}


@pytest.mark.parametrize("name", PRESETS)
def test_presets_are_valid(name):
    assert validate(preset(name)) == []


@pytest.mark.parametrize(
    "section, field, value, named",
    [
        ("train", "batch_size", 0, "train.batch_size"),
        ("train", "k", 0, "train.k"),
        ("train", "steps", -5, "train.steps"),
        ("optim", "lr_g", float("nan"), "optim.lr_g"),
        ("optim", "lr_d", 0.0, "optim.lr_d"),
        ("optim", "lr_d", float("inf"), "optim.lr_d"),
        ("optim", "beta1", 1.0, "optim.beta1"),
        ("data", "image_size", 48, "data.image_size"),
        ("data", "dataset", "imagenet", "data.dataset"),
        ("data", "channels", 2, "data.channels"),
        ("train", "device", "tpu", "train.device"),
    ],
)
def test_invalid_values_are_named(section, field, value, named):
    cfg = preset("fashion-dcgan")
    setattr(getattr(cfg, section), field, value)
    assert named in fields_of(cfg)
    with pytest.raises(ConfigError) as err:
        check(cfg)
    assert named in str(err.value)


def test_dcgan_refuses_toy_data():
    cfg = preset("fashion-dcgan")
    cfg.data.dataset = "ring-8"
    assert "model.arch" in fields_of(cfg)


@pytest.mark.parametrize("kind", ["hinge", "wgan", "wgan-gp", "least-squares", "minimax"])
def test_label_smoothing_with_a_critic_loss_is_refused_not_ignored(kind):
    """A hinge or Wasserstein critic has no target for real images: its smoothing was taken and did nothing."""
    cfg = preset("gaussian-1d")
    cfg.loss.kind, cfg.loss.label_smoothing = kind, 0.1
    critic = kind in ("hinge", "wgan", "wgan-gp")
    assert ("loss.label_smoothing" in fields_of(cfg)) is critic
    cfg.loss.label_smoothing = 0.0
    assert "loss.label_smoothing" not in fields_of(cfg)


def test_one_mistake_is_said_once_not_again_by_a_rule_it_also_breaks():
    """Adaptive augmentation on toy data was also told to switch an augmentation on; a pack of 3 was told the
    batch must split over "the 1 processes" after the pack's own rule, and a pack of 3 on 2 processes was told
    both rules."""
    toy = preset("gaussian-1d")
    toy.train.augment_adaptive = True
    assert validate(toy) == [("train.augment_adaptive", "augmentation transforms images; toy distributions have none")]
    packed = preset("fashion-fast")
    packed.train.batch_size, packed.model.pack = 64, 3
    assert validate(packed) == [("train.batch_size", "must be a multiple of the PacGAN pack size (3)")]
    packed.model.pack, packed.perf.processes = 1, 3
    assert validate(packed) == [
        ("train.batch_size", "must split evenly over the 3 processes (a multiple of processes x pack size, 3)")
    ]
    packed.model.pack, packed.perf.processes = 3, 2  # both rules broken: one line, the one that names both
    assert validate(packed) == [
        ("train.batch_size", "must split evenly over the 2 processes (a multiple of processes x pack size, 6)")
    ]


def test_image_folder_needs_a_path():
    cfg = preset("fashion-dcgan")
    cfg.data.dataset = "image-folder"
    assert "data.path" in fields_of(cfg)


def test_json_round_trip(tmp_path):
    cfg = preset("paper-mlp-fashion")
    cfg.train.seed = 1234
    path = tmp_path / "c.json"
    path.write_text(cfg.to_json())
    assert load_config(path) == cfg


def test_a_config_saved_with_a_byte_order_mark_is_read(tmp_path):
    """Notepad's "UTF-8" starts the file with a BOM: it was refused with Python's "decode using utf-8-sig"."""
    from ganstudio.core.runlog import RunDirectory

    cfg = preset("ring-8")
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + cfg.to_json().encode("utf-8"))
    assert load_config(path) == cfg
    run = RunDirectory.at(tmp_path / "run")
    run.config_path.write_bytes(path.read_bytes())
    assert run.read_config() == cfg


def test_unknown_fields_and_bad_json_are_clear(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config(bad)
    bad.write_text('{\n  "preset": "unterminated')  # json's own words end in "at": said once, not "at at"
    with pytest.raises(ConfigError, match=r"not valid JSON \(Unterminated string starting at line 2, column 13\)"):
        load_config(bad)
    raw = preset("ring-8").to_dict()
    raw["train"]["batchsize"] = 3
    with pytest.raises(ConfigError, match=r"train\.batchsize: unknown field"):
        RunConfig.from_dict(raw)
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "missing.json")


def test_unknown_preset():
    with pytest.raises(ConfigError, match="unknown preset"):
        preset("nope")


def test_presets_match_the_issue():
    cfg = preset("fashion-dcgan")
    assert (cfg.data.dataset, cfg.model.arch, cfg.loss.kind, cfg.optim.name) == (
        "fashion-mnist",
        "dcgan",
        "non-saturating",
        "adam",
    )
    assert math.isclose(cfg.optim.lr_g, 2e-4) and cfg.optim.beta1 == 0.5 and cfg.train.batch_size == 64
    paper = preset("paper-mlp-fashion")
    assert paper.model.arch == "mlp" and paper.optim.name == "sgd" and paper.optim.momentum > 0 and paper.train.k == 1
    assert json.loads(cfg.to_json())["preset"] == "fashion-dcgan"


def test_an_integer_too_large_is_told_its_range_not_that_it_is_no_integer():
    cfg = preset("fashion-dcgan")
    cfg.train.steps = 10**20
    with pytest.raises(ConfigError) as err:
        check(cfg)
    assert "train.steps: must be an integer from 1 to" in str(err.value) and str(10**20) in str(err.value)


@pytest.mark.parametrize(
    "assignment, value",
    [("optim.lr_g=.001", 0.001), ("optim.lr_g=+1e-3", 0.001), ("train.steps=+10", 10), ("train.ema_decay=.5", 0.5)],
)
def test_a_number_written_as_python_and_the_shell_write_it_is_a_number(assignment, value):
    """JSON has no ".001" or "+10": they were kept as text and refused as "must be a finite number, not '.001'"."""
    from ganstudio.core.config import apply_override

    config = preset("ring-8")
    apply_override(config, assignment)
    section, name = assignment.split("=")[0].split(".")
    assert getattr(getattr(config, section), name) == value and check(config) is config
