"""Inputs a new user's trial turned into crashes or silent surprises: a checkpoint saved after its run went
NaN, a whole number for a float field, a PacGAN toy run's map of D, empty or out-of-range arguments, an --out
folder holding the user's own files, a watched folder whose config cannot run. One line each, exit status 2."""

import contextlib
import io
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from ganstudio.cli import main
from ganstudio.core.checkpoint import load_checkpoint, save_checkpoint
from ganstudio.core.config import apply_override, check, validate
from ganstudio.core.distribution import distribution_frame
from ganstudio.core.trainer import Trainer
from tests.cli.test_semi_cli import ROOT
from tests.conftest import (
    a_set_whose_checkpoint_was_renamed,
    checkpoint_on_folder,
    one_error_line,
    tiny_toy_config,
    with_nan,
)


def status_of(command: list[str]) -> int:
    """main's exit status, argparse's refusals (a SystemExit) included."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return main(command)
    except SystemExit as exc:
        return int(exc.code)


def test_a_generator_that_went_nan_is_refused_not_drawn_blank_or_crashed_on(small_checkpoint, tmp_path, capsys):
    state = load_checkpoint(small_checkpoint)
    state["generator"] = with_nan(state["generator"])
    broken = save_checkpoint(state, tmp_path / "nan.pt")
    for command in (
        ["sample", str(broken), "--n", "4", "--out", str(tmp_path / "s")],
        ["eval", str(broken), "--n", "50"],
    ):
        assert main(command) == 2
        assert "weights are not all finite" in one_error_line(capsys)
    assert not (tmp_path / "s").exists() and not (tmp_path / "p.csv").exists()


def test_a_whole_number_for_a_float_field_trains():
    config = tiny_toy_config(steps=2)
    apply_override(config, "optim.beta1=0")  # as the README's tables write it
    Trainer(check(config)).step()
    assert isinstance(config.optim.beta1, float)


def test_a_field_out_of_range_is_named_before_the_rules_that_divide_by_it():
    for assignment, field in (("model.pack=0", "model.pack"), ("perf.processes=0", "perf.processes")):
        config = tiny_toy_config()
        apply_override(config, assignment)
        assert [name for name, _ in validate(config)] == [field]


def test_a_pacgan_toy_run_draws_its_map_of_d():
    config = tiny_toy_config(steps=2)
    config.model.pack = 4
    trainer = Trainer(check(config))
    trainer.step()
    real = trainer.data.sample(64, torch.Generator().manual_seed(0)).numpy()
    frame = distribution_frame(trainer, real, torch.randn(32, config.model.latent_dim))
    assert frame.d_map is not None and np.isfinite(frame.d_map).all()


def test_arguments_out_of_range_or_empty_are_one_line(small_checkpoint, tmp_path, capsys, read_only_folder):
    checkpoint = str(small_checkpoint)
    out = ["--out", str(tmp_path / "s")]
    a_manifest = tmp_path / "manifest.json"
    a_manifest.write_text('{"format": "ganstudio-image-set", "version": 1}')
    for command, says in (
        (["sample", checkpoint, "--seed", str(2**70), *out], "must be at most"),
        (["sample", checkpoint, "--seed", "-1", *out], "must be at least 0"),
        (["sample", checkpoint, "--device", "bogus", *out], "is not one of auto, cpu, cuda"),
        (["sample", "--manifest", str(tmp_path / "m.json"), "--n", "5", *out], "--n: a manifest regenerates"),
        (["sample", str(a_manifest), *out], "it is JSON: an image set's manifest.json is regenerated with"),
        (["sample", "--manifest", checkpoint, *out], "is a checkpoint, not an image set's manifest.json"),
        (["train", "--resume", ""], "--resume: must not be empty"),
        (["train", "--preset", " "], "--preset: must not be empty"),
        (["eval", ""], "checkpoint: must not be empty"),  # said ". is not a regular file"
        (["sample", "", *out], "checkpoint: must not be empty"),
        (["watch", ""], "RUN_DIR: must not be empty"),
        (["sample", "--manifest", "", *out], "--manifest: must not be empty"),  # said "give a checkpoint"
        (["eval", checkpoint, "--json", ""], "--json: must not be empty"),  # said "--json:  is a folder"
        (["eval", checkpoint, "--dataset", ""], "--dataset: must not be empty"),
        (["classify", "", "x", "--out", str(tmp_path / "p.csv")], "checkpoint: must not be empty"),
        (["classify", checkpoint, "", "--out", str(tmp_path / "p.csv")], "images: must not be empty"),
        (["classify", checkpoint, "x", "--labels", "", "--out", str(tmp_path / "p.csv")], "--labels: must not"),
        (["eval", checkpoint, "--n", "50", "--json", str(tmp_path / "missing" / "e.json")], "there is no folder"),
        (["eval", checkpoint, "--json", str(read_only_folder / "e.json")], "cannot be written to"),  # not after
        (["classify", checkpoint, "x", "--out", str(read_only_folder / "p.csv")], "cannot be written to"),
        (["bench", "speed", "--json", str(read_only_folder / "b.json")], "cannot be written to"),
    ):
        assert status_of(command) == 2, command
        assert says in one_error_line(capsys)
    assert not (tmp_path / "s").exists()


def test_out_holding_the_users_files_is_refused_and_left_as_it_was(tmp_path, capsys):
    mine = tmp_path / "mine"
    (mine / "samples").mkdir(parents=True)
    (mine / "live.png").write_bytes(b"my picture")
    assert main(["train", "--preset", "ring-8", "--steps", "2", "--out", str(mine)]) == 2
    assert "is not empty" in one_error_line(capsys)
    assert sorted(p.name for p in mine.rglob("*")) == ["live.png", "samples"]
    assert (mine / "live.png").read_bytes() == b"my picture"
    assert main(["train", "--preset", "ring-8", "--steps", "2", "--out", str(mine / "live.png")]) == 2
    assert one_error_line(capsys).endswith(
        "live.png is not a folder: a run writes a folder of its own; choose another --out"
    )
    assert (mine / "live.png").read_bytes() == b"my picture"
    dangling = tmp_path / "link"
    dangling.symlink_to("nowhere")  # mkdir said "cannot create link: File exists"
    assert main(["train", "--preset", "ring-8", "--steps", "2", "--out", str(dangling)]) == 2
    assert one_error_line(capsys).endswith("link is a link to nowhere, which does not exist; choose another --out")
    assert dangling.is_symlink() and not (tmp_path / "nowhere").exists()
    watched = tmp_path / "watched"  # a window watching the folder before its training process started
    watched.mkdir()
    (watched / "control.jsonl").write_text("")
    (watched / ".DS_Store").write_bytes(b"\0")  # hidden files are not the user's work
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["train", "--preset", "ring-8", "--steps", "2", "--out", str(watched)]) == 0
    assert (watched / "config.json").is_file()


def test_watching_a_folder_whose_config_cannot_run_is_one_line_before_any_window(tmp_path):
    (tmp_path / "config.json").write_text('{"train": {"steps": "many"}}')
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "ganstudio", "watch", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and "train.steps" in lines[0], result.stderr


def test_a_run_whose_weights_go_nan_never_saves_them_over_a_checkpoint(tmp_path, capsys):
    out = tmp_path / "run"
    blow_up = ["--set", "optim.name=sgd", "--set", "optim.lr_g=1e30", "--set", "optim.lr_d=1e30"]
    command = ["train", "--preset", "ring-8", "--steps", "25", *blow_up, "--set", "train.checkpoint_every=1"]
    assert status_of([*command, "--out", str(out)]) == 2  # stopped by the NaN alarm, nowhere to rewind to
    assert "no checkpoint was saved before the weights went NaN" in capsys.readouterr().err
    for saved in out.glob("checkpoints/*.pt"):
        state = load_checkpoint(saved)
        assert all(torch.isfinite(v).all() for net in ("generator", "discriminator") for v in state[net].values() if v.is_floating_point())  # fmt: skip


def test_force_never_replaces_a_folder_and_touches_nothing_when_it_refuses(small_checkpoint, tmp_path, capsys):
    out = tmp_path / "samples"
    assert status_of(["sample", str(small_checkpoint), "--n", "3", "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / "grid.png").unlink()
    (out / "grid.png").mkdir()
    del before["grid.png"]
    assert status_of(["sample", str(small_checkpoint), "--n", "3", "--seed", "9", "--out", str(out), "--force"]) == 2
    assert "grid.png is not a file" in one_error_line(capsys)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_samples_are_not_written_into_a_run_folders_top_level(small_checkpoint, tmp_path, capsys):
    """sample --out RUN wrote sample_*.png and grid.png beside config.json, where train --out refuses a run."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}")  # what makes a folder a run's
    assert status_of(["sample", str(small_checkpoint), "--n", "3", "--out", str(run)]) == 2
    assert one_error_line(capsys).endswith(
        f"{run} is a run folder; write the samples into a folder of their own (a new --out)"
    )
    assert [p.name for p in run.iterdir()] == ["config.json"]


def test_continuing_from_nan_weights_is_refused_and_leaves_the_folder_as_it_was(tmp_path, capsys):
    run = tmp_path / "run"
    assert status_of(["train", "--preset", "ring-8", "--steps", "4", "--out", str(run)]) == 0
    capsys.readouterr()  # its progress line
    latest = run / "checkpoints" / "latest.pt"
    state = load_checkpoint(latest)
    state["discriminator"] = with_nan(state["discriminator"])
    save_checkpoint(state, latest)  # as an older version saved a run that went NaN
    before = {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()}
    assert status_of(["train", "--resume", str(run), "--steps", "8"]) == 2
    assert "not all finite numbers" in one_error_line(capsys)
    assert {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()} == before


def test_a_pacgan_one_dimensional_run_measures_its_match():
    from ganstudio.core.session import measure_match

    config = tiny_toy_config("gaussian-1d", steps=2)
    config.model.pack = 2
    trainer = Trainer(check(config))
    trainer.step()
    match = measure_match(trainer)
    assert match is not None and np.isfinite(match.d_loss)


def test_a_config_setting_a_key_twice_is_refused_by_name(tmp_path, capsys):
    (tmp_path / "twice.json").write_text('{"train": {"steps": 5, "steps": 50000}}')
    assert status_of(["train", "--config", str(tmp_path / "twice.json"), "--out", str(tmp_path / "run")]) == 2
    assert "the key 'steps' is given twice" in one_error_line(capsys)
    assert not (tmp_path / "run").exists()


def test_a_flag_and_a_set_of_the_same_field_are_refused_together(tmp_path, capsys):
    """--set won on a new run and --steps on --resume: which one counts was a guess."""
    out = tmp_path / "run"
    command = ["train", "--preset", "ring-8", "--steps", "3", "--set", "train.steps=900", "--out", str(out)]
    assert status_of(command) == 2
    assert "--steps and --set train.steps both given" in one_error_line(capsys)
    assert not out.exists()


def test_a_link_planted_as_lock_json_stops_a_resume_without_writing_through_it(tmp_path, capsys):
    run = tmp_path / "run"
    assert status_of(["train", "--preset", "ring-8", "--steps", "4", "--out", str(run)]) == 0
    capsys.readouterr()
    outside = tmp_path / "notes.txt"
    outside.write_text("the user's notes")
    (run / "lock.json").symlink_to(outside)
    before = {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file() and not p.is_symlink()}
    assert status_of(["train", "--resume", str(run), "--steps", "8"]) == 2
    assert "lock.json is a link" in one_error_line(capsys)
    assert outside.read_text() == "the user's notes"
    after = {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file() and not p.is_symlink()}
    assert after == before


def test_a_folder_too_small_to_score_is_refused_at_start_not_at_its_first_score(tmp_path, capsys):
    """17 images trained up to the first quality score and failed there, with no checkpoint to resume."""
    from PIL import Image

    images = tmp_path / "few"
    images.mkdir()
    for i in range(17):
        Image.new("L", (28, 28), 10 * i).save(images / f"{i}.png")
    argv = ["train", "--preset", "fashion-dcgan", "--set", "data.dataset=image-folder", "--set"]
    argv += [f"data.path={images}", "--steps", "30", "--out", str(tmp_path / "run")]
    assert main(argv) == 2
    line = one_error_line(capsys)
    assert "at least 20 real images and the dataset has 17" in line and "quality.every=0" in line
    assert not (tmp_path / "run").exists()
    assert main([*argv, "--set", "quality.every=0"]) == 0  # the way out it names


def test_an_unknown_option_points_to_the_help_of_the_command_it_was_given_to(capsys):
    """`train --bogus` pointed to `ganstudio --help`, which does not list train's options."""
    for command, helped in (
        (["train", "--bogus"], "ganstudio train --help"),
        (["bench", "semi", "--nope"], "ganstudio bench semi --help"),
        (["--bogus"], "ganstudio --help"),
    ):
        assert status_of(command) == 2, command
        assert one_error_line(capsys).endswith(f"unrecognized arguments: {command[-1]} (see: {helped})")


def test_a_run_folder_given_for_a_checkpoint_stands_for_its_latest_one(tmp_path, capsys):
    """A new user gives `sample` the folder `train` printed, and was told it "is not a regular file"."""
    from tests.conftest import trained_run

    run = tmp_path / "run"
    trained_run(tiny_toy_config(steps=4), run)
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["sample", str(run), "--n", "3", "--out", str(tmp_path / "drawn")]) == 0
    assert np.load(tmp_path / "drawn" / "samples.npy").shape[0] == 3
    (tmp_path / "plain").mkdir()
    for command in (
        ["sample", str(tmp_path / "plain"), "--out", str(tmp_path / "x")],
        ["eval", str(tmp_path / "plain")],
    ):
        assert status_of(command) == 2
        assert "plain is a folder: give a checkpoint (.pt file), or a run folder that has saved one" in one_error_line(
            capsys
        )
    assert not (tmp_path / "x").exists()


def test_samples_and_image_sets_are_not_written_into_the_image_folder_the_run_trains_on(
    small_checkpoint, tmp_path, capsys
):
    """`sample --out MY_IMAGES/cats` put sample_*.png, grid.png and labels.csv among the photos the run trains on:
    its next resume would have trained on them (or been refused as its data changed)."""
    from ganstudio.core.export import ImageSetSpec, write_image_set
    from ganstudio.core.sampling import load_generator

    data = tmp_path / "my images"
    (data / "cats").mkdir(parents=True)
    (data / "cats" / "tom.png").write_bytes(b"a photo")
    checkpoint = checkpoint_on_folder(small_checkpoint, data, tmp_path / "run.pt")
    for out in (data / "cats", data, data / "new"):
        assert status_of(["sample", str(checkpoint), "--n", "3", "--out", str(out)]) == 2
        assert one_error_line(capsys).endswith(
            f"{out} is inside {data}, the image folder the run trains on: images written there would become its "
            "training data; choose a folder outside it"
        )
    saved = write_image_set(load_generator(checkpoint), ImageSetSpec(mode="random", count=2), tmp_path / "set")
    assert status_of(["sample", "--manifest", str(saved / "manifest.json"), "--out", str(data / "cats" / "s")]) == 2
    assert "the image folder the run trains on" in one_error_line(capsys)
    assert [str(p.relative_to(data)) for p in sorted(data.rglob("*"))] == ["cats", "cats/tom.png"]
    assert status_of(["sample", str(checkpoint), "--n", "3", "--out", str(tmp_path / "beside")]) == 0


def test_a_set_whose_checkpoint_was_renamed_regenerates_from_the_checkpoint_named(
    small_checkpoint, small_conditional_checkpoint, tmp_path, capsys
):
    """`sample NEW.pt --manifest M` was refused as "give a checkpoint or --manifest, not both", and the set could
    not be made again once its checkpoint was renamed."""
    made, renamed = a_set_whose_checkpoint_was_renamed(small_checkpoint, tmp_path)
    manifest = str(made / "manifest.json")
    assert status_of(["sample", "--manifest", manifest, "--out", str(tmp_path / "a")]) == 2
    assert one_error_line(capsys).endswith(
        "is not the checkpoint the set was made from (missing, moved or changed); if it moved, name it: "
        f"ganstudio sample CHECKPOINT --manifest {manifest} --out {tmp_path / 'a'}"
    )
    assert (
        status_of(["sample", str(small_conditional_checkpoint), "--manifest", manifest, "--out", str(tmp_path / "b")])
        == 2
    )
    assert one_error_line(capsys).endswith(
        f"{small_conditional_checkpoint} is not the checkpoint the set was made from (not the file whose SHA-256 "
        "manifest.json records)"
    )
    assert main(["sample", str(renamed), "--manifest", manifest, "--out", str(tmp_path / "c")]) == 0
    assert capsys.readouterr().out.endswith("all 5 images are byte for byte the saved set's\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "model-renamed.pt", "set"]


def test_a_run_whose_image_folder_moved_says_to_put_it_back_and_is_left_as_it_was(tmp_path, capsys):
    """ "image folder not found: X" and nothing more: the data may not change under a continued run, so the
    way on (put it back) was left to guess (trial X)."""
    from tests.conftest import tiny_image_config, trained_run, write_pictures

    pictures = write_pictures(tmp_path / "pictures")
    config = tiny_image_config(steps=10)
    config.data.dataset, config.data.path = "image-folder", str(pictures)
    trained_run(config, tmp_path / "run")
    before = {p: p.read_bytes() for p in (tmp_path / "run").rglob("*") if p.is_file()}
    pictures.rename(tmp_path / "moved")
    assert main(["train", "--resume", str(tmp_path / "run"), "--steps", "20"]) == 2
    assert one_error_line(capsys) == (
        f"ganstudio: error: image folder not found: {pictures}: the run trained on that folder; put it back there "
        "(or a link to it) to continue the run, or start a new run on the folder where it is now"
    )
    assert {p: p.read_bytes() for p in (tmp_path / "run").rglob("*") if p.is_file()} == before
    (tmp_path / "moved").rename(pictures)
    assert main(["train", "--resume", str(tmp_path / "run"), "--steps", "20"]) == 0


@pytest.mark.parametrize("processes", [[], ["--nproc", "2"]])
def test_a_run_folder_inside_the_image_folder_it_trains_on_is_refused_and_nothing_is_left(tmp_path, capsys, processes):
    """A run written into its own image folder: the next training on the folder read its live.png and sample
    grids as images (40 became 42, trial X); on many processes it is refused before torchrun starts them."""
    from tests.conftest import write_pictures

    pictures = write_pictures(tmp_path / "pictures")
    argv = ["train", *processes, "--preset", "fashion-dcgan", "--steps", "2", "--set", "quality.every=0"]
    argv += ["--set", "data.dataset=image-folder", "--set", f"data.path={pictures}", "--out", str(pictures / "run")]
    assert main(argv) == 2
    assert one_error_line(capsys) == (
        f"ganstudio: error: {pictures / 'run'} is inside {pictures}, the image folder the run trains on: images "
        "written there would become its training data; choose a folder outside it"
    )
    assert sorted(p.name for p in pictures.iterdir()) == ["0.png", "1.png", "2.png", "3.png"]


def test_eval_on_real_images_it_cannot_use_prints_the_one_error_line_alone(small_checkpoint, tmp_path, capsys):
    """ "reading the real images..." came first on stderr: two lines where a bad input gets one (trial X)."""
    empty, few = tmp_path / "empty", tmp_path / "few"
    empty.mkdir()
    few.mkdir()
    from PIL import Image

    Image.new("L", (28, 28)).save(few / "one.png")
    for folder, said in (
        (empty, f"no readable image in {empty}"),
        (few, "quality scores need at least 20 real images"),
    ):
        argv = ["eval", str(small_checkpoint), "--n", "50", "--dataset", "image-folder", "--data-path", str(folder)]
        assert main(argv) == 2
        assert said in one_error_line(capsys)
