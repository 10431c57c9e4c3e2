"""`ganstudio config`: a preset's full JSON that `train --config` takes back, and the fields table."""

import json

import pytest

from ganstudio.cli import main
from ganstudio.core.config import CONFIG_FIELDS, RunConfig, load_config, preset


def test_a_preset_prints_as_the_config_it_builds(capsys, tmp_path):
    assert main(["config", "--preset", "toy-pieces"]) == 0
    printed = capsys.readouterr().out
    assert RunConfig.from_dict(json.loads(printed)) == preset("toy-pieces")
    path = tmp_path / "c.json"
    path.write_text(printed)
    assert load_config(path) == preset("toy-pieces")
    assert main(["config"]) == 0
    assert json.loads(capsys.readouterr().out)["preset"] == "fashion-fast"  # the default the window opens on


def test_fields_lists_every_field_with_its_default_and_allowed_values(capsys):
    assert main(["config", "--fields"]) == 0
    out = capsys.readouterr().out
    starts = [line.split()[0] for line in out.splitlines() if line and not line.startswith(" ")]
    assert starts == ["field", *(f.path for f in CONFIG_FIELDS)]
    row = next(line for line in out.splitlines() if line.startswith("optim.lr_g "))
    assert "0.0002" in row and "> 0; live" in row


def test_fields_with_a_preset_shows_its_values_where_the_defaults_stood(capsys):
    """`config --fields --preset ring-8` printed the defaults (width 64), the preset silently ignored."""
    assert main(["config", "--fields", "--preset", "ring-8"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["field", "ring-8"]
    row = next(line for line in lines if line.startswith("model.width "))
    assert row.split()[1] == str(preset("ring-8").model.width) != "64"


def test_an_unknown_preset_is_one_line_naming_the_choices(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["config", "--preset", "nope"])
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 2 and len(err.splitlines()) == 1
    assert err.startswith("ganstudio: error:") and "fashion-dcgan" in err


def test_a_run_saved_with_label_smoothing_on_a_critic_loss_still_opens_continues_and_samples(tmp_path, capsys):
    """Older versions took label smoothing with a hinge loss and never used it; refusing it now must not strand
    such a run: its config.json and its checkpoint's config read with the smoothing dropped."""
    from ganstudio.core.checkpoint import load_checkpoint, save_checkpoint
    from ganstudio.core.runlog import RunDirectory
    from ganstudio.core.sampling import load_generator
    from tests.conftest import tiny_toy_config, trained_run

    config = tiny_toy_config(steps=4, checkpoint_every=4)
    config.loss.kind = "hinge"
    trained_run(config, tmp_path / "old")
    run = RunDirectory.open(tmp_path / "old")
    raw = json.loads(run.config_path.read_text())
    raw["loss"]["label_smoothing"] = 0.1
    run.config_path.write_text(json.dumps(raw))
    state = load_checkpoint(run.latest_checkpoint)
    state["config"]["loss"]["label_smoothing"] = 0.1
    save_checkpoint(state, run.latest_checkpoint)
    assert run.read_config().loss.label_smoothing == 0.0
    assert load_generator(run.latest_checkpoint).step == 4
    assert main(["train", "--resume", str(run.path), "--steps", "6"]) == 0, capsys.readouterr().err
    assert main(["sample", str(run.latest_checkpoint), "--n", "4", "--out", str(tmp_path / "s")]) == 0
    (tmp_path / "new.json").write_text(json.dumps(raw))  # a new run is held to the rule
    assert main(["train", "--config", str(tmp_path / "new.json"), "--out", str(tmp_path / "new")]) == 2
    assert "loss.label_smoothing" in capsys.readouterr().err and not (tmp_path / "new").exists()
