import gc

import pytest
from PySide6.QtCore import QEvent, QSettings, Qt, QThreadPool
from PySide6.QtWidgets import QApplication

from ganstudio.gui.main_window import MainWindow
from ganstudio.gui.settings import AppSettings
from tests.conftest import tiny_image_config


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test, so a fixture's teardown can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def app_settings(tmp_path):
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    settings.runs_dir = str(tmp_path / "runs")
    return settings


def top_level_widgets() -> list:
    """Python's cyclic collector, run while shiboken wraps Qt's list, could delete a parentless popup the
    list still names (pyqtgraph's menus die with their plots' Python objects): the suite once crashed
    in this call. Held off meanwhile, it cannot take anything in the list away under it."""
    gc.disable()
    try:
        return QApplication.topLevelWidgets()
    finally:
        gc.enable()


@pytest.fixture
def make_window(qtbot, app_settings, request):
    """Creates main windows that are always stopped, closed and deleted at teardown, so no thread outlives
    a test; then fails the test if any top-level widget it made is still alive (napari's make_napari_viewer
    does the same): a dialog or window nobody parents or deletes is a leak in the app too."""
    before = set(top_level_widgets())
    windows = []

    def make(config=None, settings=None, restored=False):
        """restored: keep the config the window restored from settings instead of setting one."""
        window = MainWindow(settings or app_settings)
        qtbot.addWidget(window)
        if not restored:
            window.form.set_config(config or tiny_image_config(steps=40))
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.controller.stop_and_wait(5000)
        window.close()
        assert not window.controller.running
        window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    call = getattr(request.node, "report_call", None)
    if call is not None and call.passed:
        # Popups are left out: pyqtgraph's context menus (and their combo boxes' lists) have no parent
        # and live as long as Python keeps their plots, which is its design, not a leak of ours.
        leaked = [w for w in top_level_widgets() if w not in before and w.windowType() != Qt.WindowType.Popup]
        assert not leaked, f"top-level widgets outlived the test: {leaked}"
    assert QThreadPool.globalInstance().waitForDone(30000), "a background worker outlived its test"


def wait_finished(qtbot, window, timeout=60000):
    with qtbot.waitSignal(window.controller.finished, timeout=timeout) as blocker:
        pass
    return blocker.args[0]


def draws_with_points(curve) -> list[int]:
    """A list that gains an item each time curve is drawn with points in it (emptying it draws too)."""
    drawn: list[int] = []
    curve.sigPlotChanged.connect(lambda *_: drawn.extend([1] if curve.getData()[0] is not None else []))
    return drawn


def tab_stops(window, start, limit=300):
    """The widgets Tab visits from start, in order, until it comes round again."""
    start.setFocus()
    QApplication.processEvents()
    stops = []
    for _ in range(limit):
        window.focusNextChild()
        QApplication.processEvents()
        focused = QApplication.focusWidget()
        if focused is start or focused in stops:
            break
        stops.append(focused)
    return stops
