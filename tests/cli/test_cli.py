import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ganstudio.cli import main
from ganstudio.core.checkpoint import load_checkpoint
from ganstudio.core.imaging import load_png
from tests.conftest import tiny_image_config, tiny_toy_config


def write_config(tmp_path, cfg, name="cfg.json") -> str:
    path = tmp_path / name
    path.write_text(cfg.to_json())
    return str(path)


def test_train_and_sample_end_to_end(tmp_path, capsys):
    cfg = write_config(tmp_path, tiny_image_config(steps=20))
    out = tmp_path / "run"
    assert main(["train", "--config", cfg, "--out", str(out)]) == 0
    assert (out / "config.json").is_file()
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == list(range(1, 21))
    assert {"loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d", "grad_norm_g", "seconds"} <= set(records[0])
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["step_000010.png", "step_000020.png"]
    assert load_png(out / "samples" / "step_000020.png").shape == (8 * 30 + 2, 8 * 30 + 2)
    assert {"latest.pt", "step_000010.pt", "step_000020.pt"} == {p.name for p in (out / "checkpoints").iterdir()}

    assert (
        main(
            ["sample", str(out / "checkpoints" / "latest.pt"), "--n", "5", "--seed", "7", "--out", str(tmp_path / "s")]
        )
        == 0
    )
    files = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert files == ["grid.png"] + [f"sample_{i:04d}.png" for i in range(5)]
    first = load_png(tmp_path / "s" / "sample_0000.png")
    assert first.shape == (28, 28) and first.dtype == np.uint8
    assert (
        main(
            ["sample", str(out / "checkpoints" / "latest.pt"), "--n", "5", "--seed", "7", "--out", str(tmp_path / "s2")]
        )
        == 0
    )
    assert np.array_equal(first, load_png(tmp_path / "s2" / "sample_0000.png"))
    assert main(["sample", str(out / "checkpoints" / "latest.pt"), "--n", "5", "--out", str(tmp_path / "s")]) == 2
    assert "exists" in capsys.readouterr().err


def test_toy_sample_writes_npy(tmp_path):
    cfg = write_config(tmp_path, tiny_toy_config(steps=10))
    assert main(["train", "--config", cfg, "--out", str(tmp_path / "run")]) == 0
    assert (
        main(["sample", str(tmp_path / "run" / "checkpoints" / "latest.pt"), "--n", "33", "--out", str(tmp_path / "s")])
        == 0
    )
    assert np.load(tmp_path / "s" / "samples.npy").shape == (33, 2)


def test_resume_ends_with_the_same_weights_as_one_run(tmp_path):
    cfg = write_config(tmp_path, tiny_image_config(steps=15, checkpoint_every=1000))
    assert main(["train", "--config", cfg, "--out", str(tmp_path / "a"), "--steps", "7"]) == 0
    assert main(["train", "--resume", str(tmp_path / "a"), "--steps", "15"]) == 0
    assert main(["train", "--config", cfg, "--out", str(tmp_path / "b")]) == 0
    a = load_checkpoint(tmp_path / "a" / "checkpoints" / "latest.pt")
    b = load_checkpoint(tmp_path / "b" / "checkpoints" / "latest.pt")
    assert a["step"] == b["step"] == 15
    for key in b["generator"]:
        assert torch.equal(a["generator"][key], b["generator"][key]), key
    for key in b["discriminator"]:
        assert torch.equal(a["discriminator"][key], b["discriminator"][key]), key
    steps = [json.loads(line)["step"] for line in (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 16))


def test_resume_with_device_auto(tmp_path):
    cfg = write_config(tmp_path, tiny_toy_config(steps=5))
    assert main(["train", "--config", cfg, "--out", str(tmp_path / "a")]) == 0
    assert main(["train", "--resume", str(tmp_path / "a"), "--steps", "10", "--device", "auto"]) == 0
    assert load_checkpoint(tmp_path / "a" / "checkpoints" / "latest.pt")["step"] == 10


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--preset", "nope"], "unknown preset"),
        (["train", "--config", "/nonexistent/cfg.json"], "file not found"),
        (["train", "--preset", "ring-8", "--steps", "0"], "train.steps"),
        (["train", "--resume", "/nonexistent/run"], "/nonexistent/run does not exist"),
        (["watch", __file__], "is a file, not a GAN Studio run folder"),
        (["sample", "/nonexistent.pt", "--out", "x"], "checkpoint not found"),
        (["train", "--preset", "ring-8", "--device", "cuda:7"], "CUDA"),
    ],
)
def test_bad_input_is_one_clear_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and err.startswith("ganstudio: error:") and "Traceback" not in err
    assert len(err.splitlines()) == 1


def test_bad_json_config(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"train": {"batch_size": 0}}')
    assert main(["train", "--config", str(bad), "--out", str(tmp_path / "r")]) == 2
    assert "train.batch_size" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_presets_lists_one_line_each(capsys):
    assert main(["presets"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    names = [line.split()[0] for line in lines]
    assert names[:4] == ["fashion-fast", "fashion-dcgan", "paper-mlp-fashion", "ring-8"]
    assert len(names) == len(set(names)) and "grid-25" in names


def test_ctrl_c_saves_a_checkpoint_and_exits_cleanly(tmp_path):
    cfg = write_config(tmp_path, tiny_image_config(steps=100000, log_every=1))
    out = tmp_path / "my run"  # a space: the printed command must paste as one folder
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ganstudio", "train", "--config", cfg, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout.readline().startswith("run folder:")
    assert proc.stdout.readline().startswith("data:")
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted at step" in stdout and "Traceback" not in stderr
    command = stdout.split("continue with: ")[1].strip()
    assert shlex.split(command) == ["ganstudio", "train", "--resume", str(out)], command
    state = load_checkpoint(out / "checkpoints" / "latest.pt")
    metrics = out / "metrics.jsonl"  # absent when the interrupt came before the first step
    records = [json.loads(line) for line in metrics.read_text().splitlines()] if metrics.exists() else []
    assert [r["step"] for r in records if "event" not in r] == list(range(1, state["step"] + 1))
    assert [r["message"] for r in records if r.get("event") == "stopping"] == ["interrupted"]  # for a window


def test_a_signal_the_run_was_started_ignoring_stays_ignored(tmp_path):
    """`nohup ganstudio train ...` ignores SIGHUP so the run outlives its terminal; the run's own handler
    took it back, and closing the terminal stopped the run."""
    cfg = write_config(tmp_path, tiny_toy_config(steps=100000, log_every=1))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ganstudio", "train", "--config", cfg, "--out", str(tmp_path / "run")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),  # as nohup starts it
    )
    assert proc.stdout.readline().startswith("run folder:")
    assert proc.stdout.readline().startswith("data:")
    proc.send_signal(signal.SIGHUP)
    proc.send_signal(signal.SIGTERM)  # the stop that counts
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "stopped by SIGTERM at step" in stdout and "SIGHUP" not in stdout


def test_ctrl_c_while_torch_is_half_imported_is_one_line(monkeypatch, capsys):
    """Ctrl-C in the first second lands inside torch's import; the clause that names the user errors
    imports torch again, and a half-imported torch raises there (ImportError, AttributeError)."""
    import ganstudio.cli as cli

    def half_imported():
        raise ImportError("cannot import name 'nn' from partially initialized module 'torch'")

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "user_errors", half_imported)
    assert cli._run_command(argparse.Namespace(func=interrupted)) == cli.EXIT_INTERRUPTED
    assert capsys.readouterr().err == "ganstudio: interrupted\n"


def test_a_second_interrupt_before_the_save_says_what_was_lost(capsys):
    """Two quick Ctrl-Cs ended with a bare "interrupted", though the second one had cut the save short."""
    import signal

    import ganstudio.cli as cli
    from ganstudio import cli_train

    stop = cli_train.StopOnInterrupt()
    stop._handle(signal.SIGINT, None)  # the first asks the loop to stop and save

    def saving(args):
        stop._handle(signal.SIGINT, None)  # the second comes while it saves

    assert cli._run_command(argparse.Namespace(func=saving)) == cli.EXIT_INTERRUPTED
    err = capsys.readouterr().err
    assert err.startswith("ganstudio: interrupted again") and "the steps since its last checkpoint are lost" in err
    assert err.count("\n") == 1


def test_installed_package_finds_its_resources(tmp_path):
    """Runs isolated from the source tree (-I, another cwd): resources must come from the installed package."""
    code = (
        "import ganstudio, sys; from ganstudio.core.data.images import bundled_fashion_images, bundled_fashion_labels;"
        "from importlib import resources;"
        "assert bundled_fashion_images().shape == (10000, 1, 28, 28);"
        "assert bundled_fashion_labels().shape == (10000,);"
        "assert resources.files('ganstudio.resources').joinpath('fashion-mnist/LICENSE.txt').is_file();"
        "print(ganstudio.__file__)"
    )
    result = subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    script = Path(sys.executable).with_name("ganstudio")
    listed = subprocess.run([str(script), "presets"], cwd=tmp_path, capture_output=True, text=True)
    assert listed.returncode == 0 and "fashion-dcgan" in listed.stdout


def test_set_overrides_config_fields(tmp_path):
    cfg = write_config(tmp_path, tiny_toy_config(steps=5))
    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--config",
                cfg,
                "--out",
                str(out),
                "--set",
                "loss.kind=hinge",
                "--set",
                "model.spectral_norm=true",
                "--set",
                "train.instance_noise=0.1",
            ]
        )
        == 0
    )
    saved = json.loads((out / "config.json").read_text())
    assert saved["loss"]["kind"] == "hinge" and saved["model"]["spectral_norm"] is True
    assert saved["train"]["instance_noise"] == 0.1


def test_bad_set_is_a_clear_error(tmp_path, capsys):
    assert main(["train", "--preset", "ring-8", "--set", "loss.nope=1", "--out", str(tmp_path / "r")]) == 2
    assert "loss.nope" in capsys.readouterr().err


def test_watch_opens_the_window_on_a_run_folder(tmp_path, monkeypatch, capsys):
    import ganstudio.gui.app

    opened = []
    monkeypatch.setattr(ganstudio.gui.app, "run_app", lambda argv=None, watch=None: opened.append(watch) or 0)
    assert main(["watch", str(tmp_path)]) == 2
    assert "not a GAN Studio run folder" in capsys.readouterr().err and opened == []
    (tmp_path / "config.json").write_text(tiny_image_config().to_json())
    assert main(["watch", str(tmp_path)]) == 0
    assert opened == [str(tmp_path)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 and Wayland are Linux's window systems")
def test_the_window_without_a_display_is_one_line_not_a_qt_abort(tmp_path):
    """Over ssh without -X, Qt aborted the process (exit 134) with seven lines that blamed libxcb-cursor0."""

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["XDG_RUNTIME_DIR"] = str(tmp_path)  # no Wayland socket there either
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.json").write_text(tiny_image_config().to_json())
    for argv in ([], ["watch", str(tmp_path / "run")]):
        done = subprocess.run(
            [sys.executable, "-m", "ganstudio", *argv], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.splitlines() == [
            "ganstudio: error: no display to open the window on (DISPLAY is not set): run it in a desktop "
            "session, or over ssh with -X; headless, train with `ganstudio train` and watch its folder from a "
            "machine with a screen"
        ]
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["config.json"]


QT_LIBRARY_MISSING = """
import sys
class NoEgl:
    def find_spec(self, name, path=None, target=None):
        if name == "PySide6.QtWidgets":
            raise ImportError("libEGL.so.1: cannot open shared object file: No such file or directory")
sys.meta_path.insert(0, NoEgl())
from ganstudio.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_system_library_qt_lacks_is_named_with_the_packages_that_bring_it(tmp_path):
    """A minimal Linux has PySide6 installed but not libEGL: "the window needs PySide6" sent people to
    reinstall what they had."""
    done = subprocess.run(
        [sys.executable, "-c", QT_LIBRARY_MISSING], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("ganstudio: error: Qt cannot load a system library it needs (libEGL.so.1: cannot open")
    assert "apt-get install libegl1 libgl1" in line and "PySide6" not in line


def test_the_qt_system_packages_named_are_those_ci_installs_and_readme_lists():
    """The list lives in three places (the error line, .ci/run, README's Troubleshooting): kept one list here."""
    from ganstudio.gui.app import QT_SYSTEM_PACKAGES

    root = Path(__file__).resolve().parents[2]
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert f"for pkg in {QT_SYSTEM_PACKAGES}; do" in ci
    assert f"apt-get install {QT_SYSTEM_PACKAGES}" in readme


def test_a_one_step_run_says_one_step_and_V_prints_the_version(tmp_path, capsys):
    cfg = write_config(tmp_path, tiny_toy_config(steps=1))
    assert main(["train", "--config", cfg, "--out", str(tmp_path / "run")]) == 0
    assert "done: 1 step; checkpoint" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exited:
        main(["-V"])
    assert exited.value.code == 0 and capsys.readouterr().out.startswith("ganstudio ")


def test_a_field_set_twice_is_refused_before_anything_is_made(tmp_path, capsys):
    """The last --set won and the first went unchecked: a typo in it trained on silently."""
    out = tmp_path / "run"
    args = ["train", "--preset", "ring-8", "--set", "train.steps=abc", "--set", "train.steps=5", "--out", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err == "ganstudio: error: --set train.steps given more than once; give it once\n"
    assert not out.exists()


@pytest.mark.parametrize("dataset", [None, "ring-8"])
def test_a_folder_set_for_a_dataset_that_reads_none_is_refused_before_anything_is_made(tmp_path, capsys, dataset):
    """`--set data.path=MY_PICTURES` alone trained on the bundled set, config.json naming the folder beside it."""
    out = tmp_path / "run"
    chosen = ["--set", f"data.dataset={dataset}"] if dataset else []
    args = ["train", "--steps", "1", *chosen, "--set", f"data.path={tmp_path}", "--out", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err == (
        f"ganstudio: error: --set data.path: {dataset or 'fashion-mnist'} reads no folder; to train on your own "
        "images add --set data.dataset=image-folder\n"
    )
    assert not out.exists()


def test_a_resume_says_the_step_it_continues_from_and_the_logged_steps_it_trains_again(tmp_path, capsys):
    """After a kill -9 between two checkpoints `train --resume` said nothing of where it went on from (trial X)."""
    import json

    from tests.conftest import tiny_toy_config, trained_run

    trained_run(tiny_toy_config(steps=10, log_every=1), tmp_path / "run")
    metrics = tmp_path / "run" / "metrics.jsonl"
    last = [r for r in map(json.loads, metrics.read_text().splitlines()) if "event" not in r][-1]
    with open(metrics, "a") as fh:  # what a process killed at step 14 had logged
        fh.writelines(json.dumps({**last, "step": step}) + "\n" for step in range(11, 15))
    assert main(["train", "--resume", str(tmp_path / "run"), "--steps", "20"]) == 0
    out = capsys.readouterr().out
    assert (
        "continuing from step 10 (its latest checkpoint); the 4 steps logged after it were not saved and train again\n"
        in out
    )
    assert main(["train", "--resume", str(tmp_path / "run"), "--steps", "25"]) == 0
    assert "continuing from step 20 (its latest checkpoint)\n" in capsys.readouterr().out
