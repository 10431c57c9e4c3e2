import gzip
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest

from ganstudio.core.config import DataConfig, ModelConfig, RunConfig, TrainConfig, preset

LONG_RUN_STEPS = 1000  # a run this long is one the test stops itself


def _set_train(cfg: RunConfig, train: dict) -> None:
    """A long run keeps no step copies unless the test asks for them: a run is refused unless its disk
    has room for every copy it could write (100,000 tiny steps at every 10 is GBs), and the machine
    that runs the suite may have far less free than this one."""
    for key, value in train.items():
        setattr(cfg.train, key, value)
    if cfg.train.steps >= LONG_RUN_STEPS and "checkpoint_every" not in train:
        cfg.train.checkpoint_every = cfg.train.steps


def tiny_image_config(**train) -> RunConfig:
    """A DCGAN small enough that a step takes milliseconds on 2 cores."""
    cfg = preset("fashion-dcgan")
    cfg.model = ModelConfig(arch="dcgan", latent_dim=8, width=8)
    cfg.train = TrainConfig(
        steps=20, batch_size=8, k=1, seed=3, device="cpu", log_every=5, sample_every=10, checkpoint_every=10
    )
    cfg.quality.every = 0  # scored only by the tests that are about quality
    _set_train(cfg, train)
    return cfg


def tiny_toy_config(dataset: str = "ring-8", **train) -> RunConfig:
    cfg = preset("ring-8")
    cfg.data = DataConfig(dataset=dataset)
    cfg.model.width = 16
    cfg.train = TrainConfig(
        steps=20, batch_size=32, k=1, seed=5, device="cpu", log_every=5, sample_every=10, checkpoint_every=10
    )
    _set_train(cfg, train)
    return cfg


@pytest.fixture
def restore_threads():
    """The calling thread's torch thread count, put back after a test that changes it."""
    import torch

    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def tiny_image() -> RunConfig:
    return tiny_image_config()


@pytest.fixture
def tiny_toy() -> RunConfig:
    return tiny_toy_config()


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder this process cannot write into: chmod for normal users; root ignores modes, so /sys."""
    if os.geteuid() == 0:
        yield Path("/sys")
        return
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    yield folder
    folder.chmod(0o700)


def checkpoint_after_five_steps(cfg: RunConfig, folder: Path) -> Path:
    """folder/latest.pt: cfg trained 5 steps with latent size 24 (enough for views to have something to show)."""
    from ganstudio.core.checkpoint import save_checkpoint
    from ganstudio.core.trainer import Trainer

    cfg.model.latent_dim = 24
    t = Trainer(cfg)
    for _ in range(5):
        t.step()
    path = folder / "latest.pt"
    save_checkpoint(t.state_dict(), path)
    return path


def trained_run(cfg: RunConfig, folder: str | Path, close: bool = True):
    """A TrainingSession trained in folder to its last step and saved, as `ganstudio train` leaves a run;
    close=False keeps it open (its folder lock held)."""
    from ganstudio.core.runlog import RunDirectory
    from ganstudio.core.session import TrainingSession

    session = TrainingSession.start(cfg, RunDirectory.at(folder))
    while not session.done:
        session.advance()
    session.save_checkpoint()
    if close:
        session.close()
    return session


@pytest.fixture(scope="session")
def small_checkpoint(tmp_path_factory):
    """A DCGAN checkpoint shared by the explorer and export tests."""
    return checkpoint_after_five_steps(tiny_image_config(), tmp_path_factory.mktemp("checkpoint"))


def wait_for_subprocess(proc: subprocess.Popen, ready: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    """Waits, bounded, until ready() holds for another process's files (there is no signal to wait on);
    each pause is a wait on the process itself, so its early death fails the test at once."""
    deadline = time.monotonic() + timeout
    while not ready():
        try:
            proc.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"timed out waiting for {what}") from None
            continue
        raise AssertionError(f"the process exited while waiting for {what}: {proc.communicate()}")


def idle_process() -> subprocess.Popen:
    """A child that does nothing until its stdin is closed (or it is killed): a process to stop, continue and
    kill, which never ends on a timer of its own."""
    return subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)


def exited_within(pid: int, timeout: float) -> bool:
    """Whether another process (not a child of this one: no wait() for it) has ended within timeout, waited
    for on a pidfd, which the kernel makes readable when the process exits."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    finally:
        os.close(fd)


def tiny_conditional_config(**train) -> RunConfig:
    """tiny_image_config drawing Fashion-MNIST's ten classes (conditional BatchNorm G, projection D)."""
    cfg = tiny_image_config(**train)
    cfg.model.conditional = "projection"
    cfg.preset = "fashion-cdcgan"
    return cfg


@pytest.fixture(scope="session")
def small_conditional_checkpoint(tmp_path_factory):
    """A conditional DCGAN checkpoint (ten named classes)."""
    return checkpoint_after_five_steps(tiny_conditional_config(), tmp_path_factory.mktemp("conditional"))


def one_error_line(capsys) -> str:
    """The one `ganstudio: error:` line a refused command printed on stderr (failing if there is more)."""
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ganstudio: error: "), err
    return err[0]


def with_nan(weights: dict) -> dict:
    """A module's state with every floating-point tensor NaN: as a run that went NaN saved it."""
    import torch

    return {k: torch.full_like(v, float("nan")) if v.is_floating_point() else v for k, v in weights.items()}


def write_pictures(folder: Path, count: int = 4) -> Path:
    """folder made and holding `count` small grey pictures of different shades: an image folder a run trains on."""
    from PIL import Image

    folder.mkdir(parents=True)
    for i in range(count):
        Image.new("L", (28, 28), 60 * i % 256).save(folder / f"{i}.png")
    return folder


def checkpoint_on_folder(checkpoint: Path, folder: Path, dest: Path) -> Path:
    """dest: the checkpoint saved again as trained on the image folder `folder` (its generator as it was)."""
    from ganstudio.core.checkpoint import load_checkpoint, save_checkpoint

    state = load_checkpoint(checkpoint)
    state["config"]["data"].update(dataset="image-folder", path=str(folder))
    save_checkpoint(state, dest)
    return dest


def write_idx(path: Path, array: np.ndarray) -> None:
    """A real idx file (the format Fashion-MNIST ships in): magic, big-endian sizes, uint8 data; gzipped
    when its name ends in .gz, as the downloads are."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    data = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)


def a_set_whose_checkpoint_was_renamed(checkpoint, folder: Path) -> tuple[Path, Path]:
    """(the set, where its checkpoint is now): saved from a checkpoint of the user's own, which the manifest
    names by its path, then renamed (trial X)."""
    import json
    import shutil

    from ganstudio.core.export import ImageSetSpec, write_image_set
    from ganstudio.core.sampling import load_generator

    mine = folder / "model.pt"
    shutil.copy(checkpoint, mine)
    made = write_image_set(load_generator(mine), ImageSetSpec(count=5, seed=7), folder / "set", checkpoint=mine)
    assert json.loads((made / "manifest.json").read_text())["checkpoint"] == str(mine.resolve())
    return made, mine.rename(folder / "model-renamed.pt")
