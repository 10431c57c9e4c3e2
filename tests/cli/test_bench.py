"""The bench commands run end to end on tiny budgets and print their tables (figures go in README)."""

import json

import pytest

from ganstudio.cli import build_parser, main


def usage_error(argv, capsys) -> str:
    """argparse refuses `argv` with exit status 2 and one line on stderr, which is returned."""
    with pytest.raises(SystemExit) as exited:
        main(argv)
    err = capsys.readouterr().err
    assert exited.value.code == 2 and err.startswith("ganstudio: error: ") and err.count("\n") == 1
    return err


def test_bench_speed_measures_the_plain_loop_and_each_fast_path_switch(tmp_path, capsys):
    out = tmp_path / "speed.json"
    assert (
        main(
            ["bench", "speed", "--preset", "ring-8", "--steps", "4", "--chunk", "2", "--no-compile", "--json", str(out)]
        )
        == 0
    )
    table = capsys.readouterr().out
    assert "plain PyTorch loop" in table and "engine, auto" in table and "optimizer for-loop" in table
    result = json.loads(out.read_text())["results"]["ring-8"]
    assert result["plain_images_per_s"] > 0 and result["chunks"] == 2
    variants = result["variants"]
    assert variants["engine, auto"]["images_per_s"] > 0
    assert "channels-last on" not in variants  # an MLP has no convolutions: the same fast path, not measured twice
    assert "torch.compile" not in variants
    assert len({v["fast_path"] for v in variants.values()}) == len(variants)


def test_bench_memory_reads_resident_memory_every_thousand_steps(qtbot, tmp_path, capsys):
    out = tmp_path / "memory.json"
    assert main(["bench", "memory", "--preset", "ring-8", "--steps", "2000", "--json", str(out)]) == 0
    assert "resident MB" in capsys.readouterr().out
    result = json.loads(out.read_text())
    assert [m["step"] // 1000 for m in result["marks"]] == [1, 2]
    assert all(m["resident_mb"] > 50 for m in result["marks"])


def test_bench_memory_needs_a_long_enough_run(capsys):
    assert "at least 2,000" in usage_error(["bench", "memory", "--steps", "1500"], capsys)


def test_a_given_step_count_is_never_mistaken_for_the_default(capsys):
    """200 used to be both speed's default and the "not given" mark, so memory ran 10,000 steps for it."""
    assert "--steps: must be at least 2,000" in usage_error(["bench", "memory", "--steps", "200"], capsys)
    parse = build_parser().parse_args
    assert parse(["bench", "memory"]).steps == 10_000 and parse(["bench", "modes"]).steps is None
    assert parse(["bench", "modes", "--steps", "200"]).steps == 200


def test_bench_presets_come_from_the_preset_table(capsys):
    err = usage_error(["bench", "speed", "--preset", "nope"], capsys)
    assert "invalid choice: 'nope'" in err and "fashion-dcgan" in err
    assert usage_error(["bench", "quality", "--samples", "0"], capsys).endswith(
        "must be at least 1, not 0 (see: ganstudio bench quality --help)\n"
    )


def test_bench_modes_runs_the_protocol(tmp_path, capsys):
    out = tmp_path / "modes.json"
    assert (
        main(
            [
                "bench",
                "modes",
                "--dataset",
                "grid-25",
                "--runs",
                "2",
                "--steps",
                "30",
                "--set",
                "model.width=16",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    table = capsys.readouterr().out
    assert "PacGAN4" in table and "/ 25" in table
    runs = json.loads(out.read_text())["runs"]
    assert [r["seed"] for r in runs] == [0, 1] and all(0 <= r["high_quality"] <= 1 for r in runs)


def test_bench_modes_on_gaussian_1d_reports_w1_and_d_per_seed(tmp_path, capsys):
    out = tmp_path / "match.json"
    assert main(["bench", "modes", "--dataset", "gaussian-1d", "--runs", "2", "--steps", "10", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "W1 to the data" in table and "mean +- std" in table and "median" in table
    runs = json.loads(out.read_text())["runs"]
    assert [r["seed"] for r in runs] == [0, 1]
    assert all(r["w1"] > 0 and 0 < r["d_real"] < 1 and r["d_loss"] > 0 for r in runs)


def test_bench_modes_refuses_other_datasets(capsys):
    err = usage_error(["bench", "modes", "--dataset", "spiral"], capsys)
    assert "invalid choice: 'spiral' (choose from 'ring-8', 'grid-25', 'gaussian-1d')" in err


def test_bench_gui_measures_lag_and_throughput(qtbot, tmp_path, capsys):
    out = tmp_path / "gui.json"
    assert main(["bench", "gui", "--preset", "ring-8", "--seconds", "0.5", "--rounds", "1", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["lag_samples"] > 0 and result["gui_steps_per_s"] > 0 and result["headless_steps_per_s"] > 0
    assert 0 < result["gui_thread_cpu_share"] < 1 and result["ratio"] > 0


def test_bench_startup_paints_before_torch_and_pyqtgraph(tmp_path, capsys):
    """The probe child checks sys.modules at the window's first paint and Start enabled at views_ready, then
    presses Start and times the first training step, which only arrives if the run really trains."""
    out = tmp_path / "startup.json"
    assert main(["bench", "startup", "--runs", "1", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert 0 < result["median_s"] < result["usable_median_s"] < 60
    assert result["torch_or_pyqtgraph_before_paint"] == 0
    assert 0 < result["start_to_first_step_median_s"] < 120
    assert "Start to first training step" in capsys.readouterr().out


def test_bench_supervisor_pairs_the_bare_loop_with_the_supervisor(tmp_path, capsys):
    out = tmp_path / "supervisor.json"
    assert main(["bench", "supervisor", "--preset", "ring-8", "--steps", "6", "--chunk", "3", "--json", str(out)]) == 0
    assert "bare session loop" in capsys.readouterr().out
    result = json.loads(out.read_text())
    assert result["chunks"] == 2 and len(result["supervised_images_per_s"]) == 2
    assert result["median_paired_ratio"] > 0
