"""The engine's errors that mean a bad input (a config, a data file, a checkpoint, a run folder), not a
bug: the command line prints them in one line and the window shows them without a traceback."""

from __future__ import annotations

import errno


def user_errors() -> tuple[type[BaseException], ...]:
    from ganstudio.core.checkpoint import CheckpointError
    from ganstudio.core.config import ConfigError
    from ganstudio.core.data import DataError
    from ganstudio.core.device import DeviceError
    from ganstudio.core.export import ExportError
    from ganstudio.core.quality.errors import QualityError
    from ganstudio.core.runlog import RunError

    return (ConfigError, DataError, DeviceError, CheckpointError, RunError, ExportError, QualityError)


def io_reason(exc: OSError) -> str:
    """A failed read or write in words: the file it was, and why (a full disk said as such)."""
    if exc.errno == errno.ENOSPC:
        return f"the disk is full (writing {exc.filename})" if exc.filename else "the disk is full"
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"


def not_writable(exc: OSError) -> bool:
    """A write refused by the folder itself (a read-only share, someone else's folder), not by a full disk or a
    passing fault: said as "cannot be written to", which trying again will not change."""
    return exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
