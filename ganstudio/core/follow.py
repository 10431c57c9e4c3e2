"""Following a file another process appends to: only the new bytes, and nothing when nothing changed.

A watcher calls read() a few times a second for as long as a run lasts, so the quiet case is one
lstat(). A file replaced under the same name (a rewind or a resume rewrites metrics.jsonl through a
rename) or shorter than what was read starts again from its first byte, and says so. What is read is
the run's own file: a link is not followed, and a pipe put there in its place is refused, never waited on
(it froze the window), as every run file is read (core/run_file.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganstudio.core.run_file import opened_run_file, read_at
from ganstudio.core.runlog import MAX_RECORD_BYTES, parse_record

if TYPE_CHECKING:
    from ganstudio.core.events import Remedy

MAX_READ_BYTES = MAX_RECORD_BYTES  # per read: a long run's history arrives over a few ticks, not in one stall


class LineFollower:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.offset = 0
        self._identity: tuple[int, int] | None = None

    def read(self) -> tuple[bool, list[str]]:
        """(whether the file started over, the complete lines appended since the last read)."""
        try:
            st = os.lstat(self.path)
            if (st.st_dev, st.st_ino) == self._identity and st.st_size == self.offset:
                return False, []
            with opened_run_file(self.path) as fd:
                st = os.fstat(fd)  # of the file read, whatever was swapped in since the lstat
                identity = (st.st_dev, st.st_ino)
                restarted = self._identity is not None and (identity != self._identity or st.st_size < self.offset)
                offset = 0 if restarted else self.offset
                chunk = read_at(fd, min(st.st_size - offset, MAX_READ_BYTES), offset)
        except OSError:
            return False, []
        self._identity, self.offset = identity, offset
        end = chunk.rfind(b"\n") + 1  # an unfinished last line is read when its newline arrives
        if end == 0 and len(chunk) == MAX_READ_BYTES:
            end = len(chunk)  # no newline in 8 MB: not a record of ours, and it must not block the rest
        self.offset += end
        return restarted, chunk[:end].decode("utf-8", errors="replace").splitlines()


class MetricsFollower(LineFollower):
    def records(self) -> tuple[bool, list[dict[str, Any]]]:
        """(whether to start the picture again, the well-formed new records in order)."""
        restarted, lines = self.read()
        return restarted, [r for r in map(parse_record, lines) if r is not None]


def remedies_from_record(record: dict[str, Any]) -> tuple[Remedy, ...]:
    """The remedies a FolderBridge wrote beside an alarm ("event": "remedies"); malformed ones are left
    out, and a click on one only writes a command (checked again on its way) or one of health's own setup
    changes: a setup change the file made up could point the next run at any dataset or file."""
    from ganstudio.core.events import Remedy
    from ganstudio.core.health import NEXT_RUN_REMEDIES

    known_setups = [remedy.config for remedy in NEXT_RUN_REMEDIES]
    listed = record.get("remedies")
    out = []
    for raw in listed if isinstance(listed, list) else []:
        if (
            isinstance(raw, dict)
            and isinstance(raw.get("label"), str)
            and isinstance(raw.get("live", {}), dict)
            and isinstance(raw.get("config", {}), dict)
            and (not raw.get("config") or raw["config"] in known_setups)
        ):
            out.append(
                Remedy(
                    raw["label"][:80], dict(raw.get("live", {})), dict(raw.get("config", {})), raw.get("rewind") is True
                )
            )
    return tuple(out[:3])
