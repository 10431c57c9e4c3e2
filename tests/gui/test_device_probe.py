"""The window lists devices on a superqt pool worker, after its first paint, and a window that is
gone by the time the list arrives is left alone."""

import threading

import pytest
import shiboken6
import torch
from PySide6.QtCore import QCoreApplication, QThreadPool

from ganstudio.core.fast_path import choose_threads, serial_torch_here
from ganstudio.gui.device_probe import DeviceProbe


def test_the_probe_fills_the_device_list_and_the_status_line(qtbot, make_window):
    w = make_window()
    qtbot.waitUntil(lambda: "available" in w.device_label.text(), timeout=30000)
    combo = w.form.widget("train.device")
    assert [combo.itemData(i) for i in range(combo.count())][:2] == ["auto", "cpu"]


@pytest.mark.skipif(
    torch.cuda.is_available() or choose_threads(0, gui=True) == 1, reason="a CPU on which a run gets 2+ threads"
)
def test_the_status_line_counts_the_threads_a_run_gets_not_the_gui_threads_own(qtbot, make_window, restore_threads):
    serial_torch_here()  # as the explorer leaves the GUI thread once it has rendered
    w = make_window()
    qtbot.waitUntil(lambda: "available" in w.device_label.text(), timeout=30000)
    assert f"Device: CPU ({choose_threads(0, gui=True)} threads) available" in w.device_label.text()


def test_the_list_is_found_off_the_gui_thread_and_arrives_on_it(qtbot):
    probe = DeviceProbe()
    threads = []
    probe.found.connect(lambda devices: threads.append(threading.current_thread()))
    with qtbot.waitSignal(probe.found, timeout=30000) as found:
        probe.start()
    assert ("cpu", "CPU") in found.args[0] and threads == [threading.main_thread()]


def test_a_probe_deleted_before_its_answer_drops_it(qtbot):
    """A window closed while torch loads: the answer must not reach its deleted widgets."""
    answers = []
    probe = DeviceProbe()
    probe.found.connect(answers.append)
    probe.start()
    shiboken6.delete(probe)
    assert QThreadPool.globalInstance().waitForDone(30000)
    QCoreApplication.processEvents()  # the answer, posted before the worker ended, is delivered or dropped here
    assert answers == []
