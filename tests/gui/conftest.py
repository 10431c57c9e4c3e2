import pytest
from PySide6.QtCore import QSettings, QThreadPool

from ganstudio.gui.main_window import MainWindow
from ganstudio.gui.settings import AppSettings
from tests.conftest import tiny_image_config


@pytest.fixture
def app_settings(tmp_path):
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    settings.runs_dir = str(tmp_path / "runs")
    return settings


@pytest.fixture
def make_window(qtbot, app_settings):
    """Creates main windows that are always stopped and closed at teardown, so no thread outlives a test."""
    windows = []

    def make(config=None, settings=None):
        window = MainWindow(settings or app_settings)
        qtbot.addWidget(window)
        window.form.set_config(config or tiny_image_config(steps=40))
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.controller.stop_and_wait(5000)
        window.close()
        assert not window.controller.running
    assert QThreadPool.globalInstance().waitForDone(30000), "a background worker outlived its test"


def wait_finished(qtbot, window, timeout=60000):
    with qtbot.waitSignal(window.controller.finished, timeout=timeout) as blocker:
        pass
    return blocker.args[0]
