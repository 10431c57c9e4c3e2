"""File > Regenerate image set...: a saved set written again beside it from its manifest, checked picture
for picture, and a manifest that cannot be regenerated said in a dialog with nothing left behind."""

import json
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from ganstudio.core.export import ImageSetSpec, write_image_set
from ganstudio.core.sampling import load_generator
from tests.conftest import a_set_whose_checkpoint_was_renamed


def saved_set(checkpoint, folder):
    """A set that carries its own generator.pt, as one saved from a run's checkpoint does."""
    return write_image_set(load_generator(checkpoint), ImageSetSpec(count=5, seed=7), folder)


def test_the_menu_regenerates_a_set_beside_it_and_says_it_came_out_the_same(
    qtbot, make_window, small_checkpoint, tmp_path, monkeypatch
):
    (tmp_path / "my sets").mkdir()
    made = saved_set(small_checkpoint, tmp_path / "my sets" / "shirts")
    w = make_window()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: (str(made / "manifest.json"), ""))
    w.menu_actions.regenerate_action.trigger()
    again = tmp_path / "my sets" / "shirts-regenerated"
    pictures = sorted(p.name for p in made.glob("*.png"))
    assert len(pictures) >= 5 and sorted(p.name for p in again.glob("*.png")) == pictures
    assert all((made / name).read_bytes() == (again / name).read_bytes() for name in pictures)
    said = w.statusBar().currentMessage()
    assert said == f"Regenerated the image set into {again}: all 5 images are byte for byte the saved set's"
    assert w.regenerator.regenerate(made / "manifest.json") == tmp_path / "my sets" / "shirts-regenerated-2"


def test_a_set_whose_pictures_were_changed_is_said_to_differ(make_window, small_checkpoint, tmp_path):
    """Said in the status bar alone, a set that did not come out the same was easy to miss (trial Q)."""
    made = saved_set(small_checkpoint, tmp_path / "set")
    first = made / json.loads((made / "manifest.json").read_text())["images"][0]
    first.write_bytes(first.read_bytes() + b"\0")  # a picture edited since it was saved
    w = make_window()
    assert w.regenerator.regenerate(made / "manifest.json") is not None
    assert w.statusBar().currentMessage().endswith(": 1 of the 5 images differs from the saved set's")
    assert w.errors.dialog is not None and w.errors.dialog.windowTitle() == "Image set regenerated, not the same"
    assert w.errors.dialog.icon() == QMessageBox.Icon.Warning
    assert "1 of the 5 images differs from the saved set's. Its manifest or its saved images were edited" in (
        w.errors.dialog.text()
    )


def test_a_set_in_a_folder_that_cannot_be_written_is_regenerated_where_the_user_chooses(
    make_window, small_checkpoint, tmp_path, monkeypatch
):
    """A team's set on a read-only share could not be regenerated from the window at all: it said "cannot write
    to SHARE" (trial Q). Root writes into a read-only folder, so the share is played by its temporary files
    failing with EROFS, as they do on one."""
    import errno
    import tempfile

    share, mine = tmp_path / "share", tmp_path / "mine"
    share.mkdir()
    mine.mkdir()
    made = saved_set(small_checkpoint, share / "set")
    real = tempfile.TemporaryFile

    def read_only_share(*args, **kwargs):
        if Path(kwargs.get("dir") or ".") == share:
            raise OSError(errno.EROFS, "Read-only file system")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryFile", read_only_share)
    asked = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda _w, title, _start: asked.append(title) or str(mine))
    w = make_window()
    assert w.regenerator.regenerate(made / "manifest.json") == mine / "set-regenerated"
    assert asked == [f"{share} cannot be written (Read-only file system): choose where the regenerated set goes"]
    assert w.statusBar().currentMessage().endswith("all 5 images are byte for byte the saved set's")
    assert sorted(p.name for p in share.iterdir()) == ["set"]
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args: "")  # chose none: nothing written
    assert w.regenerator.regenerate(made / "manifest.json") is None
    assert "no folder was chosen" in w.statusBar().currentMessage() and len(list(mine.iterdir())) == 1
    manifest = json.loads((made / "manifest.json").read_text())  # a set that cannot be made asks for no folder
    (made / "manifest.json").write_text(json.dumps({**manifest, "spec": {**manifest["spec"], "count": 0}}))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda _w, title, _start: asked.append(title) or str(mine))
    assert w.regenerator.regenerate(made / "manifest.json") is None
    assert len(asked) == 1 and w.errors.dialog.text().endswith("count must be a whole number from 1 to 10,000")


def test_a_manifest_that_cannot_be_regenerated_is_said_and_leaves_nothing(make_window, small_checkpoint, tmp_path):
    made = saved_set(small_checkpoint, tmp_path / "set")
    manifest = json.loads((made / "manifest.json").read_text())
    edited = made / "manifest.json"
    edited.write_text(json.dumps({**manifest, "spec": {**manifest["spec"], "count": 0}}))
    w = make_window()
    assert w.regenerator.regenerate(edited) is None
    assert w.errors.dialog is not None and w.errors.dialog.windowTitle() == "Image set not regenerated"
    assert w.errors.dialog.text() == f"{edited}: count must be a whole number from 1 to 10,000"
    assert not (tmp_path / "set-regenerated").exists()


def test_a_sets_generator_explored_saves_new_sets_beside_the_set_not_inside_it(make_window, small_checkpoint, tmp_path):
    made = saved_set(small_checkpoint, tmp_path / "set")
    w = make_window()
    assert w.files.explore_checkpoint(made / "generator.pt")  # File > Open checkpoint to explore
    assert w.explorer.default_folder == str(tmp_path)
    w.explorer.default_folder = str(made)
    w.explorer.open_checkpoint(made / "generator.pt")  # the explorer's own Open checkpoint...
    assert w.explorer.default_folder == str(tmp_path)


def test_a_saved_image_gone_is_counted_not_raised_once_the_set_is_written(make_window, small_checkpoint, tmp_path):
    """Missing images were left out of the count ("all 3 images are byte for byte" of a 5-image set), and an
    unreadable one raised in the slot after the set was written."""
    made = saved_set(small_checkpoint, tmp_path / "set")
    for name in json.loads((made / "manifest.json").read_text())["images"][:2]:
        (made / name).unlink()
    w = make_window()
    assert w.regenerator.regenerate(made / "manifest.json") is not None
    said = w.statusBar().currentMessage()
    assert said.endswith(
        ": all 3 images are byte for byte the saved set's; 2 of the saved set's images could not be read"
    )


def test_a_set_whose_checkpoint_moved_is_regenerated_from_where_the_user_says_it_is(
    make_window, small_checkpoint, small_conditional_checkpoint, tmp_path, monkeypatch
):
    """A set named after a checkpoint of the user's own could not be made again once that file was renamed; the
    window asks where it is now, and takes only the file whose SHA-256 the manifest records (trial X)."""
    folder = tmp_path / "mine"
    folder.mkdir()
    made, renamed = a_set_whose_checkpoint_was_renamed(small_checkpoint, folder)
    asked = []
    chosen = [str(small_conditional_checkpoint), str(renamed), ""]
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", lambda _w, title, *_: asked.append(title) or (chosen.pop(0), "")
    )
    w = make_window()
    gone = f"{folder / 'model.pt'} is not the checkpoint the set was made from (missing, moved or changed)"
    assert w.regenerator.regenerate(made / "manifest.json") is None  # another checkpoint chosen: refused
    assert asked == [f"{gone}: choose it where it is now"]
    assert w.errors.dialog.text() == (
        f"{small_conditional_checkpoint} is not the checkpoint the set was made from (not the file whose SHA-256 "
        "manifest.json records)"
    )
    again = w.regenerator.regenerate(made / "manifest.json")
    assert again == folder / "set-regenerated"
    assert w.statusBar().currentMessage().endswith("all 5 images are byte for byte the saved set's")
    assert json.loads((again / "manifest.json").read_text())["checkpoint"] == str(renamed.resolve())
    assert w.regenerator.regenerate(made / "manifest.json") is None  # none chosen
    assert w.statusBar().currentMessage() == f"Image set not regenerated: {gone}"
    assert sorted(p.name for p in folder.iterdir()) == ["model-renamed.pt", "set", "set-regenerated"]
