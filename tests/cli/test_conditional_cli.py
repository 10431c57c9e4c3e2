"""The CLI with class-conditional checkpoints: sample --class, manifests with classes, eval's class
scores, and one-line refusals."""

import csv
import json

import pytest
import torch

from ganstudio.cli import main
from ganstudio.core.export import ImageSetSpec, write_image_set
from ganstudio.core.imaging import load_png
from ganstudio.core.sampling import load_generator
from tests.conftest import one_error_line, tiny_conditional_config


def test_sample_class_by_name_and_index_and_balanced_default(small_conditional_checkpoint, tmp_path, capsys):
    ckpt = str(small_conditional_checkpoint)
    assert main(["sample", ckpt, "--n", "4", "--out", str(tmp_path / "a"), "--class", "sneaker", "--class", "1"]) == 0
    rows = list(csv.DictReader((tmp_path / "a" / "labels.csv").open()))
    assert [r["class"] for r in rows] == ["Sneaker", "Trouser", "Sneaker", "Trouser"]
    assert main(["sample", ckpt, "--n", "20", "--out", str(tmp_path / "b")]) == 0
    rows = list(csv.DictReader((tmp_path / "b" / "labels.csv").open()))
    assert [int(r["class_index"]) for r in rows] == [i % 10 for i in range(20)]
    assert main(["sample", ckpt, "--n", "4", "--out", str(tmp_path / "c"), "--class", "shoe"]) == 2
    assert "unknown class 'shoe'" in one_error_line(capsys)
    assert not (tmp_path / "c").exists()


def test_class_on_an_unconditional_checkpoint_is_refused(small_checkpoint, tmp_path, capsys):
    assert main(["sample", str(small_checkpoint), "--out", str(tmp_path / "s"), "--class", "Bag"]) == 2
    assert "needs a class-conditional checkpoint" in one_error_line(capsys)


@pytest.mark.parametrize(
    "spec",
    [
        ImageSetSpec(mode="random", count=4, seed=3, label=5),
        ImageSetSpec(mode="class-morph", count=5, label=1, label_b=8),
    ],
)
def test_manifest_with_classes_regenerates_bit_for_bit(small_conditional_checkpoint, tmp_path, spec, capsys):
    snapshot = load_generator(small_conditional_checkpoint)
    first = write_image_set(snapshot, spec, tmp_path / "set", checkpoint=small_conditional_checkpoint)
    manifest = json.loads((first / "manifest.json").read_text())
    assert len(manifest["image_classes"]) == len(manifest["images"]) == spec.count
    if spec.mode == "random":
        assert manifest["image_classes"][0] == {"class": "Sandal"}
    else:
        assert manifest["image_classes"][0] == {"class": "Trouser", "towards": "Bag", "t": 0.0}
    assert main(["sample", "--manifest", str(first / "manifest.json"), "--out", str(tmp_path / "again")]) == 0
    for name in [*manifest["images"], "latents.npy"]:
        assert (first / name).read_bytes() == (tmp_path / "again" / name).read_bytes()
    said = capsys.readouterr().out.strip()  # checked, and said
    assert (
        said
        == f"regenerated the image set into {tmp_path / 'again'}: all {spec.count} images are byte for byte the saved set's"
    )


def test_a_manifest_whose_seed_was_edited_regenerates_another_set_and_says_so_in_its_status(
    small_conditional_checkpoint, tmp_path, capsys
):
    """All 4 images differed and it exited 0: a script checking that a set reproduces saw success (trial Q)."""
    from ganstudio.cli_errors import EXIT_DIFFERS

    spec = ImageSetSpec(mode="random", count=4, seed=3, label=5)
    first = write_image_set(load_generator(small_conditional_checkpoint), spec, tmp_path / "set")
    manifest = json.loads((first / "manifest.json").read_text())
    manifest["spec"]["seed"] = 4
    (first / "manifest.json").write_text(json.dumps(manifest))
    status = main(["sample", "--manifest", str(first / "manifest.json"), "--out", str(tmp_path / "again")])
    assert status == EXIT_DIFFERS and status not in (0, 1, 2)  # not success, an internal error or a bad input
    assert len(list((tmp_path / "again").glob("*.png"))) >= 4  # written all the same
    said = capsys.readouterr().out.strip()
    assert said == f"regenerated the image set into {tmp_path / 'again'}: 4 of the 4 images differ from the saved set's"


@pytest.mark.parametrize("edit", [{"class": "Spaceship"}, {"class": "Trouser", "towards": "Bag", "t": 0.5}])
def test_a_manifest_whose_image_classes_were_edited_is_refused_in_one_line(
    small_conditional_checkpoint, tmp_path, capsys, edit
):
    """A Sandal relabelled "Spaceship" (a class the model has not) regenerated "byte for byte the saved set's", its
    copy's manifest saying Sandal again: the record a user reads was never compared with what the spec draws."""
    spec = ImageSetSpec(mode="random", count=4, seed=3, label=5)
    first = write_image_set(load_generator(small_conditional_checkpoint), spec, tmp_path / "set")
    manifest = json.loads((first / "manifest.json").read_text())
    manifest["image_classes"][0] = edit
    (first / "manifest.json").write_text(json.dumps(manifest))
    assert main(["sample", "--manifest", str(first / "manifest.json"), "--out", str(tmp_path / "again")]) == 2
    assert capsys.readouterr().err == (
        f"ganstudio: error: {first / 'manifest.json'}: its image_classes are not the classes its spec draws "
        "(edited since it was saved?)\n"
    )
    assert not (tmp_path / "again").exists()


def test_class_sweep_has_a_row_per_class(small_conditional_checkpoint, tmp_path):
    snapshot = load_generator(small_conditional_checkpoint)
    direction = torch.zeros(24)
    direction[0] = 1.0
    spec = ImageSetSpec(mode="class-sweep", count=3, directions=[direction.tolist()], label=None)
    out = write_image_set(snapshot, spec, tmp_path / "sweep", checkpoint=small_conditional_checkpoint)
    classes = [c["class"] for c in json.loads((out / "manifest.json").read_text())["image_classes"]]
    assert len(classes) == 30 and classes[:4] == ["T-shirt/top"] * 3 + ["Trouser"]
    sheet, image = load_png(out / "contact_sheet.png"), load_png(out / "image_0000.png")
    h, w = image.shape[:2]
    names = sheet.shape[1] - (3 * (w + 2) + 2)  # the column left of the 3 images a row
    assert names > 0 and sheet.shape[0] == 10 * (h + 2) + 2
    for row in range(10):  # each row's class name is written beside it
        assert sheet[2 + row * (h + 2) : (row + 1) * (h + 2), :names].min() < 128


def test_flat_image_folder_refuses_a_conditional_run(tmp_path, capsys):
    from PIL import Image

    flat = tmp_path / "flat"
    flat.mkdir()
    for i in range(3):
        Image.new("L", (28, 28), 30 * i).save(flat / f"{i}.png")
    cfg = tiny_conditional_config()
    cfg.data.dataset, cfg.data.path = "image-folder", str(flat)
    (tmp_path / "cfg.json").write_text(cfg.to_json())
    assert main(["train", "--config", str(tmp_path / "cfg.json"), "--out", str(tmp_path / "run")]) == 2
    assert "flat folder" in one_error_line(capsys)
    assert not (tmp_path / "run").exists()


def test_pack_with_classes_is_refused(tmp_path, capsys):
    assert main(["train", "--preset", "fashion-cdcgan", "--set", "model.pack=2", "--out", str(tmp_path / "r")]) == 2
    assert "PacGAN" in one_error_line(capsys)
    assert not (tmp_path / "r").exists()


def test_cas_needs_a_conditional_checkpoint(small_checkpoint, capsys):
    assert main(["eval", str(small_checkpoint), "--n", "50", "--cas"]) == 2
    assert "--cas needs a class-conditional checkpoint" in one_error_line(capsys)


def test_eval_prints_the_class_scores(small_conditional_checkpoint, tmp_path, capsys):
    assert main(["eval", str(small_conditional_checkpoint), "--n", "200", "--json", str(tmp_path / "m.json")]) == 0
    out = capsys.readouterr().out
    assert "label accuracy" in out and "intra-FD" in out and "Ankle boot" in out
    record = json.loads((tmp_path / "m.json").read_text())
    assert 0 <= record["label_accuracy"] <= 1 and record["real_label_accuracy"] > 0.85
    assert set(record["class_label_accuracy"]) >= {"T-shirt/top", "Bag"}
