"""Starting the desktop app: QApplication, the main window, a clean exit code."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import cast

POOL_WAIT_MS = 10000
# what PySide6's Qt libraries link against beyond a bare system (.ci/run installs the same)
QT_SYSTEM_PACKAGES = "libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0"
DISPLAY_VARIABLES = {"xcb": "DISPLAY", "wayland": "WAYLAND_DISPLAY", "wayland-egl": "WAYLAND_DISPLAY"}


def display_problem(env: Mapping[str, str] = os.environ, platform: str = sys.platform) -> str | None:
    """Why no window can open here, said before Qt is started: without a display Qt aborts the process
    (SIGABRT) with seven lines that blame a missing libxcb-cursor0 and suggest reinstalling."""
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return None  # Windows and macOS always have their own window system
    asked = [name.split(":")[0] for name in env.get("QT_QPA_PLATFORM", "").split(";") if name]
    candidates = asked or ["wayland", "xcb"]  # what Qt tries when nothing is asked
    if any(name not in DISPLAY_VARIABLES for name in candidates):
        return None  # offscreen, vnc, eglfs...: a platform that needs no display server
    if any(env.get(DISPLAY_VARIABLES[name]) for name in candidates):
        return None
    runtime = env.get("XDG_RUNTIME_DIR")
    if "wayland" in candidates and runtime and (Path(runtime) / "wayland-0").exists():
        return None  # Qt finds the default Wayland socket without WAYLAND_DISPLAY
    return (
        "no display to open the window on (DISPLAY is not set): run it in a desktop session, or over ssh "
        "with -X; headless, train with `ganstudio train` and watch its folder from a machine with a screen"
    )


def qt_import_problem(exc: ImportError) -> str:
    """Why PySide6 did not import, in words. On a minimal Linux (a container, a server image) PySide6 is
    installed but Qt's own libraries need system ones, and "the window needs PySide6" sent people to
    reinstall what they had."""
    if "cannot open shared object file" in str(exc):
        return (
            f"Qt cannot load a system library it needs ({exc}); on Debian/Ubuntu: apt-get install {QT_SYSTEM_PACKAGES} "
            "(README, Troubleshooting)"
        )
    return f"the window needs PySide6 ({exc})"


def run_app(argv: list[str] | None = None, watch: str | None = None) -> int:
    """watch: a run folder that another process trains, followed from the start (`ganstudio watch`)."""
    try:
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:
        print(
            f"ganstudio: error: {qt_import_problem(exc)}; headless commands still work: ganstudio --help",
            file=sys.stderr,
        )
        return 2
    problem = None if QApplication.instance() else display_problem()
    if problem is not None:
        print(f"ganstudio: error: {problem}", file=sys.stderr)
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
    """Ctrl-C in the terminal, a polite kill or the terminal closed (SIGHUP, which ended the window at once,
    mid-run, with no checkpoint) closes the window the normal way, saving a running run. A hangup that nohup
    ignores stays ignored."""
    import signal

    from PySide6.QtCore import QTimer

    from ganstudio.core.stop_signals import stop_signals

    for signum in stop_signals():
        signal.signal(signum, lambda *_: window.close_unattended())
    heartbeat = QTimer(window)  # Python runs signal handlers only when the interpreter gets control
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(250)
