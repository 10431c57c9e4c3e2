"""What the app remembers between sessions (QSettings): folders, device, last config, geometry."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

from ganstudio.core.config import ConfigError, RunConfig, check
from ganstudio.core.paths import default_runs_dir


class AppSettings:
    def __init__(self, qsettings: QSettings | None = None):
        self.q = qsettings if qsettings is not None else QSettings("GAN Studio", "ganstudio")

    @property
    def runs_dir(self) -> str:
        return str(self.q.value("paths/runs_dir", str(default_runs_dir())))

    @runs_dir.setter
    def runs_dir(self, value: str) -> None:
        self.q.setValue("paths/runs_dir", value)

    @property
    def last_browsed(self) -> str:
        """The folder holding the run folder last chosen in a dialog ("": none yet)."""
        return str(self.q.value("paths/last_browsed", ""))

    @last_browsed.setter
    def last_browsed(self, value: str) -> None:
        self.q.setValue("paths/last_browsed", value)

    @property
    def default_device(self) -> str:
        return str(self.q.value("train/default_device", "auto"))

    @default_device.setter
    def default_device(self, value: str) -> None:
        self.q.setValue("train/default_device", value)

    def last_config(self) -> RunConfig | None:
        text = self.q.value("train/last_config")
        if not text:
            return None
        try:
            return check(RunConfig.from_json(str(text)))
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
