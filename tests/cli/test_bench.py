"""The bench commands run end to end on tiny budgets and print their tables (figures go in README)."""

import argparse
import json
import os
import subprocess
import sys

import pytest

from ganstudio.bench import child_process
from ganstudio.cli import _run_command, build_parser, main
from tests.conftest import exited_within


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
    assert table.rstrip().endswith(
        "2 chunks of 2 steps per side: too few for these ratios to mean much (compare at 5 chunks or more: --steps 10)"
    )
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


def test_a_memory_run_shortened_by_set_ends_the_bench_in_one_line(capsys):
    """--set wins over --steps; a run too short to reach its first mark is said, not a traceback."""
    argv = ["bench", "memory", "--preset", "ring-8", "--steps", "2000", "--set", "train.steps=30"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("ganstudio: error: the run ended before its first 1,000 steps: it needs at least 2,000")
    assert err.count("\n") == 1 and "train.steps where --set gives it" in err


def test_bench_speed_refuses_a_semi_supervised_preset_it_would_race_against_a_plain_gan_loop(capsys):
    assert main(["bench", "speed", "--preset", "fashion-semi-100", "--steps", "2", "--chunk", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ganstudio: error: fashion-semi-100 is semi-supervised") and err.count("\n") == 1
    assert "bench semi" in err


def test_a_bench_trains_on_the_threads_its_preset_asks_for(restore_threads, capsys):
    """gaussian-1d's one thread is what its figures were measured with (README), so the bench takes it too."""
    import torch

    torch.set_num_threads(2)
    assert main(["bench", "modes", "--dataset", "gaussian-1d", "--runs", "1", "--steps", "2"]) == 0
    assert torch.get_num_threads() == 1


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


def test_bench_quality_repeats_seeds_and_leaves_out_each_ingredient_in_turn(tmp_path, capsys):
    out = tmp_path / "quality.json"
    argv = ["bench", "quality", "--preset", "fashion-ttur", "--minutes", "0.004", "--samples", "64", "--seeds", "2"]
    tiny = ["--set", "model.width=8", "--set", "train.batch_size=8", "--set", "model.latent_dim=8"]
    assert main([*argv, "--ablation", *tiny, "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "2 seeds, mean +- std" in table and "| fashion-ttur without optim.lr_d " in table
    results = json.loads(out.read_text())["results"]
    assert [r["without"] for r in results] == [[], ["optim.lr_d"], ["optim.lr_g"]]
    assert all(len(r["per_seed"]) == 2 and all(seed["steps"] >= 1 for seed in r["per_seed"]) for r in results)
    for r in results:
        assert r["frechet"] == pytest.approx(sum(s["frechet"] for s in r["per_seed"]) / 2, abs=1e-5)
    assert results[0]["per_seed"][0]["frechet"] != results[0]["per_seed"][1]["frechet"]  # two seeds, two runs


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (["--without", "train.k"], "fashion-dcgan does not set train.k (it is the defaults)"),
        (["--without", ","], "--without: name the fields to leave out"),
        (["--set", "train.bogus=1"], "train.bogus: expected section.field=value"),
    ],
)
def test_bench_quality_refuses_a_row_it_cannot_build_before_training_any(extra, reason, capsys):
    assert main(["bench", "quality", "--preset", "fashion-dcgan", "--preset", "fashion-ttur", *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ganstudio: error: ") and reason in err and err.count("\n") == 1


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
    d_real = [r["d_real"] for r in runs]
    mean, sample_std = sum(d_real) / 2, abs(d_real[0] - d_real[1]) / 2**0.5  # the spread over seeds: n - 1
    assert f"{mean:.3f} +- {sample_std:.3f}" in table


def test_bench_modes_refuses_other_datasets(capsys):
    err = usage_error(["bench", "modes", "--dataset", "spiral"], capsys)
    assert "invalid choice: 'spiral' (choose from 'ring-8', 'grid-25', 'gaussian-1d')" in err


def test_bench_gui_measures_lag_and_throughput(qtbot, tmp_path, capsys):
    out = tmp_path / "gui.json"
    assert main(["bench", "gui", "--preset", "ring-8", "--seconds", "0.5", "--rounds", "1", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["lag_samples"] > 0 and result["gui_steps_per_s"] > 0 and result["headless_steps_per_s"] > 0
    assert 0 < result["gui_thread_cpu_share"] < 1 and result["ratio"] > 0


def test_bench_explorer_times_the_chosen_presets_generator(qtbot, tmp_path, capsys):
    """The slider latency and the training-while-dragging chunks both use --preset's models (the default
    is the window's own preset, so the figures are the ones a new user meets)."""
    out = tmp_path / "explorer.json"
    argv = ["bench", "explorer", "--preset", "fashion-fast", "--seconds", "0.5", "--rounds", "1", "--drags", "5"]
    assert main([*argv, "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["preset"] == "fashion-fast"
    for size in ("28px", "64px"):
        assert 0 < result[size]["p50_ms"] <= result[size]["p95_ms"] and result[size]["drags"] == 5
    assert result["training_steps_per_s_quiet"] > 0 and result["training_steps_per_s_dragging"] > 0
    assert "slider -> pixels, 64 px, fashion-fast" in capsys.readouterr().out


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


def test_a_failed_or_hung_helper_process_is_one_line_and_exit_2(capsys):
    """A headless chunk or a group of ranks that dies (a full disk) or hangs ends the bench with one line."""

    full_disk = [sys.executable, "-c", "raise OSError(28, 'No space left on device')"]
    with pytest.raises(child_process.BenchError, match=r"^a headless chunk failed: OSError: .*No space left"):
        child_process.run_child(full_disk, 60, "a headless chunk")
    with pytest.raises(child_process.BenchError, match=r"^2 processes did not finish within 1 s$"):
        hung = [sys.executable, "-c", "import threading; threading.Event().wait()"]  # waits for nothing, for ever
        child_process.run_child(hung, 1, "2 processes")

    def bench(_args):
        return child_process.run_child(full_disk, 60, "a headless chunk")

    assert _run_command(argparse.Namespace(command="bench", func=bench)) == 2
    err = capsys.readouterr().err
    assert err.startswith("ganstudio: error: a headless chunk failed: OSError") and err.count("\n") == 1


def test_a_window_run_refused_at_its_start_ends_the_bench_in_one_line(tmp_path):
    """The window's bench runs are checked for disk room like any run; one refused (here: a step copy at
    every one of ten million steps, more than any disk holds) ends the bench with the window's reason
    instead of waiting for ever for statistics."""
    argv = [sys.executable, "-m", "ganstudio", "bench", "gui", "--preset", "ring-8", "--seconds", "0.5"]
    argv += ["--rounds", "1", "--set", "train.checkpoint_every=1"]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TMPDIR": str(tmp_path)}
    done = subprocess.run(argv, capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("ganstudio: error: the window's run failed before its third step: the disk")
    assert done.stderr.count("\n") == 1 and "save less often" in done.stderr
    assert not list(tmp_path.glob("ganstudio-bench-*"))  # the bench's temporary folder is gone too


def test_a_helper_that_times_out_takes_what_it_started_with_it(tmp_path):
    """torchrun's ranks outlived a timed-out scale bench: the helper's whole process group is ended."""
    pid_file = tmp_path / "grandchild.pid"
    script = (
        "import subprocess, sys, threading; "
        "p = subprocess.Popen([sys.executable, '-c', 'import threading; threading.Event().wait()']); "
        f"open({str(pid_file)!r}, 'w').write(str(p.pid)); threading.Event().wait()"
    )
    with pytest.raises(child_process.BenchError, match="did not finish within 5 s"):
        child_process.run_child([sys.executable, "-c", script], 5, "2 processes")
    grandchild = int(pid_file.read_text())
    if not exited_within(grandchild, 10):
        os.kill(grandchild, 9)
        raise AssertionError("the helper's own child was left running")


def test_a_supervised_run_gone_nan_ends_the_supervisor_bench_in_one_line(tmp_path, capsys):
    """The supervisor pauses a NaN run until someone answers; the bench has nobody to answer, so it ends."""
    argv = ["bench", "supervisor", "--preset", "ring-8", "--steps", "40", "--chunk", "20"]
    argv += ["--set", "optim.lr_g=1e30", "--set", "optim.lr_d=1e30"]
    assert _run_command(build_parser().parse_args(argv)) == 2
    err = capsys.readouterr().err
    assert err.startswith("ganstudio: error: the supervised run ended or paused at step") and err.count("\n") == 1
    assert "NaN" in err


@pytest.mark.parametrize("seconds", ["inf", "1e12", "nan"])
def test_a_bench_duration_that_no_timer_can_hold_is_refused(seconds, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["bench", "gui", "--seconds", seconds])
    assert exit_.value.code == 2 and "--seconds" in capsys.readouterr().err


def test_bench_threads_trains_auto_every_core_and_one_thread_in_real_processes(capsys):
    from ganstudio.core.fast_path import usable_cores

    assert main(["bench", "threads", "--preset", "ring-8", "--steps", "25", "--busy", "0"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| 0 ")]
    cores = usable_cores()
    every_core = [f"{cores} threads"] if cores > 1 else []
    assert [row.split("|")[2].strip() for row in rows] == ["auto", *every_core, "1 thread"]
    assert all(float(row.split("|")[4]) > 0 for row in rows)  # seconds for all steps


@pytest.mark.parametrize(
    ("busy", "said"), [("-1", "must be at least 0, not -1"), ("17", "must be at most 16, not 17"), ("x", "not a whole")]
)
def test_bench_threads_refuses_a_busy_count_it_cannot_start_in_one_line(busy, said, capsys):
    assert said in usage_error(["bench", "threads", "--busy", busy], capsys)


@pytest.mark.parametrize(
    "argv, field, option",
    [
        (["bench", "modes", "--dataset", "ring-8", "--set", "data.dataset=grid-25"], "data.dataset", "--dataset"),
        (
            ["bench", "modes", "--dataset", "ring-8", "--steps", "50", "--set", "train.steps=9"],
            "train.steps",
            "--steps",
        ),
        (["bench", "semi", "--set", "train.labelled_per_class=3"], "train.labelled_per_class", "--labels-per-class"),
        (["bench", "quality", "--set", "train.seed=4"], "train.seed", "--seeds"),
    ],
)
def test_a_set_of_a_field_the_bench_sets_itself_is_refused_not_dropped(argv, field, option, capsys):
    """`bench modes --dataset ring-8 --set data.dataset=grid-25` measured ring-8 under a row that looked changed."""
    err = usage_error(argv, capsys)
    assert f"{field} is set by this bench itself ({option}); give it there" in err
