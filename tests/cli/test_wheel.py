"""The wheel carries the top-level resources/ folder as ganstudio.resources, and every subpackage."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Runs from the unpacked wheel, never from the source tree: sys.path starts with the wheel's folder.
LOAD_EACH_RESOURCE = """
import sys
sys.path.insert(0, sys.argv[1])
from importlib import resources
from pathlib import Path

import ganstudio
from ganstudio.core.data.images import bundled_fashion_images, bundled_fashion_labels
from ganstudio.core.quality.feature_net import load_feature_net

root = Path(sys.argv[1]).resolve()
bundled = resources.files("ganstudio.resources")
assert Path(ganstudio.__file__).resolve().is_relative_to(root), ganstudio.__file__
assert Path(str(bundled)).resolve().is_relative_to(root), bundled
assert bundled_fashion_images().shape == (10000, 1, 28, 28)
assert bundled_fashion_labels().shape == (10000,)
assert "MIT" in bundled.joinpath("fashion-mnist/LICENSE.txt").read_text()
assert bundled.joinpath("icons/ganstudio.svg").read_text().lstrip().startswith("<svg")
load_feature_net()  # refuses weights whose SHA-256 differs from the card's
print("loaded")
"""


@pytest.fixture(scope="module")
def unpacked_wheel(tmp_path_factory) -> Path:
    """Builds from a copy of the tree, so the build's own folders never land in the worktree."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for name in ("ganstudio", "resources"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--no-build-isolation",
            "--no-cache-dir",
            "-q",
            "-w",
            str(work / "dist"),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("ganstudio-*.whl")
    unpacked = work / "unpacked"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(unpacked)
    return unpacked


def test_wheel_holds_every_module_and_resource(unpacked_wheel):
    def listing(folder: Path, prefix: str) -> set[str]:
        return {
            prefix + path.relative_to(folder).as_posix()
            for path in folder.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
        }

    expected = listing(ROOT / "ganstudio", "ganstudio/") | listing(ROOT / "resources", "ganstudio/resources/")
    shipped = listing(unpacked_wheel / "ganstudio", "ganstudio/")
    assert expected - shipped == set(), "add the missing subpackage to [tool.setuptools] packages"


def test_each_resource_loads_from_the_wheel(unpacked_wheel, tmp_path):
    result = subprocess.run(
        [sys.executable, "-I", "-c", LOAD_EACH_RESOURCE, str(unpacked_wheel)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "loaded"
