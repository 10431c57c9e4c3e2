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
