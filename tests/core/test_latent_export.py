import json
import os
import shutil
import stat
import time

import numpy as np
import pytest
import torch

from ganstudio.core.export import ExportError, ImageSetSpec, latents_for, regenerate, write_image_set
from ganstudio.core.imaging import load_png, with_row_names
from ganstudio.core.latent import LatentEdit, principal_directions, seeded_z, slerp
from ganstudio.core.sampling import load_generator


@pytest.fixture
def checkpoint(small_checkpoint, tmp_path_factory):
    """A checkpoint no training rewrites (a set names it rather than carrying its generator)."""
    fixed = tmp_path_factory.mktemp("fixed") / "step_000005.pt"
    shutil.copy(small_checkpoint, fixed)
    return fixed


def test_directions_are_orthonormal_and_ordered_by_variance(checkpoint):
    snap = load_generator(checkpoint)
    d = principal_directions(snap, samples=600)
    assert d.vectors.shape == (16, 24)
    assert np.allclose(d.vectors @ d.vectors.T, np.eye(16), atol=1e-8)
    assert np.all(np.diff(d.variances) <= 1e-12) and d.variances[0] > d.variances[-1]


def test_first_direction_moves_the_features_most(checkpoint):
    snap = load_generator(checkpoint)
    d = principal_directions(snap, samples=600)
    z = torch.randn(200, 24, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        base = snap.generator.features(z)
        moved = [
            (snap.generator.features(z + torch.from_numpy(v).float()) - base).norm(dim=1).mean().item()
            for v in d.vectors[[0, -1]]
        ]
    assert moved[0] > moved[1]


def test_slerp_endpoints_and_norm():
    a, b = seeded_z(1, 64), seeded_z(2, 64)
    assert np.allclose(slerp(a, b, 0.0), a) and np.allclose(slerp(a, b, 1.0), b)
    mid = slerp(a, b, 0.5)
    assert abs(np.linalg.norm(mid) - (np.linalg.norm(a) + np.linalg.norm(b)) / 2) < 0.15 * np.linalg.norm(a)
    assert np.linalg.norm(mid) > np.linalg.norm((a + b) / 2)  # linear interpolation shrinks toward 0


def test_same_seed_same_latent_and_truncation_scales():
    assert np.array_equal(seeded_z(7, 10), seeded_z(7, 10))
    edit = LatentEdit(seed=7, truncation=0.5)
    assert np.allclose(edit.compose(10, None), 0.5 * seeded_z(7, 10))


@pytest.mark.parametrize("mode", ["random", "neighbours", "interpolation", "sweep"])
def test_image_set_writes_everything_and_regenerates_bit_for_bit(checkpoint, tmp_path, mode):
    snap = load_generator(checkpoint)
    dirs = principal_directions(snap, samples=300).vectors.tolist()
    spec = ImageSetSpec(
        mode=mode,
        count=5,
        seed=11,
        edit=LatentEdit(seed=3, direction_values=[1.0] + [0.0] * 15, raw_values={2: 0.5}, truncation=0.8),
        directions=dirs,
        a=seeded_z(1, 24).tolist(),
        b=seeded_z(2, 24).tolist(),
        scale=2,
    )
    out = write_image_set(snap, spec, tmp_path / "set", checkpoint=checkpoint)
    files = sorted(p.name for p in out.iterdir())
    n = 6 if mode == "neighbours" else 5
    expected = {f"image_{i:04d}.png" for i in range(n)} | {"contact_sheet.png", "latents.npy", "manifest.json"}
    if mode in ("interpolation", "sweep"):
        expected.add("animation.gif")
    assert set(files) == expected
    assert load_png(out / "image_0000.png").shape == (56, 56)
    manifest = json.loads((out / "manifest.json").read_text())
    for key in ("checkpoint", "checkpoint_sha256", "step", "spec", "version"):
        assert key in manifest
    assert manifest["spec"]["edit"]["truncation"] == 0.8 and manifest["spec"]["directions"] == dirs
    again = regenerate(out / "manifest.json", tmp_path / "again")
    assert np.array_equal(np.load(out / "latents.npy"), np.load(again / "latents.npy"))
    for i in range(n):
        assert np.array_equal(load_png(out / f"image_{i:04d}.png"), load_png(again / f"image_{i:04d}.png"))


def test_live_snapshot_set_carries_its_generator_and_regenerates_byte_for_byte(checkpoint, tmp_path):
    """generator.pt was saved through a temp file whose random name torch.save wrote into the zip, so a
    regenerated set's generator.pt, and the digest its manifest gives, differed from the original's."""
    snap = load_generator(checkpoint)
    out = write_image_set(snap, ImageSetSpec(count=3), tmp_path / "live")
    assert (out / "generator.pt").is_file()
    again = regenerate(out / "manifest.json", tmp_path / "again")
    assert sorted(p.name for p in again.iterdir()) == sorted(p.name for p in out.iterdir())
    for name in sorted(p.name for p in out.iterdir() if p.name != "manifest.json"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name
    made, remade = (json.loads((folder / "manifest.json").read_text()) for folder in (out, again))
    assert {**made, "created": None} == {**remade, "created": None}


def test_an_image_set_folder_has_the_mode_mkdir_gives(checkpoint, tmp_path):
    """It was made by mkdtemp and renamed: 0700 where the user's umask gives every other folder 0755."""
    old = os.umask(0o022)
    try:
        out = write_image_set(load_generator(checkpoint), ImageSetSpec(count=2), tmp_path / "set")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755


@pytest.mark.parametrize(
    "name", ["snapshot.pt", "checkpoints/latest.pt", "checkpoints/best.pt", "checkpoints/step_000005.pt"]
)
def test_a_set_from_a_checkpoint_a_run_holds_carries_its_generator(checkpoint, tmp_path, name):
    """A set saved while watching a run named its snapshot.pt, which the run rewrote seconds later: the set
    could no longer be regenerated. A run also rewrites latest.pt and best.pt, and --restart deletes them all."""
    held = tmp_path / "run" / name
    held.parent.mkdir(parents=True)
    shutil.copy(checkpoint, held)
    out = write_image_set(load_generator(held), ImageSetSpec(count=3), tmp_path / "set", held)
    held.write_bytes(b"the run wrote this file again")
    again = regenerate(out / "manifest.json", tmp_path / "again")
    assert np.array_equal(load_png(out / "image_0002.png"), load_png(again / "image_0002.png"))


def test_a_link_to_a_checkpoint_a_run_holds_carries_its_generator_too(checkpoint, tmp_path):
    held = tmp_path / "run" / "checkpoints" / "latest.pt"
    held.parent.mkdir(parents=True)
    shutil.copy(checkpoint, held)
    link = tmp_path / "mine.pt"
    link.symlink_to(held)
    out = write_image_set(load_generator(link), ImageSetSpec(count=2), tmp_path / "set", link)
    assert (out / "generator.pt").is_file()


def test_a_set_from_a_fixed_checkpoint_names_it(checkpoint, tmp_path):
    out = write_image_set(load_generator(checkpoint), ImageSetSpec(count=2), tmp_path / "set", checkpoint)
    assert json.loads((out / "manifest.json").read_text())["checkpoint"] == str(checkpoint.resolve())
    assert not (out / "generator.pt").exists()


def test_a_checkpoint_changed_since_it_was_read_is_not_named_its_generator_is_carried(checkpoint, tmp_path):
    """The explorer read the user's model.pt; another training overwrote it before Save: the manifest
    vouched for the new file beside images of the old weights, and regenerated other images, rc 0."""
    from ganstudio.core.export import sha256_file

    mine = tmp_path / "model.pt"
    shutil.copy(checkpoint, mine)
    digest = sha256_file(mine)
    snap = load_generator(mine)
    mine.write_bytes(b"another training wrote here")
    out = write_image_set(snap, ImageSetSpec(count=3), tmp_path / "set", mine, checkpoint_sha256=digest)
    assert json.loads((out / "manifest.json").read_text())["checkpoint"] == "generator.pt"
    again = regenerate(out / "manifest.json", tmp_path / "again")
    assert np.array_equal(load_png(out / "image_0002.png"), load_png(again / "image_0002.png"))


def test_a_checkpoint_moved_since_it_was_read_is_not_named_its_generator_is_carried(checkpoint, tmp_path):
    """It was "could not write the image set: No such file or directory"."""
    from ganstudio.core.export import sha256_file

    mine = tmp_path / "model.pt"
    shutil.copy(checkpoint, mine)
    digest, snap = sha256_file(mine), load_generator(mine)
    mine.rename(tmp_path / "elsewhere.pt")
    out = write_image_set(snap, ImageSetSpec(count=2), tmp_path / "set", mine, checkpoint_sha256=digest)
    assert json.loads((out / "manifest.json").read_text())["checkpoint"] == "generator.pt"


def test_a_regenerated_self_contained_set_carries_its_own_generator(checkpoint, tmp_path):
    """The copy named the first set's generator.pt by its full path: gone with that set."""
    first = write_image_set(load_generator(checkpoint), ImageSetSpec(count=2), tmp_path / "first")
    copy = regenerate(first / "manifest.json", tmp_path / "copy")
    assert json.loads((copy / "manifest.json").read_text())["checkpoint"] == "generator.pt"
    expected = load_png(first / "image_0001.png")
    shutil.rmtree(first)
    third = regenerate(copy / "manifest.json", tmp_path / "third")
    assert np.array_equal(load_png(third / "image_0001.png"), expected)


def test_a_long_set_is_written_a_chunk_at_a_time_with_a_bounded_sheet_and_animation(checkpoint, tmp_path):
    """A set of 10,000 pictures was drawn in one batch and held whole, with a contact sheet of every one."""
    from PIL import Image

    from ganstudio.core.export import GIF_FRAMES, SET_CHUNK, SHEET_IMAGES

    snap = load_generator(checkpoint)
    directions = principal_directions(snap, count=2, samples=300).vectors.tolist()
    spec = ImageSetSpec(mode="sweep", count=1100, directions=directions, direction_index=0)
    progress = []
    out = write_image_set(snap, spec, tmp_path / "long", checkpoint, progress=lambda *a: progress.append(a))
    assert progress == [(SET_CHUNK * i, 1100) for i in range(1, 5)] + [(1100, 1100)]
    assert len(list(out.glob("image_*.png"))) == 1100
    side = load_png(out / "image_0000.png").shape[0]
    assert load_png(out / "contact_sheet.png").shape[0] == (SHEET_IMAGES // 8) * (side + 2) + 2
    with Image.open(out / "animation.gif") as gif:
        assert gif.n_frames <= 2 * GIF_FRAMES
    again = regenerate(out / "manifest.json", tmp_path / "again")
    assert np.array_equal(load_png(out / "image_1099.png"), load_png(again / "image_1099.png"))


def test_existing_destination_is_never_overwritten(checkpoint, tmp_path):
    snap = load_generator(checkpoint)
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    with pytest.raises(ExportError, match="already exists"):
        write_image_set(snap, ImageSetSpec(count=2), tmp_path / "taken", checkpoint=checkpoint)
    assert os.listdir(tmp_path / "taken") == ["keep.txt"]


def test_a_set_killed_mid_write_is_cleared_by_the_next_one_but_a_set_being_written_is_not(checkpoint, tmp_path):
    """A window killed while saving a set left its hidden partial folder (thousands of pictures) in the run
    folder for good. A folder written to a moment ago may be another process's set in flight: it stays."""
    snap = load_generator(checkpoint)
    killed, in_flight = tmp_path / ".imageset-1.partial-2p61oy0b", tmp_path / ".imageset-2.partial-k3j_x0aa"
    mine = tmp_path / ".mine.partial-NOTOURS1"  # not a name partial_folder makes (mkdtemp's are lower case)
    for folder in (killed, in_flight, mine):
        folder.mkdir()
        (folder / "00000.png").write_bytes(b"half")
    long_ago = time.time() - 2 * 3600
    for path in (killed / "00000.png", killed, mine / "00000.png", mine):
        os.utime(path, (long_ago, long_ago))
    write_image_set(snap, ImageSetSpec(count=2), tmp_path / "set", checkpoint=checkpoint)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".imageset-2.partial-k3j_x0aa",
        ".mine.partial-NOTOURS1",
        "set",
    ]


def test_unwritable_destination_leaves_nothing(checkpoint, read_only_folder):
    snap = load_generator(checkpoint)
    before = sorted(os.listdir(read_only_folder))
    with pytest.raises(ExportError, match="cannot write"):
        write_image_set(snap, ImageSetSpec(count=2), read_only_folder / "ganstudio-set", checkpoint=checkpoint)
    assert sorted(os.listdir(read_only_folder)) == before


def test_failure_midway_removes_the_partial_set(checkpoint, tmp_path, monkeypatch):
    import ganstudio.core.export as export

    snap = load_generator(checkpoint)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "save_npy", disk_full)
    with pytest.raises(ExportError, match="disk is full"):
        write_image_set(snap, ImageSetSpec(count=2), tmp_path / "set", checkpoint=checkpoint)
    assert os.listdir(tmp_path) == []


def test_a_full_disk_while_saving_a_live_runs_generator_is_the_sets_one_line(checkpoint, tmp_path, monkeypatch):
    """A set from a live run carries generator.pt: its failed save was an unexpected error naming the
    hidden temporary folder."""
    import ganstudio.core.checkpoint as checkpoint_module

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint_module.torch, "save", disk_full)
    with pytest.raises(ExportError) as refused:
        write_image_set(load_generator(checkpoint), ImageSetSpec(count=2), tmp_path / "set", checkpoint=None)
    assert str(refused.value) == (
        f"could not write the image set to {tmp_path / 'set'}: the disk is full; nothing was left behind"
    )
    assert os.listdir(tmp_path) == []


def test_tampered_checkpoint_is_refused_on_regenerate(checkpoint, tmp_path):
    copy = tmp_path / "copy.pt"
    shutil.copy(checkpoint, copy)
    out = write_image_set(load_generator(copy), ImageSetSpec(count=2), tmp_path / "set", checkpoint=copy)
    with open(copy, "ab") as fh:
        fh.write(b"x")
    with pytest.raises(ExportError, match="not the checkpoint the set was made from"):
        regenerate(out / "manifest.json", tmp_path / "again")


def test_latents_for_rejects_bad_specs():
    with pytest.raises(ExportError):
        latents_for(ImageSetSpec(mode="interpolation"), 8)
    with pytest.raises(ExportError):
        latents_for(ImageSetSpec(mode="sweep"), 8)
    with pytest.raises(ExportError):
        latents_for(ImageSetSpec(scale=3), 8)


def test_a_forged_manifest_cannot_name_or_probe_files_outside_checkpoints(checkpoint, tmp_path):
    """It may name a .pt file, by full path or in its folder; and a missing file reads as a changed one."""
    import json

    out = write_image_set(load_generator(checkpoint), ImageSetSpec(count=2), tmp_path / "set")
    manifest = json.loads((out / "manifest.json").read_text())
    for named, says in (
        ("/etc/hostname", "must be a .pt file"),
        ("../../elsewhere/generator.pt", "must be a .pt file"),
        ("~/generator.pt", "must be a .pt file"),
        (str(tmp_path / "no-such.pt"), "not the checkpoint the set was made from"),
        (str(checkpoint), "not the checkpoint the set was made from"),  # exists, another digest: the same words
    ):
        (out / "manifest.json").write_text(json.dumps({**manifest, "checkpoint": named}))
        with pytest.raises(ExportError, match=says):
            regenerate(out / "manifest.json", tmp_path / "again")
    assert not (tmp_path / "again").exists()


def test_a_manifest_from_a_newer_version_or_with_a_bad_spec_is_said_with_its_file(checkpoint, tmp_path):
    """A version 99 manifest was refused as "its checkpoint must be a file name" (when it had none), and a
    count of -3 as "count must be a whole number >= 0", without the file's name."""
    out = write_image_set(load_generator(checkpoint), ImageSetSpec(count=2), tmp_path / "set", checkpoint)
    manifest = json.loads((out / "manifest.json").read_text())
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({**manifest, "version": 99}))
    with pytest.raises(ExportError, match="manifest version 99; this GAN Studio reads version 1"):
        regenerate(newer, tmp_path / "a")
    newer.write_text(json.dumps({**manifest, "version": "1"}))
    with pytest.raises(ExportError, match="its version must be a whole number"):
        regenerate(newer, tmp_path / "a")
    negative = tmp_path / "negative.json"
    negative.write_text(json.dumps({**manifest, "spec": {**manifest["spec"], "count": -3}}))
    with pytest.raises(ExportError, match=f"^{negative}: count must be a whole number from 1 to 10,000$"):
        regenerate(negative, tmp_path / "b")
    for spec, says in (  # each said with the file, and as the limit it breaks: one range for a count however wrong
        ({"count": 0}, "count must be a whole number from 1 to 10,000"),
        ({"count": 10**12}, "count must be a whole number from 1 to 10,000"),
        ({"count": "16"}, "count must be a whole number from 1 to 10,000"),
        ({"seed": 2**70}, "seed must be a whole number from 0 to 2\\*\\*63 - 1"),
        ({"sweep_range": 1e308}, "spec.sweep_range must be a number from -1,000,000 to 1,000,000"),
        ({"a": [1e308] * 4}, "each of spec.a must be a number from -1,000,000 to 1,000,000"),  # a list, not "a number"
        (
            {"directions": [[0.0] * 4, [1e308] * 4]},
            "each of spec.directions\\[1\\] must be a number from",
        ),  # a list of lists
    ):
        negative.write_text(json.dumps({**manifest, "spec": {**manifest["spec"], **spec}}))
        with pytest.raises(ExportError, match=f"^{negative}: {says}"):
            regenerate(negative, tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_row_names_in_any_script_and_without_freetype(monkeypatch):
    """Class names come from folder names; Pillow's bitmap font (a build without FreeType) cannot draw them."""
    from PIL import ImageFont

    sheet = np.full((30, 30), 255, np.uint8)
    named = with_row_names(sheet, ["猫", "Überzieher"], row_height=13)
    assert named.shape[0] == 30 and named.shape[1] > 30 and (named[:, :-30] < 255).any()
    monkeypatch.setattr(ImageFont, "load_default", ImageFont.load_default_imagefont)
    assert with_row_names(sheet, ["猫", "Überzieher"], row_height=13) is sheet


def test_a_sets_own_generator_named_by_another_path_still_travels_with_the_copy(checkpoint, tmp_path):
    """Named by its absolute path (or a copy of it chosen), the set's own generator.pt was taken for a file of the
    user's: the copy named it by path instead of carrying its own (review 37)."""
    from ganstudio.core.export import plan_regeneration

    made = write_image_set(load_generator(checkpoint), ImageSetSpec(count=2), tmp_path / "set")
    copy = tmp_path / "elsewhere.pt"
    copy.write_bytes((made / "generator.pt").read_bytes())
    for named in (made / "generator.pt", copy):
        again = plan_regeneration(made / "manifest.json", named.resolve()).write(tmp_path / f"again-{named.stem}")
        assert json.loads((again / "manifest.json").read_text())["checkpoint"] == "generator.pt"
        assert (again / "generator.pt").read_bytes() == (made / "generator.pt").read_bytes()


def test_only_a_visible_path_inside_the_image_folder_a_run_trains_on_is_refused(tmp_path):
    """The loader reads no hidden folder (a home folder's ~/.local held the runs folder), and a path from a checkpoint
    that cannot be resolved names no folder anything is read from (review 37)."""
    from ganstudio.core.config import RunConfig
    from ganstudio.core.run_data import inside_training_images

    config = RunConfig()
    config.data.dataset, config.data.path = "image-folder", str(tmp_path / "home")
    assert "the image folder the run trains on" in inside_training_images(tmp_path / "home" / "cats" / "set", config)
    assert inside_training_images(tmp_path / "home" / ".local" / "share" / "runs", config) is None
    assert inside_training_images(tmp_path / "elsewhere", config) is None
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    config.data.path = str(tmp_path / "loop" / "pictures")
    assert inside_training_images(tmp_path / "loop" / "pictures" / "set", config) is None
    config.data.path = "~no-such-user-here/pictures"
    assert inside_training_images(tmp_path / "set", config) is None
