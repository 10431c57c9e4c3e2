"""Which devices this machine has, listed on a pool thread (a superqt worker): listing needs torch,
which takes over a second to import, and the window is painted before it."""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QObject, Signal


def _list_devices() -> list[tuple[str, str]]:
    from ganstudio.core.device import available_devices

    return available_devices()


def _warm_engine() -> None:
    # only a head start: a run imports torch itself, on its own thread, and reports what fails there
    with contextlib.suppress(Exception):
        from ganstudio.core.device import warm_engine

        warm_engine()


def warm_engine_soon() -> None:
    """As soon as the views are built, on Qt's pool (before superqt loads for the device list): importing
    torch and building the first optimizer (it imports torch._dynamo) take seconds, which Start -> first
    step should not wait for. Started earlier, beside the views' build, it delayed Start by seconds."""
    from PySide6.QtCore import QThreadPool

    QThreadPool.globalInstance().start(_warm_engine)


class DeviceProbe(QObject):
    """A child of the window: the worker's answer is relayed signal to signal, so Qt drops it when the
    window has gone meanwhile (a plain callable would still be called, on deleted widgets)."""

    found = Signal(object)  # [(config value, label), ...]
    _failed = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._failed.connect(self._raise)

    def start(self) -> None:
        """Called once the window has painted: superqt (through qtpy) costs a quarter of a second to import."""
        from superqt.utils import create_worker

        worker = create_worker(_list_devices, _start_thread=False, _ignore_errors=True)
        # a signal connected to a signal re-emits it (Qt's docs); PySide6's stubs take only callables there
        worker.returned.connect(self.found)  # type: ignore[arg-type]
        worker.errored.connect(self._failed)  # type: ignore[arg-type]
        worker.start()

    def _raise(self, error: Exception) -> None:
        raise error  # to the window's error hook
