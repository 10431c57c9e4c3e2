"""What the app remembers between sessions (QSettings): folders, device, last config, geometry."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, QSettings

from ganstudio.core.config import ConfigError, RunConfig, parse_json, saved_config
from ganstudio.core.paths import default_runs_dir


class _Text:
    """A text setting under one QSettings key, with its default when none is stored."""

    def __init__(self, key: str, default: Callable[[], str]):
        self.key, self.default = key, default

    def __get__(self, settings: AppSettings, owner: type | None = None) -> str:
        return str(settings.q.value(self.key, self.default()))

    def __set__(self, settings: AppSettings, value: str) -> None:
        settings.q.setValue(self.key, value)


class AppSettings:
    runs_dir = _Text("paths/runs_dir", lambda: str(default_runs_dir()))
    last_browsed = _Text("paths/last_browsed", str)  # the folder holding the run folder last chosen ("": none yet)
    default_device = _Text("train/default_device", lambda: "auto")

    def __init__(self, qsettings: QSettings | None = None):
        self.q = qsettings if qsettings is not None else QSettings("GAN Studio", "ganstudio")

    def last_config(self) -> RunConfig | None:
        text = self.q.value("train/last_config")
        if not text:
            return None
        try:
            return saved_config(parse_json(str(text), "config"))  # as a run's: an older version's unused settings go
        except ConfigError:
            return None

    def set_last_config(self, config: RunConfig) -> None:
        self.q.setValue("train/last_config", config.to_json())

    def geometry(self) -> QByteArray | None:
        value = self.q.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    def window_state(self) -> QByteArray | None:
        value = self.q.value("window/state")
        return value if isinstance(value, QByteArray) else None

    def set_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.q.setValue("window/geometry", geometry)
        self.q.setValue("window/state", state)

    def sync(self) -> None:
        self.q.sync()
