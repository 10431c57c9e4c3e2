"""The bench commands run end to end on tiny budgets and print their tables (figures go in README)."""

import json

from ganstudio.cli import main


def test_bench_speed_prints_both_sides_and_writes_json(tmp_path, capsys):
    out = tmp_path / "speed.json"
    assert main(["bench", "speed", "--preset", "ring-8", "--steps", "4", "--chunk", "2", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "plain loop img/s" in table and "ring-8" in table
    result = json.loads(out.read_text())["results"]["ring-8"]
    assert result["engine_images_per_s"] > 0 and result["plain_images_per_s"] > 0 and result["chunks"] == 2


def test_bench_modes_runs_the_protocol(tmp_path, capsys):
    out = tmp_path / "modes.json"
    assert main(["bench", "modes", "--dataset", "grid-25", "--runs", "2", "--steps", "30", "--set", "model.width=16",
                 "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "PacGAN4" in table and "/ 25" in table
    runs = json.loads(out.read_text())["runs"]
    assert [r["seed"] for r in runs] == [0, 1] and all(0 <= r["high_quality"] <= 1 for r in runs)


def test_bench_modes_refuses_other_datasets(capsys):
    assert main(["bench", "modes", "--dataset", "spiral"]) == 2
    assert "ring-8 or grid-25" in capsys.readouterr().err


def test_bench_gui_measures_lag_and_throughput(qtbot, tmp_path, capsys):
    out = tmp_path / "gui.json"
    assert main(["bench", "gui", "--preset", "ring-8", "--seconds", "0.5", "--rounds", "1", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["lag_samples"] > 0 and result["gui_steps_per_s"] > 0 and result["headless_steps_per_s"] > 0


def test_bench_startup_paints_before_torch(tmp_path, capsys):
    out = tmp_path / "startup.json"
    assert main(["bench", "startup", "--runs", "1", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert 0 < result["median_s"] < 60 and result["torch_imported_before_paint"] == 0
