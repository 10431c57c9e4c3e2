"""Starting the desktop app: QApplication, the main window, a clean exit code."""

from __future__ import annotations

import sys
from typing import cast

POOL_WAIT_MS = 10000


def run_app(argv: list[str] | None = None, watch: str | None = None) -> int:
    """watch: a run folder that another process trains, followed from the start (`ganstudio watch`)."""
    try:
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:
        print(
            f"ganstudio: error: the window needs PySide6 ({exc}); headless commands still work: ganstudio --help",
            file=sys.stderr,
        )
        return 2
    # instance(): a QApplication, made here or by the caller (a test's qtbot); its stub says QCoreApplication
    app = cast(QApplication, QApplication.instance() or QApplication(argv if argv is not None else sys.argv))
    app.setApplicationName("GAN Studio")
    app.setOrganizationName("GAN Studio")
    app.setApplicationVersion(__import__("ganstudio").__version__)
    from importlib import resources

    from PySide6.QtGui import QIcon

    from ganstudio.core.paths import bundled
    from ganstudio.gui.main_window import MainWindow

    with resources.as_file(bundled("icons/ganstudio.svg")) as icon:
        app.setWindowIcon(QIcon(str(icon)))

    from ganstudio.gui.errors import ErrorReporter

    # Painted with plain Qt first, the plots and the form built once the event loop runs; watching a run
    # needs the views at once
    window = MainWindow(deferred=watch is None)
    ErrorReporter(window.errors.show_unexpected, window).install()
    window.show()
    if watch is not None:
        window.files.watch_run(watch)
    _close_on_signals(window)
    code = app.exec()
    from PySide6.QtCore import QThreadPool

    # the superqt workers (a direction search, the device probe) end before Python tears down what they use
    QThreadPool.globalInstance().waitForDone(POOL_WAIT_MS)
    return code


def _close_on_signals(window) -> None:
    """Ctrl-C in the terminal or a polite kill closes the window the normal way (saving a running run)."""
    import signal

    from PySide6.QtCore import QTimer

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: window.close())
    heartbeat = QTimer(window)  # Python runs signal handlers only when the interpreter gets control
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(250)
