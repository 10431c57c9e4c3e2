import os

import pytest
import torch

from ganstudio.core.atomic import atomic_write
from ganstudio.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from ganstudio.core.trainer import Trainer
from tests.conftest import tiny_image_config


class RunsCode:
    """Unpickling this would create a marker file: a safe load must never do it."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_round_trip_is_bit_exact(tmp_path):
    t = Trainer(tiny_image_config())
    for _ in range(3):
        t.step()
    save_checkpoint(t.state_dict(), tmp_path / "c.pt")
    loaded = load_checkpoint(tmp_path / "c.pt")
    u = Trainer(tiny_image_config())
    u.load_state_dict(loaded)
    for (k, v), (k2, v2) in zip(t.state_dict()["generator"].items(), u.state_dict()["generator"].items(), strict=True):
        assert k == k2 and torch.equal(v, v2)
    assert torch.equal(t.rng.get_state(), u.rng.get_state())
    assert u.step_count == 3


def test_pickle_that_runs_code_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    torch.save({"format": "ganstudio-checkpoint", "payload": RunsCode(marker)}, evil)
    with pytest.raises(CheckpointError, match="refused"):
        load_checkpoint(evil)
    assert not marker.exists()


def test_corrupt_and_foreign_files_are_clear_errors(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"\x00\x01 not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(junk)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(CheckpointError, match="not a GAN Studio checkpoint"):
        load_checkpoint(foreign)
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt")
    t = Trainer(tiny_image_config())
    save_checkpoint(t.state_dict(), tmp_path / "good.pt")
    data = (tmp_path / "good.pt").read_bytes()
    (tmp_path / "torn.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "torn.pt")
    damaged = bytearray(data)  # a name inside it overwritten: said as damage, not in the utf-8 codec's words
    at = data.find(b"generator")
    damaged[at : at + 4] = b"\xff" * 4
    (tmp_path / "damaged.pt").write_bytes(bytes(damaged))
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(tmp_path / "damaged.pt")
    assert str(refused.value) == f"{tmp_path / 'damaged.pt'} is not a readable checkpoint (corrupt or truncated)"


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "latest.pt"
    target.write_text("old")

    def failing(tmp):
        with open(tmp, "w") as fh:
            fh.write("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        atomic_write(target, failing)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.pt"]
