"""The explorer's class, kept Qt-free in ExplorerState, and whether a dataset has classes at all."""

import numpy as np
import pytest
from PIL import Image

from ganstudio.core.config import IMAGE_DATASETS, LABELLED_TOY_DATASETS, TOY_DATASETS
from ganstudio.core.dataset_classes import folder_unlabelled_reason, unlabelled_reason
from ganstudio.core.explorer_state import ExplorerState
from ganstudio.core.sampling import snapshot_from_state
from ganstudio.core.trainer import Trainer
from tests.conftest import tiny_toy_config


def toy_snapshot(conditional: str):
    cfg = tiny_toy_config("ring-8")
    cfg.model.conditional = conditional
    trainer = Trainer(cfg)
    trainer.step()
    return snapshot_from_state(trainer.state_dict())


@pytest.fixture(scope="module")
def conditional():
    return toy_snapshot("projection")


def test_the_class_and_its_morph_give_the_class_weights(conditional):
    state = ExplorerState()
    assert state.set_snapshot(conditional) and (state.label, state.label_b) == (0, 1)
    state.set_class(3)
    assert np.array_equal(state.class_weights(), np.eye(8, dtype=np.float32)[3])
    state.label_b, state.morph_t = 6, 1.0
    assert np.array_equal(state.class_weights(), np.eye(8, dtype=np.float32)[6])
    state.morph_t = 0.25
    assert state.class_weights()[[3, 6]].tolist() == [0.75, 0.25]
    spec = state.spec()
    assert (spec.label, spec.label_b) == (3, 6)
    state.set_class(2)
    assert state.morph_t == 0.0 and state.class_weights().argmax() == 2


def test_choosing_the_class_the_morph_ends_at_swaps_the_two(conditional):
    state = ExplorerState()
    state.set_snapshot(conditional)
    state.set_class(1)
    assert (state.label, state.label_b) == (1, 0)
    state.morph_t = 1.0
    assert state.class_weights().argmax() == 0


def test_another_model_forgets_the_class(conditional):
    state = ExplorerState()
    state.set_snapshot(conditional)
    state.set_class(5)
    assert state.set_snapshot(toy_snapshot("off"))
    assert state.label == 0 and state.class_weights() is None and state.spec().label is None


def test_directions_remember_the_class_they_were_found_with(conditional):
    from ganstudio.core.latent import principal_directions

    state = ExplorerState()
    state.set_snapshot(conditional)
    state.set_class(4)
    assert state.accept_directions(conditional, principal_directions(conditional, samples=200, label=4), 4)
    state.set_class(1)
    assert state.directions is not None and state.directions_label == 4


def test_which_datasets_have_classes():
    for name in IMAGE_DATASETS + LABELLED_TOY_DATASETS:
        assert unlabelled_reason(name) == ""
    for name in set(TOY_DATASETS) - set(LABELLED_TOY_DATASETS):
        assert "has no classes" in unlabelled_reason(name)


def test_an_image_folder_has_classes_only_when_its_images_are_in_subfolders(tmp_path):
    def png(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.zeros((4, 4), dtype=np.uint8)).save(path)

    png(tmp_path / "flat" / "a.png")
    assert "is a flat folder" in folder_unlabelled_reason(str(tmp_path / "flat"))
    png(tmp_path / "mixed" / "a.png")
    png(tmp_path / "mixed" / "cats" / "b.png")
    assert folder_unlabelled_reason(str(tmp_path / "mixed")).startswith("1 image file lies directly in")
    png(tmp_path / "sorted" / "cats" / "b.png")
    png(tmp_path / "sorted" / "dogs" / "c.png")
    assert folder_unlabelled_reason(str(tmp_path / "sorted")) == ""
    assert folder_unlabelled_reason(str(tmp_path / "missing")).startswith("cannot read")


def test_the_setup_forms_look_and_the_loader_count_the_same_loose_image_files(tmp_path):
    """The form's look reads names, the loader decodes: the form said 36 images lay outside the class subfolders
    (unreadable ones and hidden names counted) where a conditional start said 33 (readable ones only)."""
    from ganstudio.core.data.images import load_image_folder

    folder = tmp_path / "mixed"
    (folder / "cats").mkdir(parents=True)
    for i in range(3):
        Image.fromarray(np.zeros((4, 4), dtype=np.uint8)).save(folder / f"{i}.png")
    Image.fromarray(np.zeros((4, 4), dtype=np.uint8)).save(folder / "cats" / "c.png")
    (folder / "empty.png").write_bytes(b"")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    (folder / ".thumb.png").write_bytes(b"")  # hidden: no picture of the user's, for either
    said = "5 image files lie directly in"
    assert folder_unlabelled_reason(str(folder)).startswith(said)
    loaded = load_image_folder(str(folder), 8, 1)
    assert loaded.unlabelled_reason.startswith(said) and loaded.skipped == 2
    for i in range(3):  # unreadable files alone outside the subfolders leave the classes as they were
        (folder / f"{i}.png").unlink()
    assert load_image_folder(str(folder), 8, 1).class_names == ("cats",)
