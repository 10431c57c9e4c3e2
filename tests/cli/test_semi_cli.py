"""Semi-supervised commands as a user runs them: train prints held-out accuracy, eval --classifier,
classify on every input kind, refusals in one line, and bench semi on a tiny budget."""

import contextlib
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganstudio.cli import main
from ganstudio.core.data.idx import MAX_IDX_BYTES
from ganstudio.core.data.images import bundled_fashion_images, bundled_fashion_labels
from tests.conftest import tiny_image_config, write_idx

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "ganstudio", *args], capture_output=True, text=True, env=env, timeout=300
    )


@pytest.fixture(scope="module")
def semi_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("semi")
    cfg = tiny_image_config(steps=10, labelled_per_class=5, batch_size=16, checkpoint_every=10)
    cfg.quality.every, cfg.quality.samples, cfg.quality.keep_best = 5, 50, False
    (folder / "cfg.json").write_text(cfg.to_json())
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["train", "--config", str(folder / "cfg.json"), "--out", str(folder / "run")]) == 0
    (folder / "printed.txt").write_text(printed.getvalue())
    return folder / "run"


def test_train_logs_and_prints_held_out_accuracy(semi_run):
    printed = (semi_run.parent / "printed.txt").read_text()
    assert "step 10: classifier accuracy" in printed and "on held-out 2,000 of the bundled 10,000" in printed
    records = [json.loads(line) for line in (semi_run / "metrics.jsonl").read_text().splitlines()]
    scored = [r for r in records if r.get("event") == "classifier"]
    assert [r["step"] for r in scored] == [5, 10]
    assert "held-out 2,000 of the bundled 10,000" in scored[-1]["split"]
    assert len(scored[-1]["confusion"]) == 10


def test_eval_checks_memorisation_against_the_training_part_only(semi_run, capsys):
    """The 2,000 held-out images were never shown to G: a copy of one would be no copy of its training data."""
    assert main(["eval", str(semi_run / "checkpoints" / "latest.pt"), "--n", "50"]) == 0
    captured = capsys.readouterr()
    assert "memorisation: against the 8,000 images G trained on" in captured.out + captured.err


def test_eval_classifier_names_the_split_and_every_class(semi_run, capsys):
    assert main(["eval", str(semi_run / "checkpoints" / "latest.pt"), "--classifier"]) == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and "fixed 8,000 / 2,000 split" in out
    assert "Ankle boot" in out and "Trouser" in out


def test_classify_reads_every_input_kind(semi_run, tmp_path, capsys):
    checkpoint = str(semi_run / "checkpoints" / "latest.pt")
    images, labels = bundled_fashion_images()[:12, 0], bundled_fashion_labels()[:12]
    np.save(tmp_path / "x.npy", images)
    write_idx(tmp_path / "x-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "x-labels-idx1-ubyte.gz", labels)
    folder = tmp_path / "folder"
    folder.mkdir()
    Image.fromarray(images[0]).save(folder / "a.png")
    Image.fromarray(images[1]).resize((40, 40)).save(folder / "b.png")  # another size: resized
    (folder / "broken.png").write_bytes(b"not a png")
    for source, count in (("x.npy", 12), ("x-images-idx3-ubyte.gz", 12), ("folder", 2), ("folder/a.png", 1)):
        out = tmp_path / f"{source.replace('/', '_')}.csv"
        args = ["classify", checkpoint, str(tmp_path / source), "--out", str(out)]
        if count == 12:
            args += ["--labels", str(tmp_path / "x-labels-idx1-ubyte.gz")]
        assert main(args) == 0, source
        rows = list(csv.reader(out.open()))
        assert rows[0][:3] == ["name", "predicted", "T-shirt/top"] and len(rows[0]) == 12
        assert len(rows) == count + 1
        assert all(abs(sum(map(float, row[2:])) - 1) < 1e-4 for row in rows[1:])
        printed = capsys.readouterr().out
        assert ("accuracy" in printed) == (count == 12)
        assert ("1 unreadable file skipped: broken.png" in printed) == (source == "folder")


def test_classify_refuses_bad_inputs_in_one_line(semi_run, tmp_path, capsys):
    checkpoint = str(semi_run / "checkpoints" / "latest.pt")
    np.save(tmp_path / "floats.npy", np.zeros((2, 28, 28), dtype=np.float32))
    (tmp_path / "notes.txt").write_text("hello")
    write_idx(tmp_path / "few-labels-idx1-ubyte.gz", np.zeros(3, dtype=np.uint8))
    np.save(tmp_path / "x.npy", np.zeros((2, 28, 28), dtype=np.uint8))
    out = ["--out", str(tmp_path / "p.csv")]
    for case in (
        [checkpoint, str(tmp_path / "missing")],
        [checkpoint, str(tmp_path / "x.npy"), "--labels", str(tmp_path / "few-labels-idx1-ubyte.gz")],
    ):
        assert main(["classify", *case, *out]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("ganstudio: error: ")
    for case in ([checkpoint, str(tmp_path / "floats.npy")], [str(tmp_path / "notes.txt"), str(tmp_path / "x.npy")]):
        result = run_cli("classify", *case, *out)  # as a user sees it: exit status 2, one line
        assert result.returncode == 2, (case, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("ganstudio: error: "), result.stderr
    assert not (tmp_path / "p.csv").exists()
    np.save(tmp_path / "empty.npy", np.zeros((0, 28, 28), dtype=np.uint8))  # said (N, H, W) was expected: it is
    assert main(["classify", checkpoint, str(tmp_path / "empty.npy"), *out]) == 2
    assert capsys.readouterr().err.strip() == (
        f"ganstudio: error: {tmp_path / 'empty.npy'} holds no image (shape (0, 28, 28)): there is nothing to classify"
    )


def test_a_labels_file_is_read_no_further_than_the_labels_it_should_hold(semi_run, tmp_path, capsys):
    """A gzip of a few KB that inflates to 10 MB of labels for 2 images: it was inflated whole (up to
    2 GB) before its length was compared."""
    checkpoint = str(semi_run / "checkpoints" / "latest.pt")
    np.save(tmp_path / "x.npy", np.zeros((2, 28, 28), dtype=np.uint8))
    write_idx(tmp_path / "many-labels-idx1-ubyte.gz", np.zeros(10_000_000, dtype=np.uint8))
    args = [checkpoint, str(tmp_path / "x.npy"), "--labels", str(tmp_path / "many-labels-idx1-ubyte.gz")]
    assert main(["classify", *args, "--out", str(tmp_path / "p.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"ganstudio: error: {tmp_path / 'many-labels-idx1-ubyte.gz'} holds 10,000,000 labels for 2 images read"
    ]
    np.save(tmp_path / "labels.npy", np.zeros(1000, dtype=np.uint8))  # a .npy given as labels: said as such
    args[-1] = str(tmp_path / "labels.npy")
    assert main(["classify", *args, "--out", str(tmp_path / "p.csv")]) == 2
    assert capsys.readouterr().err.strip() == f"ganstudio: error: {tmp_path / 'labels.npy'} is not an idx file"
    write_idx(tmp_path / "some-images-idx3-ubyte", np.zeros((2, 28, 28), dtype=np.uint8))  # images, not labels
    args[-1] = str(tmp_path / "some-images-idx3-ubyte")
    assert main(["classify", *args, "--out", str(tmp_path / "p.csv")]) == 2
    assert "holds (2, 28, 28), images or other arrays, not labels" in capsys.readouterr().err
    args[-1] = str(tmp_path / "nowhere-labels-idx1-ubyte")
    assert main(["classify", *args, "--out", str(tmp_path / "p.csv")]) == 2
    assert capsys.readouterr().err.strip() == f"ganstudio: error: not found: {tmp_path / 'nowhere-labels-idx1-ubyte'}"
    write_idx(tmp_path / "two-labels-idx1-ubyte.gz", np.array([1, 3], dtype=np.uint8))
    args[-1] = str(tmp_path / "two-labels-idx1-ubyte.gz")
    assert main(["classify", *args, "--out", str(tmp_path / "p.csv")]) == 0
    assert "accuracy" in capsys.readouterr().out


def test_a_npy_that_is_not_pixels_is_named_for_what_it_is(semi_run, tmp_path, capsys):
    """numpy's own words for these suggest loading the file unsafely; ours say what is wrong with it."""
    checkpoint = str(semi_run / "checkpoints" / "latest.pt")
    (tmp_path / "junk.npy").write_bytes(b"not numpy at all")
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    np.save(tmp_path / "huge.npy", np.zeros((3, 28, 28), np.uint8))
    os.truncate(tmp_path / "huge.npy", MAX_IDX_BYTES + 1)  # sparse: a size to refuse, no disk used
    header = b"{'descr': '|u1', 'fortran_order': False, 'shape': (nope, 28, 28), }"
    header += b" " * (117 - len(header)) + b"\n"  # a version 1.0 header, padded as numpy pads it
    (tmp_path / "garbled.npy").write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header)
    for name, says in (
        ("junk.npy", "is not a .npy file"),
        ("garbled.npy", "is not a readable .npy file (its header is not a valid NumPy header)"),
        ("objects.npy", "holds Python objects"),
        ("huge.npy", "is over 2,048 MB; that is not an image set"),
    ):
        assert main(["classify", checkpoint, str(tmp_path / name), "--out", str(tmp_path / "p.csv")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and says in err[0] and "allow_pickle" not in err[0], err
    assert not (tmp_path / "p.csv").exists()


def test_eval_on_the_official_test_split_leaves_out_the_bundled_images_the_run_trained_on(semi_run, tmp_path, capsys):
    """The bundled 10,000 are the official test images: a bundled run's D was scored on the 8,000 it trained
    on (its labelled ones among them), under the words "the official Fashion-MNIST test split"."""
    full = tmp_path / "full"
    full.mkdir()
    write_idx(full / "train-images-idx3-ubyte", bundled_fashion_images()[:20, 0])
    write_idx(full / "train-labels-idx1-ubyte", bundled_fashion_labels()[:20])
    write_idx(full / "t10k-images-idx3-ubyte", bundled_fashion_images()[:, 0])
    write_idx(full / "t10k-labels-idx1-ubyte", bundled_fashion_labels())
    checkpoint = str(semi_run / "checkpoints" / "latest.pt")
    assert main(["eval", checkpoint, "--classifier", "--dataset", "fashion-mnist-full", "--data-path", str(full)]) == 0
    on_full = capsys.readouterr().out.splitlines()[0]
    assert on_full.endswith("less the 8,000 the run trained on: 2,000 images"), on_full
    assert f"the t10k-* split in {full} (" in on_full  # a folder of the user's is not called the official split
    assert main(["eval", checkpoint, "--classifier"]) == 0
    own = capsys.readouterr().out.splitlines()[0]
    assert own.split(" %")[0] == on_full.split(" %")[0]  # the same 2,000 images: the run's own held-out split


def test_eval_classifier_refuses_an_ordinary_checkpoint(small_checkpoint, capsys):
    assert main(["eval", str(small_checkpoint), "--classifier"]) == 2
    assert "not a semi-supervised checkpoint" in capsys.readouterr().err


def test_bench_semi_runs_on_a_tiny_budget(tmp_path):
    for k, name in enumerate(("bag", "boot", "coat")):  # three classes: the labels were counted as ten a setting
        (tmp_path / "set" / name).mkdir(parents=True)
        for i in range(10):
            Image.fromarray(np.full((28, 28), 60 * k + i, np.uint8)).save(tmp_path / "set" / name / f"{i}.png")
    result = run_cli(
        "bench", "semi", "--steps", "3", "--seeds", "1", "--labels-per-class", "2",
        "--set", "model.width=8", "--set", "train.batch_size=8", "--json", str(tmp_path / "semi.json"),
        "--set", "data.dataset=image-folder", "--set", f"data.path={tmp_path / 'set'}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "supervised baseline" in result.stdout and "0.93 %" in result.stdout and "not Fashion-MNIST" in result.stdout
    assert "2 (6 labels)" in result.stdout
    saved = json.loads((tmp_path / "semi.json").read_text())
    assert saved["settings"][0]["labelled_per_class"] == 2 and len(saved["settings"][0]["semi_accuracy"]) == 1


def test_classify_to_a_full_disk_or_a_folder_is_one_line_and_leaves_no_csv(semi_run, tmp_path):
    import resource
    import signal

    checkpoint = str(semi_run / "checkpoints" / "latest.pt")
    np.save(tmp_path / "many.npy", np.zeros((2000, 28, 28), dtype=np.uint8))  # a CSV of ~200 KB
    before = sorted(p.name for p in semi_run.rglob("*"))

    def full_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG, like ENOSPC
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = tmp_path / "p.csv"
    full = subprocess.run(
        [sys.executable, "-m", "ganstudio", "classify", checkpoint, str(tmp_path / "many.npy"), "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        preexec_fn=full_disk,
    )
    folder = run_cli("classify", checkpoint, str(tmp_path / "many.npy"), "--out", str(tmp_path))
    for result in (full, folder):
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith("ganstudio: error: "), result.stderr
    assert [p.name for p in tmp_path.iterdir() if p.suffix != ".npy"] == []  # no CSV, no temporary file
    assert sorted(p.name for p in semi_run.rglob("*")) == before


def test_a_semi_preset_with_what_its_networks_refuse_is_one_line_and_makes_no_folder(tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(["train", "--preset", "fashion-semi-100", "--set", "model.spectral_norm=true", "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("ganstudio: error: ") and err.count("\n") == 1, err
    assert "model.spectral_norm: the 2016 MLP normalises its weights itself" in err
    assert not out.exists()


def test_classify_says_when_its_images_are_ones_the_run_trained_on(semi_run, tmp_path, capsys):
    """On the bundled 10,000, classify --labels reported an accuracy 8,000 of whose images the run had trained
    on, without a word."""
    from ganstudio.core.checkpoint import load_checkpoint
    from ganstudio.core.config import RunConfig
    from ganstudio.core.data import load_images
    from ganstudio.core.semi.data import held_out_split

    checkpoint = semi_run / "checkpoints" / "latest.pt"
    config = RunConfig.from_dict(load_checkpoint(checkpoint)["config"])
    _, held_out, _ = held_out_split(load_images(config.data, download=False), config.data)
    np.save(tmp_path / "all.npy", bundled_fashion_images()[:50, 0])
    np.save(tmp_path / "held.npy", held_out.images[:50, 0])
    assert main(["classify", str(checkpoint), str(tmp_path / "all.npy"), "--out", str(tmp_path / "a.csv")]) == 0
    note = capsys.readouterr().out
    assert "note: 34 of these 50 images are among the run's training images" in note and "--classifier" in note
    assert main(["classify", str(checkpoint), str(tmp_path / "held.npy"), "--out", str(tmp_path / "h.csv")]) == 0
    assert "training images" not in capsys.readouterr().out


def test_classify_tells_the_images_whose_labels_d_trained_on_from_those_it_saw_unlabelled(semi_run, tmp_path, capsys):
    """A 100-label run's note said D "does better" on 386 training images, only a few of whose labels it had:
    the images the trainer itself was given labelled are counted apart."""
    import torch

    from ganstudio.core.checkpoint import load_checkpoint
    from ganstudio.core.config import RunConfig
    from ganstudio.core.data import load_images
    from ganstudio.core.semi.data import build_semi_data, held_out_split

    checkpoint = semi_run / "checkpoints" / "latest.pt"
    config = RunConfig.from_dict(load_checkpoint(checkpoint)["config"])
    data = build_semi_data(config, torch.device("cpu"), download=False)
    labelled = data.labelled_images[:10, 0].numpy()
    labelled_rows = {row.tobytes() for row in data.labelled_images[:, 0].numpy()}
    training = [image for image in data.unlabelled.images[:, 0].cpu().numpy() if image.tobytes() not in labelled_rows]
    _, held_out, _ = held_out_split(load_images(config.data, download=False), config.data)
    np.save(tmp_path / "mixed.npy", np.concatenate([labelled, np.stack(training[:5]), held_out.images[:5, 0]]))
    assert main(["classify", str(checkpoint), str(tmp_path / "mixed.npy"), "--out", str(tmp_path / "m.csv")]) == 0
    assert (
        "note: 15 of these 20 images are among the run's training images, 10 of them among the 50 whose labels D "
        "trained on, which it knows better than new ones;"
    ) in capsys.readouterr().out
    np.save(tmp_path / "unlabelled.npy", np.stack(training[:3]))
    assert main(["classify", str(checkpoint), str(tmp_path / "unlabelled.npy"), "--out", str(tmp_path / "u.csv")]) == 0
    assert "3 of these 3 images are among the run's training images, none of them one of the 50 whose labels" in (
        capsys.readouterr().out
    )


def test_a_colour_run_classifies_pictures_in_colour_as_it_learnt_them(tmp_path, capsys):
    """Pictures were read in gray whatever the run: red and green of one brightness were one image to the
    D of an RGB run, which called them all green where eval --classifier scored it 100 %."""
    rng = np.random.default_rng(0)
    for name, colour in (("green", (0, 130, 0)), ("red", (255, 0, 0))):
        (tmp_path / "set" / name).mkdir(parents=True)
        for i in range(40):
            pixels = np.clip(np.array(colour) + rng.integers(-10, 10, (28, 28, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / "set" / name / f"{i}.png")
    cfg = tiny_image_config(steps=40, labelled_per_class=5, batch_size=16, checkpoint_every=40)
    cfg.data.dataset, cfg.data.path, cfg.data.channels = "image-folder", str(tmp_path / "set"), 3
    cfg.quality.every = 0
    (tmp_path / "cfg.json").write_text(cfg.to_json())
    assert main(["train", "--config", str(tmp_path / "cfg.json"), "--out", str(tmp_path / "run")]) == 0
    assert main(["eval", str(tmp_path / "run"), "--classifier"]) == 0
    scored = float(capsys.readouterr().out.split("accuracy ")[1].split(" %")[0])
    assert main(["classify", str(tmp_path / "run"), str(tmp_path / "set"), "--out", str(tmp_path / "p.csv")]) == 0
    rows = list(csv.DictReader((tmp_path / "p.csv").open()))
    right = sum(row["name"].split("/")[0] == row["predicted"] for row in rows) / len(rows)
    assert len(rows) == 80 and scored >= 90 and right >= 0.9, (scored, right)


def test_a_picture_gets_the_same_probabilities_alone_and_among_pictures_of_other_sizes(semi_run, tmp_path):
    """A folder of several sizes brought every picture, a 28 px one too, up to 64 px and back down: the
    same file was classified otherwise alone than beside a photo."""
    checkpoint = str(semi_run / "checkpoints" / "latest.pt")
    (tmp_path / "mixed").mkdir()
    shoe = bundled_fashion_images()[0, 0]
    Image.fromarray(shoe).save(tmp_path / "mixed" / "a.png")
    Image.fromarray(np.full((90, 120), 200, np.uint8)).save(tmp_path / "mixed" / "b.png")
    assert main(["classify", checkpoint, str(tmp_path / "mixed" / "a.png"), "--out", str(tmp_path / "alone.csv")]) == 0
    assert main(["classify", checkpoint, str(tmp_path / "mixed"), "--out", str(tmp_path / "among.csv")]) == 0
    alone = next(csv.reader((tmp_path / "alone.csv").open().readlines()[1:]))
    among = next(row for row in csv.reader((tmp_path / "among.csv").open()) if row[0] == "a.png")
    assert alone[1:] == among[1:]


def test_a_note_on_a_copy_of_the_full_set_without_its_labels_says_only_what_it_knows(semi_run, monkeypatch):
    """fashion-mnist-full trains on its folder as it is, labels or not: one without its labels file ended the
    note in an assert's traceback. Its images are still known as training images; whose labels D had is not."""
    from dataclasses import replace

    import ganstudio.core.semi.data as semi_data
    from ganstudio.core.checkpoint import load_checkpoint
    from ganstudio.core.config import RunConfig

    config = RunConfig.from_dict(load_checkpoint(semi_run / "checkpoints" / "latest.pt")["config"])
    config.data.dataset = "fashion-mnist-full"
    bundled = semi_data.load_images(replace(config.data, dataset="fashion-mnist"), False)
    monkeypatch.setattr(semi_data, "load_images", lambda data, download=True: replace(bundled, labels=None))
    images = bundled_fashion_images()[:50]
    assert semi_data.training_note(config, images) == "50 of these 50 images are among the run's training images"
