"""The engine's errors that mean a bad input (a config, a data file, a checkpoint, a run folder), not a
bug: the command line prints them in one line and the window shows them without a traceback."""

from __future__ import annotations


def user_errors() -> tuple[type[BaseException], ...]:
    from ganstudio.core.checkpoint import CheckpointError
    from ganstudio.core.config import ConfigError
    from ganstudio.core.data import DataError
    from ganstudio.core.device import DeviceError
    from ganstudio.core.export import ExportError
    from ganstudio.core.quality.errors import QualityError
    from ganstudio.core.runlog import RunError

    return (ConfigError, DataError, DeviceError, CheckpointError, RunError, ExportError, QualityError)
