"""Where GAN Studio keeps its files by default."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_path


def user_data_dir() -> Path:
    return user_data_path("ganstudio", appauthor=False)


def default_runs_dir() -> Path:
    return user_data_dir() / "runs"
