import math

import numpy as np
import pytest
import torch
from PIL import Image

from ganstudio.core.config import DataConfig
from ganstudio.core.data import DataError, build_data_source
from ganstudio.core.data.idx import IdxError, read_idx
from ganstudio.core.data.images import load_idx_folder, load_image_folder, load_torchvision
from ganstudio.core.data.toy import grid_centres, ring_centres
from tests.conftest import write_idx

CPU = torch.device("cpu")


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize(
    "name, dim", [("gaussian-1d", 1), ("ring-8", 2), ("grid-25", 2), ("spiral", 2), ("two-moons", 2)]
)
def test_toy_shapes_and_seeding(name, dim):
    src = build_data_source(DataConfig(dataset=name), CPU)
    a = src.sample(500, gen(1))
    assert a.shape == (500, dim) and torch.isfinite(a).all()
    assert torch.equal(a, src.sample(500, gen(1)))
    assert not torch.equal(a, src.sample(500, gen(2)))


def test_ring_has_eight_distinct_centres_on_the_unit_circle():
    c = ring_centres()
    assert c.shape == (8, 2)
    assert torch.allclose(c.norm(dim=1), torch.ones(8), atol=1e-6)
    assert torch.cdist(c, c).add(torch.eye(8) * 10).min() > 0.7  # neighbours 2 sin(pi/8) = 0.765 apart


def test_ring_samples_stay_near_their_centres():
    src = build_data_source(DataConfig(dataset="ring-8"), CPU)
    x = src.sample(4000, gen())
    d = torch.cdist(x, ring_centres()).min(dim=1).values
    assert d.max() < 0.01 * 6
    nearest = torch.cdist(x, ring_centres()).argmin(dim=1)
    assert len(nearest.unique()) == 8


def test_grid_centres():
    c = grid_centres()
    assert c.shape == (25, 2)
    assert set(c[:, 0].tolist()) == {-4.0, -2.0, 0.0, 2.0, 4.0}


def test_bundled_fashion_mnist():
    src = build_data_source(DataConfig(dataset="fashion-mnist"), CPU)
    assert len(src) == 10000 and src.shape == (1, 28, 28)
    batch = src.sample(16, gen())
    assert batch.shape == (16, 1, 28, 28)
    assert batch.min() >= -1 and batch.max() <= 1 and batch.max() > 0.9


@pytest.mark.parametrize("size, channels", [(32, 3), (64, 1)])
def test_bundled_resized_and_recoloured(size, channels):
    src = build_data_source(DataConfig(dataset="fashion-mnist", image_size=size, channels=channels), CPU)
    assert src.sample(4, gen()).shape == (4, channels, size, size)


def test_idx_folder(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, size=(30, 28, 28))
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images)
    assert np.array_equal(read_idx(tmp_path / "train-images-idx3-ubyte.gz"), images)
    loaded = load_idx_folder(str(tmp_path))
    assert loaded.images.shape == (30, 1, 28, 28)
    with pytest.raises(DataError, match="dataset-fashion-mnist"):
        load_idx_folder(str(tmp_path / "empty"))


def test_forged_idx_files_are_data_errors_not_crashes(tmp_path):
    """No dimensions at all, or no images with no labels: a ValueError reached the user as a bug."""
    from ganstudio.core.data.idx import IdxError

    (tmp_path / "nodims-idx3-ubyte").write_bytes(bytes([0, 0, 8, 0]))
    with pytest.raises(IdxError, match="no dimensions"):
        read_idx(tmp_path / "nodims-idx3-ubyte")
    # 13 sizes, nine of them 0, were said as "holds more than the (10, 28, 28, 0, 0, ...) its header declares"
    header = bytes([0, 0, 8, 13]) + b"".join(n.to_bytes(4, "big") for n in (10, 28, 28, 1, *[0] * 9))
    (tmp_path / "thirteen-idx3-ubyte").write_bytes(header + bytes(10 * 28 * 28))
    with pytest.raises(IdxError, match=r"declares 13 dimensions: images have 3 \(count, rows, columns\), labels 1"):
        read_idx(tmp_path / "thirteen-idx3-ubyte")
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((0, 28, 28), np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros((0,), np.uint8))
    with pytest.raises(DataError, match="at least one"):
        load_idx_folder(str(tmp_path))


def test_an_idx_file_is_read_no_further_than_its_header_declares(tmp_path):
    """A 50 KB gzip of two images and 50 MB of zeros after them: the reader took in all it could inflate, up
    to 2 GB, before looking at the header, then copied it. Now it reads what the header declares and one
    byte more, and refuses a file that is not what its header says."""
    import gzip
    import tracemalloc

    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    header = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in images.shape)
    path = tmp_path / "padded-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(header + images.tobytes() + bytes(50 << 20)))
    tracemalloc.start()
    try:
        with pytest.raises(IdxError, match=r"holds more than the \(2, 28, 28\) its header declares"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, f"{peak:,} bytes held to read 1,568"
    path.write_bytes(gzip.compress(header + images.tobytes()))
    assert np.array_equal(read_idx(path), images)


def test_an_idx_file_of_more_images_than_classify_takes_is_refused_from_its_header(tmp_path):
    """A 1.5 MB gzip declaring 2,000,000 images was inflated (3.6 GB of memory) before being counted."""
    from ganstudio.core.data.errors import DataError
    from ganstudio.core.semi.image_inputs import MAX_IMAGES, read_image_inputs

    path = tmp_path / "many-images-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in (MAX_IMAGES + 1, 28, 28)))
    with pytest.raises(DataError, match=f"holds {MAX_IMAGES + 1:,} images, over the {MAX_IMAGES:,} classified at once"):
        read_image_inputs(path, 28, 1)


def test_image_folder_with_subfolders_and_junk(tmp_path):
    rng = np.random.default_rng(0)
    for cls in ("cats", "dogs"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            Image.fromarray(rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)).save(tmp_path / cls / f"{i}.png")
    (tmp_path / "cats" / "broken.png").write_bytes(b"not an image")
    (tmp_path / "notes.txt").write_text("ignored: not an image suffix")
    loaded = load_image_folder(str(tmp_path), 32, 3)
    assert loaded.images.shape == (6, 3, 32, 32) and loaded.images.dtype == np.uint8
    assert loaded.skipped == 1 and "1 unreadable" in loaded.description
    gray = build_data_source(DataConfig(dataset="image-folder", path=str(tmp_path), image_size=28, channels=1), CPU)
    assert gray.sample(5, gen()).shape == (5, 1, 28, 28)


def test_image_folder_without_images_is_a_clear_error(tmp_path):
    (tmp_path / "x.png").write_bytes(b"junk")
    with pytest.raises(DataError, match="no readable image"):
        load_image_folder(str(tmp_path), 28, 1)
    with pytest.raises(DataError, match="not found"):
        load_image_folder(str(tmp_path / "nope"), 28, 1)


def test_torchvision_offline_names_where_to_put_files(tmp_path, monkeypatch):
    from urllib.error import URLError

    from torchvision import datasets

    def offline(self):
        raise URLError("no network")

    monkeypatch.setattr(datasets.MNIST, "download", offline)
    with pytest.raises(DataError) as err:
        load_torchvision("mnist", str(tmp_path))
    assert str(tmp_path / "MNIST") in str(err.value) and "offline" in str(err.value)


def test_images_live_on_the_device_once():
    src = build_data_source(DataConfig(dataset="fashion-mnist"), CPU)
    assert src.images.dtype == torch.uint8 and src.images.device == CPU
    assert math.prod(src.images.shape) == 10000 * 28 * 28


def test_a_download_from_a_server_that_never_answers_ends_and_leaves_no_folders(tmp_path, monkeypatch):
    """torchvision opens its URLs without a timeout: a proxy that accepts and says nothing hung train for
    ever. The folders the attempt made go with it, and the message names the folder the files belong in."""
    import socket
    import threading

    from ganstudio.core.data import images

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held = []
    threading.Thread(target=lambda: [held.append(server.accept()) for _ in range(16)], daemon=True).start()
    proxy = f"http://127.0.0.1:{server.getsockname()[1]}"
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(name, proxy)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.setattr(images, "DOWNLOAD_TIMEOUT_S", 1.0)
    root = tmp_path / "datasets" / "here"
    with pytest.raises(DataError, match=r"MNIST/raw"):
        load_torchvision("mnist", str(root))
    assert list(tmp_path.iterdir()) == []
    server.close()


def test_a_continued_run_never_downloads_the_data_its_config_names(tmp_path):
    """Resume and restart build their trainer with download=False: the config came from the run folder."""
    from ganstudio.core.runlog import RunDirectory
    from ganstudio.core.session import build_trainer
    from tests.conftest import tiny_image_config

    config = tiny_image_config()
    config.data.dataset, config.data.path = "mnist", str(tmp_path / "elsewhere")
    with pytest.raises(DataError, match="nothing is downloaded"):
        build_trainer(config, RunDirectory(tmp_path / "run"), download=False)
    assert not (tmp_path / "elsewhere").exists()


def test_a_damaged_sideways_or_sixteen_bit_picture_is_read_as_a_person_sees_it_or_skipped(tmp_path):
    """A damaged PNG raised SyntaxError (a crash, not a skipped file); phone photos were learned sideways;
    16-bit grayscale came out white."""
    import io

    from ganstudio.core.data.picture import read_picture

    good = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (16, 16), dtype=np.uint8)).save(good, format="PNG")
    damaged = bytearray(good.getvalue())
    at = damaged.index(b"IDAT") - 4
    damaged[at : at + 4] = (3).to_bytes(4, "big")  # the chunk's length field: Pillow raises SyntaxError
    (tmp_path / "damaged.png").write_bytes(bytes(damaged))
    assert read_picture(tmp_path / "damaged.png", "L") is None
    sideways = Image.new("L", (40, 20), 0)
    sideways.paste(255, (0, 0, 10, 20))  # bright on the left as stored; Orientation 6 shows it on top
    exif = Image.Exif()
    exif[0x0112] = 6
    sideways.save(tmp_path / "phone.jpg", exif=exif.tobytes())
    upright = np.asarray(read_picture(tmp_path / "phone.jpg", "L"))
    assert upright.shape == (40, 20) and upright[:5].mean() > 200 and upright[-5:].mean() < 50
    wide = Image.fromarray(np.full((8, 8), 30000, np.uint16))
    wide.save(tmp_path / "sixteen.png")
    assert np.asarray(read_picture(tmp_path / "sixteen.png", "L")).max() == 30000 // 257
    loaded = load_image_folder(str(tmp_path), 28, 1)
    assert loaded.skipped == 1 and len(loaded.images) == 2


def test_hidden_folders_are_no_class_and_a_relative_data_folder_is_saved_whole(tmp_path, monkeypatch):
    from ganstudio.core.runlog import RunDirectory
    from ganstudio.core.session import TrainingSession
    from tests.conftest import tiny_image_config

    for folder in ("cats", "dogs", ".thumbnails"):
        (tmp_path / "pets" / folder).mkdir(parents=True)
        for i in range(12):
            Image.new("L", (28, 28), 20 * i).save(tmp_path / "pets" / folder / f"{i}.png")
    pets = load_image_folder(str(tmp_path / "pets"), 28, 1)
    assert pets.class_names == ("cats", "dogs") and "classes: cats 12, dogs 12" in pets.description
    monkeypatch.chdir(tmp_path)
    config = tiny_image_config()
    config.data.dataset, config.data.path = "image-folder", "pets"
    session = TrainingSession.start(config, RunDirectory.at(tmp_path / "run"))
    session.close()
    assert RunDirectory.open(tmp_path / "run").read_config().data.path == str(tmp_path / "pets")
    monkeypatch.setenv("HOME", str(tmp_path))  # "~/pets" was saved as it was: another account reads its own home
    config.data.path = "~/pets"
    session = TrainingSession.start(config, RunDirectory.at(tmp_path / "run2"))
    session.close()
    assert RunDirectory.open(tmp_path / "run2").read_config().data.path == str(tmp_path / "pets")
    config.data.path = f"{tmp_path}/pets/"  # as typed; Browse gives it without the slash
    session = TrainingSession.start(config, RunDirectory.at(tmp_path / "run3"))
    session.close()
    assert RunDirectory.open(tmp_path / "run3").read_config().data.path == str(tmp_path / "pets")


def test_a_npy_with_bytes_after_its_array_is_refused(tmp_path):
    """numpy reads the array its header names and never looks past it: junk appended was classified as if
    the file were whole."""
    from ganstudio.core.data.npy_file import read_npy

    path = tmp_path / "extra.npy"
    np.save(path, np.zeros((3, 28, 28), np.uint8))
    assert read_npy(path, 1 << 20, "an image set").shape == (3, 28, 28)
    path.write_bytes(path.read_bytes() + b"junk")
    with pytest.raises(DataError, match=r"holds 4 bytes more than the \(3, 28, 28\) of uint8 its header says"):
        read_npy(path, 1 << 20, "an image set")


def test_a_data_folder_spelt_with_a_slash_or_a_tilde_is_no_change_to_a_continued_run(monkeypatch, tmp_path):
    """Continue turned to Start when the run's folder was chosen again as "/home/u/pics/" or "~/pics" (trial X)."""
    from ganstudio.core.config import RunConfig
    from ganstudio.core.resume import resumable_changes

    monkeypatch.setenv("HOME", str(tmp_path))
    saved, wanted = RunConfig(), RunConfig()
    saved.data.dataset = wanted.data.dataset = "image-folder"
    saved.data.path = str(tmp_path / "pics")
    for spelt in (f"{tmp_path}/pics/", "~/pics", "~/pics/"):
        wanted.data.path = spelt
        assert resumable_changes(saved, wanted) == {}, spelt
    wanted.data.path = str(tmp_path / "other")
    assert resumable_changes(saved, wanted) is None
