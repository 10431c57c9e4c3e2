"""The run directory, GAN Studio's unit of persistence, shared by the CLI and the GUI.

    config.json, metrics.jsonl (one JSON object per logged step), samples/step_000500.png,
    checkpoints/latest.pt and checkpoints/step_001000.pt
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np

from ganstudio.core.atomic import atomic_write
from ganstudio.core.config import ConfigError, RunConfig, check
from ganstudio.core.stats import StepStats


class RunError(RuntimeError):
    pass


_SAMPLE_RE = re.compile(r"step_(\d+)\.png$")


class RunDirectory:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    @classmethod
    def create(cls, root: str | Path, name: str) -> RunDirectory:
        """A new, empty run folder under root named name-YYYYmmdd-HHMMSS (suffixed if taken)."""
        root = Path(root).expanduser()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base = f"{name}-{stamp}"
        for i in range(1000):
            path = root / (base if i == 0 else f"{base}-{i}")
            try:
                path.mkdir(parents=True, exist_ok=False)
                return cls(path)
            except FileExistsError:
                continue
            except OSError as exc:
                raise RunError(f"cannot create a run folder in {root}: {exc.strerror}") from None
        raise RunError(f"cannot find a free run folder name in {root}")

    @classmethod
    def at(cls, path: str | Path) -> RunDirectory:
        """Uses path as the run folder (the CLI's --out): created if missing, must be empty of runs."""
        path = Path(path).expanduser()
        if (path / "config.json").exists():
            raise RunError(f"{path} already holds a run; use --resume {path} to continue it or choose another --out")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunError(f"cannot create {path}: {exc.strerror}") from None
        return cls(path)

    @classmethod
    def open(cls, path: str | Path) -> RunDirectory:
        run = cls(Path(path).expanduser())
        if not (run.path / "config.json").is_file():
            raise RunError(f"{run.path} is not a GAN Studio run folder (no config.json)")
        return run

    def remove_if_empty(self) -> None:
        """Undoes create()/at() when a run fails before writing anything."""
        try:
            self.path.rmdir()
        except OSError:
            pass

    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def samples_dir(self) -> Path:
        return self.path / "samples"

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / "checkpoints"

    @property
    def latest_checkpoint(self) -> Path:
        return self.checkpoints_dir / "latest.pt"

    def write_config(self, config: RunConfig) -> None:
        atomic_write(self.config_path, lambda tmp: Path(tmp).write_text(config.to_json(), encoding="utf-8"))

    def read_config(self) -> RunConfig:
        try:
            return check(RunConfig.from_json(self.config_path.read_text(encoding="utf-8")))
        except ConfigError as exc:
            raise RunError(f"{self.config_path}: {exc}") from None
        except OSError as exc:
            raise RunError(f"cannot read {self.config_path}: {exc.strerror}") from None

    def append_metrics(self, stats: list[StepStats], extra: dict | None = None) -> None:
        if not stats:
            return
        lines = []
        for s in stats:
            record = s.to_record()
            if extra:
                record.update(extra)
            lines.append(json.dumps(record))
        with open(self.metrics_path, "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")

    def append_event(self, event: dict) -> None:
        with open(self.metrics_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(event) + "\n")

    def _records(self) -> list[tuple[str, dict]]:
        """(line, record) for every readable JSON object; a torn last line (crash mid-write) is skipped."""
        if not self.metrics_path.exists():
            return []
        out = []
        for line in self.metrics_path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                out.append((line, record))
        return out

    def read_events(self, event: str) -> list[dict]:
        """Records of one kind written with append_event (for example the "modes" metrics)."""
        return [r for _, r in self._records() if r.get("event") == event]

    def read_metrics(self) -> list[StepStats]:
        """Logged steps in order."""
        return [StepStats.from_record(r) for _, r in self._records()
                if "loss_d" in r and "step" in r and "event" not in r]

    def truncate_metrics(self, last_step: int) -> None:
        """Drops records past last_step, so a resumed run does not log the same steps twice."""
        if not self.metrics_path.exists():
            return
        kept = [line for line, r in self._records() if int(r.get("step", 0)) <= last_step]
        text = "\n".join(kept) + ("\n" if kept else "")
        atomic_write(self.metrics_path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))

    def sample_path(self, step: int) -> Path:
        return self.samples_dir / f"step_{step:06d}.png"

    def save_samples(self, step: int, picture: np.ndarray) -> Path:
        from ganstudio.core.imaging import save_png

        return save_png(picture, self.sample_path(step))

    def sample_files(self) -> list[tuple[int, Path]]:
        if not self.samples_dir.is_dir():
            return []
        found = []
        for p in self.samples_dir.iterdir():
            m = _SAMPLE_RE.search(p.name)
            if m:
                found.append((int(m.group(1)), p))
        return sorted(found)

    @property
    def best_checkpoint(self) -> Path:
        return self.checkpoints_dir / "best.pt"

    def step_checkpoint(self, step: int) -> Path:
        return self.checkpoints_dir / f"step_{step:06d}.pt"
