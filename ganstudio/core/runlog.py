"""The run directory, GAN Studio's unit of persistence, shared by the CLI and the GUI.

config.json, metrics.jsonl (one JSON object per logged step), samples/step_000500.png,
checkpoints/latest.pt and checkpoints/step_001000.pt
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from ganstudio.core.atomic import (
    atomic_write,
    cannot_write_in,
    make_subfolder,
    remove_stale_partial_folders,
    remove_stale_temp_files,
)
from ganstudio.core.config import (
    MAX_CONFIG_BYTES,
    PRESET_NAME,
    ConfigError,
    RunConfig,
    check,
    config_json,
    parse_json,
    saved_config,
)
from ganstudio.core.events import CLASS_SCORES, CLASS_TABLES, Event, StatsBatch, event_from_record
from ganstudio.core.run_file import NotARunFile, append_run_file, check_run_file, read_run_file, run_file_lines
from ganstudio.core.stats import STAT_FIELDS, StepStats

if TYPE_CHECKING:  # numpy is loaded after the window's first paint, which reads a run folder
    import numpy as np


class RunError(RuntimeError):
    pass


_SAMPLE_RE = re.compile(r"step_(\d+)\.png$")
CHECKPOINTS_FOLDER = "checkpoints"
# What a run beside its log keeps for a watching window, each replaced whole (atomic_write) as it goes
HEARTBEAT_FILE = "heartbeat.json"
LIVE_PICTURE_FILE = "live.png"
DISTRIBUTION_FILE = "distribution.npz"  # a toy run's distribution lab frame (core.distribution_frame)
SNAPSHOT_FILE = "snapshot.pt"
MAX_RECORD_BYTES = 8 << 20  # a 1,000-class confusion matrix is a few MB; a longer line is not a record of ours


def run_folder_of(checkpoint: str | Path) -> Path | None:
    """The run folder a checkpoint file sits in (RUN/checkpoints/NAME.pt, links followed), or None; whether
    RUN holds a config.json is the caller's question."""
    path = Path(checkpoint).resolve()
    return path.parent.parent if path.parent.name == CHECKPOINTS_FOLDER else None


def run_of_checkpoint(checkpoint: str | Path) -> RunDirectory | None:
    """The run a checkpoint belongs to: RUN/checkpoints/NAME.pt where RUN holds a config.json; else None."""
    folder = run_folder_of(checkpoint)
    run = RunDirectory(folder) if folder is not None else None
    return run if run is not None and run.config_path.is_file() else None


# The numbers each kind of metrics.jsonl record must carry to be shown; a record without them
# (hand-edited, or from a tampered file) is skipped like a torn line, never a crash.
EVENT_FIELDS = {
    "modes": ("modes", "modes_total", "high_quality", "js"),
    "quality": (
        "samples",
        "frechet",
        "kid",
        "kid_std",
        "precision",
        "recall",
        "density",
        "coverage",
        "memorisation_ratio",
        "memorised_fraction",
    ),
}


def is_step(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def is_number(value: object) -> TypeGuard[float]:
    """A finite JSON number (not a bool) that a float holds with room to spare."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e300


def _class_score_ok(key: str, value: object) -> bool:
    """An accuracy is a share in [0, 1]; a Fréchet distance any finite number (rounding can dip below 0)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return False
    return "accuracy" not in key or 0.0 <= value <= 1.0


def _class_scores_well_formed(record: dict[str, Any]) -> bool:
    """A conditional run's scores (events.CLASS_SCORES), absent or numbers; its per-class tables
    (events.CLASS_TABLES), absent or {class name: number}: the charts and tables format each as a number."""
    if not all(key not in record or _class_score_ok(key, record[key]) for key in CLASS_SCORES):
        return False
    for key in CLASS_TABLES:
        table = record.get(key, {})
        if not isinstance(table, dict) or not all(
            isinstance(name, str) and _class_score_ok(key, value) for name, value in table.items()
        ):
            return False
    return True


def _well_formed(record: dict[str, Any]) -> bool:
    """A record GAN Studio itself could have written: an integer step, and numbers where numbers go."""
    if not is_step(record.get("step")):
        return False
    event = record.get("event")
    if event is None:
        return (
            all(record.get(name) is None or is_number(record.get(name)) for name in STAT_FIELDS) and "loss_d" in record
        )
    if event == "change":
        return all(is_number(v) for k, v in record.items() if k not in ("step", "event"))
    if event == "quality" and not _class_scores_well_formed(record):
        return False
    return all(is_number(record.get(name)) for name in EVENT_FIELDS.get(event, ()))


def parse_record(line: str) -> dict[str, Any] | None:
    """One metrics.jsonl line as a record, or None for a torn, foreign or malformed one."""
    try:
        record = parse_json(line, "metrics")
    except ConfigError:
        return None
    return record if isinstance(record, dict) and _well_formed(record) else None


class RunDirectory:
    def __init__(self, path: str | Path, made: bool = False):
        self.path = Path(path)
        self.made = made  # by create() or at() just now: remove_if_empty may take it back

    @classmethod
    def create(cls, root: str | Path, name: str) -> RunDirectory:
        """A new, empty run folder under root named name-YYYYmmdd-HHMMSS (suffixed if taken)."""
        root = Path(root).expanduser()
        name = name if PRESET_NAME.fullmatch(name) else "run"
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base = f"{name}-{stamp}"
        for i in range(1000):
            path = root / (base if i == 0 else f"{base}-{i}")
            try:
                path.mkdir(parents=True, exist_ok=False)
                return cls(path, made=True)
            except FileExistsError:
                continue
            except OSError as exc:
                raise RunError(f"cannot create a run folder in {root}: {exc.strerror}") from None
        raise RunError(f"cannot find a free run folder name in {root}")

    @property
    def resume_command(self) -> str:
        """The command that carries the run on, quoted as a shell needs it: a folder with a space, pasted as
        printed, was two arguments."""
        return f"ganstudio train --resume {shlex.quote(str(self.path))}"

    @staticmethod
    def holds_a_run(path: str | Path) -> bool:
        """Whether a folder is a run's, whose top level is the run's own files: what a run's config.json says."""
        return RunDirectory(Path(path).expanduser()).config_path.exists()

    @classmethod
    def at(cls, path: str | Path) -> RunDirectory:
        """Uses path as the run folder (the CLI's --out): created if missing. An existing folder must hold no run
        and nothing of the user's, whose files a run would overwrite (live.png, samples/...); a watching window
        or a launcher may have left its command file and lock there before the training process starts."""
        from ganstudio.core.control import CONTROL_FILE
        from ganstudio.core.run_lock import LOCK_NAME

        path = Path(path).expanduser()
        if cls.holds_a_run(path):
            raise RunError(
                f"{path} already holds a run; continue it with {cls(path).resume_command} or choose another --out"
            )
        left_there = (CONTROL_FILE, LOCK_NAME, "lost+found")  # and hidden files: .DS_Store, a killed write's temp
        if path.is_dir() and any(e.name not in left_there and not e.name.startswith(".") for e in path.iterdir()):
            raise RunError(f"{path} is not empty: a run writes its own files there; choose a new or empty --out")
        if path.exists() and not path.is_dir():
            raise RunError(f"{path} is not a folder: a run writes a folder of its own; choose another --out")
        if path.is_symlink() and not path.exists():  # mkdir said "File exists" of a path that names nothing
            raise RunError(f"{path} is a link to {os.readlink(path)}, which does not exist; choose another --out")
        made = not path.is_dir()
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunError(f"cannot create {path}: {exc.strerror}") from None
        return cls(path, made=made)

    @classmethod
    def open(cls, path: str | Path) -> RunDirectory:
        """An existing run folder; what is wrong with any other path, said in words (an empty name would
        have meant the current folder)."""
        if not str(path).strip():
            raise RunError("no run folder given (the name is empty)")
        run = cls(Path(path).expanduser())
        if not run.path.exists():
            raise RunError(f"{run.path} does not exist: no GAN Studio run folder there")
        if not run.path.is_dir():
            raise RunError(f"{run.path} is a file, not a GAN Studio run folder")
        config = run.path / "config.json"
        if config.is_symlink():  # read_config says so too: said here, a dangling one was "no config.json"
            raise RunError(f"{config} is a link, not a file of the run's own; move it away and try again")
        if not config.is_file():
            if config.exists():  # a folder or pipe there is not a missing file
                raise RunError(f"{config} is not a regular file; move it away and try again")
            raise RunError(f"{run.path} is not a GAN Studio run folder (no config.json)")
        return run

    def check_own_folders(self) -> None:
        """Before a run writes or clears anything: samples/ and checkpoints/ must be this folder's own and
        writable, and the log a plain file. A link there would let a shared run folder decide what
        a restart deletes elsewhere, or where the log's appends land; a read-only folder would fail only at
        the first save, after the folder had been half-updated."""
        for folder in (self.samples_dir, self.checkpoints_dir):
            if folder.is_symlink() or (folder.exists() and folder.resolve() != self.path.resolve() / folder.name):
                raise RunError(
                    f"{folder} is a link (to {folder.resolve()}): a run's samples and checkpoints must be "
                    "folders of its own, since training writes and deletes in them"
                )
            if folder.exists() and not folder.is_dir():
                raise RunError(f"{folder} is a file where the run keeps a folder; move it away and try again")
            if folder.is_dir() and (reason := cannot_write_in(folder)) is not None:
                raise RunError(f"{folder} cannot be written to ({reason}); nothing was changed")
        for name in (HEARTBEAT_FILE, LIVE_PICTURE_FILE, DISTRIBUTION_FILE, SNAPSHOT_FILE):  # nothing replaces a folder
            if (self.path / name).is_dir() and not (self.path / name).is_symlink():
                raise RunError(
                    f"{self.path / name} is a folder where the run keeps a file; move it away and try again "
                    "(nothing was changed)"
                )
        try:  # config.json needs no check: it is read by read_run_file and replaced whole by atomic_write
            check_run_file(self.metrics_path)
        except NotARunFile as exc:
            raise RunError(
                f"{self.metrics_path} {exc.strerror}; move it away and try again (nothing was changed)"
            ) from None

    def remove_if_empty(self) -> None:
        """Undoes create()/at() when a run fails before writing anything; a folder that was there before
        (an empty --out the user made) stays."""
        if not self.made:
            return
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
        return self.path / CHECKPOINTS_FOLDER

    @property
    def latest_checkpoint(self) -> Path:
        return self.checkpoints_dir / "latest.pt"

    def remove_stale_temp_files(self) -> int:
        """Temp files that killed writers left in the folder, its checkpoints and samples, for the process that has
        just taken its lock: in checkpoints/ and samples/, which only that process writes, a half-saved checkpoint
        goes however fresh (a resume a moment after a kill -9 kept it for good); in the folder itself only old
        ones, since a watching window writes there too (its commands, a measured baseline, an image set)."""
        return (
            remove_stale_temp_files(self.path)
            + remove_stale_partial_folders(self.path)
            + sum(remove_stale_temp_files(folder, older_than=0) for folder in (self.checkpoints_dir, self.samples_dir))
        )

    def write_config(self, config: RunConfig) -> None:
        """Only a config that passes validation is written, so the folder can always be loaded again."""
        check(config)
        atomic_write(self.config_path, lambda tmp: Path(tmp).write_text(config.to_json(), encoding="utf-8"))

    def read_config(self) -> RunConfig:
        try:
            return saved_config(config_json(read_run_file(self.config_path, MAX_CONFIG_BYTES + 1), "the file"))
        except ConfigError as exc:
            raise RunError(f"{self.config_path}: {exc}") from None
        except OSError as exc:
            raise RunError(f"cannot read {self.config_path}: {exc.strerror}") from None

    def append_metrics(self, stats: list[StepStats], extra: dict[str, Any] | None = None) -> None:
        if not stats:
            return
        lines = []
        for s in stats:
            record = s.to_record()
            if extra:
                record.update(extra)
            lines.append(json.dumps(record))
        append_run_file(self.metrics_path, ("\n".join(lines) + "\n").encode("utf-8"))

    def append_event(self, event: dict[str, Any]) -> None:
        append_run_file(self.metrics_path, (json.dumps(event) + "\n").encode("utf-8"))

    def _records(self) -> list[tuple[str, dict[str, Any]]]:
        """(line, record) for every well-formed record; a torn last line (crash mid-write), bytes that are
        not UTF-8 and records with missing or non-numeric fields are skipped."""
        out = []
        try:
            for raw in run_file_lines(self.metrics_path, MAX_RECORD_BYTES):
                line = raw.decode("utf-8", errors="replace")
                if (record := parse_record(line)) is not None:
                    out.append((line, record))
        except FileNotFoundError:
            return []
        return out

    def read_events(self, event: str) -> list[dict[str, Any]]:
        """Records of one kind written with append_event (for example the "modes" metrics)."""
        return [r for _, r in self._records() if r.get("event") == event]

    def history(self) -> list[Event]:
        """The run's log as the events that wrote it, in order; consecutive stats lines come as one batch,
        and kinds this version does not know are left out."""
        out: list[Event] = []
        for _, record in self._records():
            try:
                event = event_from_record(record)
            except (KeyError, TypeError, ValueError):  # well-formed as a line, not as its kind (a foreign writer)
                continue
            if isinstance(event, StatsBatch) and out and isinstance(out[-1], StatsBatch):
                out[-1].stats.extend(event.stats)
            elif event is not None:
                out.append(event)
        return out

    def read_metrics(self) -> list[StepStats]:
        """Logged steps in order."""
        return [StepStats.from_record(r) for _, r in self._records() if "event" not in r]

    def truncate_metrics(self, last_step: int) -> int:
        """Drops records past last_step, so a resumed run does not log the same steps twice; returns how many
        steps past it had been logged (trained, never saved: a crash between two checkpoints loses them)."""
        if not self.metrics_path.exists():
            return 0
        records = self._records()
        kept = [line for line, r in records if r["step"] <= last_step]
        text = "\n".join(kept) + ("\n" if kept else "")
        atomic_write(self.metrics_path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
        return max([0, *(int(r["step"]) - last_step for _line, r in records)])

    def history_files(self) -> list[Path]:
        """What a restart deletes: metrics, sample grids and checkpoints. config.json stays (a restart
        trains it over)."""
        files = [self.metrics_path] if self.metrics_path.is_file() else []
        files += [path for _step, path in self.sample_files()]
        if self.checkpoints_dir.is_dir():
            files += sorted(self.checkpoints_dir.glob("*.pt"))
        return files

    def clear_history(self) -> None:
        for path in self.history_files():
            path.unlink(missing_ok=True)

    def sample_path(self, step: int) -> Path:
        return self.samples_dir / f"step_{step:06d}.png"

    def save_samples(self, step: int, picture: np.ndarray) -> Path:
        from ganstudio.core.imaging import save_png

        make_subfolder(self.samples_dir)
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
