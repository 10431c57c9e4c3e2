"""What a user's odd input does to the semi-supervised commands: special files and links as --out, a
checkpoint that names a folder elsewhere, options --classifier has no use for, forged headers, broken
checkpoints, bench arguments that would fail only after its runs. One line each, exit status 2."""

import contextlib
import io
import json
import os
import stat
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganstudio.cli import main
from ganstudio.core.checkpoint import load_checkpoint, save_checkpoint
from ganstudio.core.data.images import bundled_fashion_images
from tests.cli.test_semi_cli import run_cli
from tests.conftest import one_error_line, tiny_image_config, with_nan


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("semi")
    cfg = tiny_image_config(steps=4, labelled_per_class=3, batch_size=16, checkpoint_every=4)
    cfg.quality.every, cfg.quality.samples, cfg.quality.keep_best = 4, 50, False
    (folder / "cfg.json").write_text(cfg.to_json())
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["train", "--config", str(folder / "cfg.json"), "--out", str(folder / "run")]) == 0
    return folder / "run" / "checkpoints" / "latest.pt"


@pytest.fixture
def images(tmp_path) -> Path:
    np.save(tmp_path / "x.npy", bundled_fashion_images()[:5, 0])
    return tmp_path / "x.npy"


def forged(checkpoint: Path, folder: Path, name: str, change) -> Path:
    state = load_checkpoint(checkpoint)
    change(state)
    return save_checkpoint(state, folder / name)


def test_an_existing_out_file_is_kept_unless_force_is_given(checkpoint, images, tmp_path, capsys):
    """The first run's 19 predictions were gone after a second classify into the same file, without a word."""
    out = tmp_path / "predictions.csv"
    out.write_text("earlier predictions\n")
    assert main(["classify", str(checkpoint), str(images), "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"ganstudio: error: --out {out} exists; use --force to overwrite it\n"
    assert out.read_text() == "earlier predictions\n"
    assert main(["classify", str(checkpoint), str(images), "--out", str(out), "--force"]) == 0
    assert out.read_text().startswith("name,predicted,")


def test_out_through_a_link_writes_its_target_and_keeps_the_link(checkpoint, images, tmp_path):
    (tmp_path / "target.csv").write_text("old\n")
    (tmp_path / "link.csv").symlink_to(tmp_path / "target.csv")
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["classify", str(checkpoint), str(images), "--out", str(tmp_path / "link.csv"), "--force"]) == 0
    assert (tmp_path / "link.csv").is_symlink()
    assert (tmp_path / "target.csv").read_text().startswith("name,predicted,")


def test_out_into_a_pipe_writes_into_it_and_leaves_the_pipe(checkpoint, images, tmp_path):
    """As --out /dev/null or /dev/stdout would be: renaming a file over them replaced the device itself."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text()), daemon=True)
    reader.start()
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["classify", str(checkpoint), str(images), "--out", str(pipe)]) == 0
    reader.join(timeout=60)
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert received and received[0].startswith("name,predicted,") and received[0].count("\n") == 6


def test_a_checkpoint_from_elsewhere_does_not_choose_the_folder_eval_reads(checkpoint, tmp_path, capsys):
    def point_at_a_system_folder(state):
        state["config"]["data"].update(dataset="image-folder", path="/usr")

    moved = forged(checkpoint, tmp_path, "moved.pt", point_at_a_system_folder)
    assert main(["eval", str(moved), "--classifier"]) == 2
    assert "does not choose what is read" in one_error_line(capsys)
    assert (
        main(["eval", str(moved), "--classifier", "--dataset", "fashion-mnist", "--json", str(tmp_path / "e.json")])
        == 0
    )
    assert "held-out 2,000 of the bundled 10,000" in capsys.readouterr().out
    saved = json.loads((tmp_path / "e.json").read_text())
    assert saved["split"].startswith("held-out 2,000") and len(saved["confusion"]) == 10


def test_eval_classifier_refuses_the_sample_scores_options_by_name(checkpoint, capsys):
    assert main(["eval", str(checkpoint), "--classifier", "--n", "100", "--cas"]) == 2
    assert one_error_line(capsys).endswith(
        "--n, --cas cannot be given with --classifier: they are for the scores of G's samples, and --classifier "
        "scores D's class guesses on the held-out images, on the CPU"
    )


def test_eval_names_a_device_that_does_not_exist_in_one_line(small_checkpoint, capsys):
    assert main(["eval", str(small_checkpoint), "--n", "50", "--device", "bogus"]) == 2
    assert "'bogus' is not one of auto, cpu, cuda" in one_error_line(capsys)


def test_a_semi_run_on_one_class_is_refused_and_makes_no_folder(tmp_path, capsys):
    (tmp_path / "only" / "shoe").mkdir(parents=True)
    for i in range(12):
        Image.fromarray(np.full((28, 28), 20 * i, np.uint8)).save(tmp_path / "only" / "shoe" / f"{i}.png")
    out = tmp_path / "run"
    config = ["--set", "data.dataset=image-folder", "--set", f"data.path={tmp_path / 'only'}"]
    assert main(["train", "--preset", "fashion-semi-100", *config, "--set", "train.labelled_per_class=2", "--steps", "5", "--out", str(out)]) == 2  # fmt: skip
    assert "at least 2 classes" in one_error_line(capsys)
    assert not out.exists()


def test_a_semi_run_with_a_class_too_small_to_hold_any_image_out_is_refused_and_makes_no_folder(tmp_path, capsys):
    """A class of 2 images held none out: the run began "scored on held-out 0" and died at its first check
    with an internal error."""
    for name, count in (("boot", 12), ("shoe", 2)):
        (tmp_path / "set" / name).mkdir(parents=True)
        for i in range(count):
            Image.fromarray(np.full((28, 28), 20 * i, np.uint8)).save(tmp_path / "set" / name / f"{i}.png")
    out = tmp_path / "run"
    config = ["--set", "data.dataset=image-folder", "--set", f"data.path={tmp_path / 'set'}"]
    assert main(["train", "--preset", "fashion-semi-100", *config, "--set", "train.labelled_per_class=1", "--steps", "5", "--out", str(out)]) == 2  # fmt: skip
    assert one_error_line(capsys).endswith(
        "class shoe has 2 images: a semi-supervised run holds out a fifth of each class to score D on, "
        "so each class needs at least 3"
    )
    assert not out.exists()


def test_forged_headers_are_truncated_files_not_crashes(checkpoint, tmp_path, capsys):
    """Headers claiming 10^12 or 2^93 images over a few bytes: numpy would allocate them, and numpy's
    product of the idx dimensions wrapped to 0."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": (10**12, 28, 28)})
    (tmp_path / "forged.npy").write_bytes(header.getvalue() + bytes(100))
    (tmp_path / "forged-images-idx3-ubyte").write_bytes(
        bytes([0, 0, 8, 3]) + (2**31).to_bytes(4, "big") * 3 + bytes(100)
    )
    for name, said in (
        ("forged.npy", "is truncated"),
        ("forged-images-idx3-ubyte", "over the 1,000,000 classified at once"),
    ):
        assert main(["classify", str(checkpoint), str(tmp_path / name), "--out", str(tmp_path / "p.csv")]) == 2
        assert said in one_error_line(capsys)
    assert not (tmp_path / "p.csv").exists()


def test_checkpoints_that_cannot_classify_say_why(checkpoint, images, tmp_path, capsys):
    def poison(state):
        state["discriminator"] = with_nan(state["discriminator"])

    def rename_a_class(state):
        state["classifier_classes"][0] = "T-shirt\nTrouser"

    def widen(state):  # a few KB that named a D of billions of weights, built before anything was compared
        state["config"]["model"].update(width=2048)
        state["config"]["data"].update(image_size=64, channels=3)

    cases = (
        (forged(checkpoint, tmp_path, "nan.pt", poison), "not all finite"),
        (forged(checkpoint, tmp_path, "names.pt", rename_a_class), "not a list of short names"),
        (forged(checkpoint, tmp_path, "wide.pt", widen), "its model is too big: model.width: G and D would have"),
        (checkpoint.parent.parent / "snapshot.pt", "names no classes"),
    )
    for path, says in cases:
        assert main(["classify", str(path), str(images), "--out", str(tmp_path / "p.csv")]) == 2
        assert says in one_error_line(capsys)
    assert not (tmp_path / "p.csv").exists()


def test_a_huge_picture_is_skipped_without_a_warning(checkpoint, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)  # a 40 x 40 picture is then a decompression bomb
    folder = tmp_path / "pictures"
    folder.mkdir()
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(folder / "small.png")
    Image.fromarray(np.zeros((40, 40), np.uint8)).save(folder / "huge.png")
    assert main(["classify", str(checkpoint), str(folder), "--out", str(tmp_path / "p.csv")]) == 0
    captured = capsys.readouterr()
    assert "classified 1 image into" in captured.out and "1 unreadable file skipped" in captured.out
    assert captured.err == ""
    assert main(["classify", str(checkpoint), str(folder / "huge.png"), "--out", str(tmp_path / "q.csv")]) == 2
    assert one_error_line(capsys).endswith(  # named for its size: it was called "not a readable image"
        "huge.png is 40x40 pixels, over the 1,000 read here: bring it down to the model's size"
    )


def test_bench_semi_refuses_what_would_fail_after_its_runs_before_them(tmp_path):
    for args, says in (
        (["--json", str(tmp_path / "missing" / "semi.json")], "there is no folder"),
        (["--json", str(tmp_path)], "is a folder"),
        (["--seeds", "101"], "must be at most 100"),
        (["--labels-per-class", "2", "--labels-per-class", "900"], "training images are 800 a class"),
        (
            ["--set", "train.augment_translation=true", "--set", "train.augment_adaptive=true"],
            "no fair supervised baseline",
        ),
    ):
        result = run_cli("bench", "semi", "--steps", "2", *args)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1 and says in lines[0], result.stderr
        assert "seed 0" not in result.stdout  # no run trained first


def test_an_output_that_is_one_of_the_inputs_is_refused_and_left_whole(checkpoint, images, tmp_path, capsys):
    """`classify latest.pt pics --out latest.pt` turned the run's checkpoint into CSV; --out pics/a.png wrote
    over an input image."""
    pics = tmp_path / "pics"
    pics.mkdir()
    Image.fromarray(bundled_fashion_images()[0, 0]).save(pics / "a.png")
    linked = tmp_path / "link.pt"
    linked.symlink_to(checkpoint)
    before = {path: path.read_bytes() for path in (checkpoint, images, pics / "a.png")}
    for command in (
        ["classify", str(checkpoint), str(images), "--out", str(checkpoint)],
        ["classify", str(checkpoint), str(images), "--out", str(linked)],  # the same file by another name
        ["classify", str(checkpoint), str(images), "--out", str(images)],
        ["classify", str(checkpoint), str(pics), "--out", str(pics / "a.png")],
        ["eval", str(checkpoint), "--classifier", "--json", str(checkpoint)],
    ):
        assert main(command) == 2, command
        assert "reads; write the" in one_error_line(capsys)
    assert {path: path.read_bytes() for path in before} == before
    assert main(["classify", str(checkpoint), str(pics), "--out", str(pics / "predictions.csv")]) == 0


def test_a_folder_over_the_limit_is_refused_before_any_image_is_read(checkpoint, tmp_path, capsys, monkeypatch):
    from ganstudio.core.semi import image_inputs

    monkeypatch.setattr(image_inputs, "MAX_IMAGES", 3)
    read = []
    monkeypatch.setattr(image_inputs, "_read_image", lambda path: read.append(path))
    folder = tmp_path / "many"
    (folder / "sub").mkdir(parents=True)
    for i in range(5):
        Image.fromarray(np.zeros((28, 28), np.uint8)).save(folder / ("sub" if i % 2 else "") / f"{i}.png")
    assert main(["classify", str(checkpoint), str(folder), "--out", str(tmp_path / "p.csv")]) == 2
    assert one_error_line(capsys) == (
        f"ganstudio: error: {folder} holds more than 3 image files, the most classified at once: "
        "classify its subfolders one by one"
    )
    assert read == [] and not (tmp_path / "p.csv").exists()


def test_a_photo_is_brought_down_as_it_is_read_and_an_array_of_huge_rows_refused(checkpoint, tmp_path, capsys):
    """Memory follows the number of images, not their pixels: a folder of phone photos used to cost
    tens of MB a photo, decoded whole and stacked, then copied whole to floats."""
    from ganstudio.core.semi.image_inputs import read_image_inputs

    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        Image.fromarray(rng.integers(0, 256, (1500, 2000, 3), dtype=np.uint8)).save(folder / f"{i}.jpg")
    (folder / ".thumbnails").mkdir()  # a viewer's cache: no picture of the user's, as in training
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(folder / ".thumbnails" / "0.png")
    assert read_image_inputs(folder, 28, 1).images.shape == (2, 1, 28, 28)
    Image.fromarray(np.zeros((40, 60), np.uint8)).save(tmp_path / "wide.png")  # cropped, as training crops
    assert read_image_inputs(tmp_path / "wide.png", 28, 1).images.shape == (1, 1, 28, 28)
    assert main(["classify", str(checkpoint), str(folder), "--out", str(tmp_path / "p.csv")]) == 0
    assert "classified 2 images into" in capsys.readouterr().out
    np.save(tmp_path / "huge.npy", np.zeros((1, 4097, 4096), np.uint8))
    assert main(["classify", str(checkpoint), str(tmp_path / "huge.npy"), "--out", str(tmp_path / "q.csv")]) == 2
    assert "holds images of 4,096x4,097 pixels, over the 16,777,216 classified" in one_error_line(capsys)


def test_probabilities_are_the_same_a_chunk_at_a_time(checkpoint, monkeypatch):
    from ganstudio.core.semi import classifier as classifier_module
    from ganstudio.core.semi.classifier import load_classifier

    classifier = load_classifier(checkpoint)
    images = bundled_fashion_images()[:7]
    whole = classifier.probabilities(images)
    monkeypatch.setattr(classifier_module, "CHUNK_PIXELS", 2 * 28 * 28)
    assert np.allclose(classifier.probabilities(images), whole, atol=1e-6) and whole.shape == (7, 10)


def test_a_resume_or_eval_on_renamed_classes_or_changed_images_is_refused_and_changes_nothing(tmp_path, capsys):
    """D's outputs are its classes in folder order: a class folder renamed turned an eval of 100 % into 0 %,
    and images added re-drew the labelled and held-out images, so trained ones could be scored as held out
    (`eval --classifier` scored that new split as if it were the run's)."""
    for name, shade in (("dark", 40), ("light", 210)):
        (tmp_path / "set" / name).mkdir(parents=True)
        for i in range(10):
            Image.fromarray(np.full((28, 28), shade + i, np.uint8)).save(tmp_path / "set" / name / f"{i}.png")
    cfg = tiny_image_config(steps=4, labelled_per_class=2, batch_size=8, checkpoint_every=4)
    cfg.data.dataset, cfg.data.path, cfg.quality.every = "image-folder", str(tmp_path / "set"), 0
    (tmp_path / "cfg.json").write_text(cfg.to_json())
    run = tmp_path / "run"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["train", "--config", str(tmp_path / "cfg.json"), "--out", str(run)]) == 0
    capsys.readouterr()
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    assert main(["eval", str(run), "--classifier"]) == 0
    assert "on held-out 4 of the 20 of image-folder (fixed 16 / 4 split)" in capsys.readouterr().out
    (tmp_path / "set" / "dark").rename(tmp_path / "set" / "zdark")  # the order is now light, zdark
    assert main(["train", "--resume", str(run), "--steps", "8"]) == 2
    assert "the checkpoint's D classifies dark, light, not the data's classes (light, zdark)" in one_error_line(capsys)
    (tmp_path / "set" / "zdark").rename(tmp_path / "set" / "dark")
    Image.fromarray(np.full((28, 28), 99, np.uint8)).save(tmp_path / "set" / "dark" / "new.png")
    assert main(["train", "--resume", str(run), "--steps", "8"]) == 2
    assert "the run's data has changed since this checkpoint" in one_error_line(capsys)
    for named in ([], ["--dataset", "image-folder", "--data-path", f"{tmp_path / 'set'}/"]):  # its folder, spelt anew
        assert main(["eval", str(run), "--classifier", *named]) == 2
        assert "the run's data has changed since this checkpoint: its held-out images" in one_error_line(capsys)
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before
