"""The sample rows are named from the opened (or watched) run's own checkpoint, never the explorer's previous one."""

import shutil

from ganstudio.core.checkpoint import load_checkpoint
from ganstudio.core.runlog import RunDirectory
from tests.conftest import tiny_conditional_config, tiny_image_config

FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def run_folder(root, name, config, checkpoint=None) -> RunDirectory:
    """A run folder of config, holding checkpoint as its latest; config.json then fits the checkpoint (its
    latent size), as a run's does: opening the folder says at once when it does not."""
    run = RunDirectory.create(root, name)
    if checkpoint is not None:
        config.model.latent_dim = load_checkpoint(checkpoint)["config"]["model"]["latent_dim"]
    run.write_config(config)
    if checkpoint is not None:
        run.latest_checkpoint.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(checkpoint, run.latest_checkpoint)
    return run


def test_a_run_without_a_checkpoint_gets_no_row_names_from_the_previous_one(
    make_window, tmp_path, small_conditional_checkpoint
):
    conditional = run_folder(tmp_path, "conditional", tiny_conditional_config(), small_conditional_checkpoint)
    fresh = run_folder(tmp_path, "fresh", tiny_image_config())
    w = make_window()
    assert w.files.open_run(conditional.path)
    assert w.samples.class_names == FASHION
    assert w.files.open_run(fresh.path)
    assert w.samples.class_names == ()


def test_watching_a_conditional_run_names_the_rows_from_its_checkpoint(
    make_window, tmp_path, small_conditional_checkpoint
):
    run = run_folder(tmp_path, "watched", tiny_conditional_config(), small_conditional_checkpoint)
    w = make_window()
    assert w.files.watch_run(run.path)
    assert w.samples.class_names == FASHION
    w.watch.stop()
