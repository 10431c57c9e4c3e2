import gc
import sys

from PySide6.QtCore import QObject, Signal


class Emitter(QObject):
    changed = Signal(object)


def test_signal_emit_keeps_reference_counts(qtbot):
    """PySide6 6.12.0 loses a reference to True per emit(); on Python 3.11 a long run then aborts the app."""
    emitter = Emitter()
    received = []
    emitter.changed.connect(received.append)
    gc.collect()
    before_true, before_none = sys.getrefcount(True), sys.getrefcount(None)
    for i in range(5000):
        emitter.changed.emit(i)
    gc.collect()
    assert len(received) == 5000
    assert sys.getrefcount(True) >= before_true - 50
    assert sys.getrefcount(None) >= before_none - 50
