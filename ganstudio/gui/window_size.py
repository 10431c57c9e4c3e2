"""Where the window opens the first time, before it has a saved geometry of its own."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize

PREFERRED = QSize(1280, 800)  # the size every panel is laid out for (tests/gui/test_layout.py)
SCREEN_SHARE = 0.85  # of a larger screen: room to grow the sample grid and plots, the desktop still visible
SMALLEST = QSize(1024, 640)  # below it the plots are squeezed flat and the progress text wraps


def first_launch_geometry(available: QRect) -> QRect:
    """1280x800 or SCREEN_SHARE of a larger screen, never more than the screen, centred on it. A fixed
    1280x800 ran off the bottom of a 1366x768 laptop's screen and left most of a large one empty."""
    width = min(available.width(), max(PREFERRED.width(), round(SCREEN_SHARE * available.width())))
    height = min(available.height(), max(PREFERRED.height(), round(SCREEN_SHARE * available.height())))
    geometry = QRect(0, 0, width, height)
    geometry.moveCenter(available.center())
    return geometry


def smallest_window(available: QRect) -> QSize:
    """SMALLEST, or the whole screen where the screen is smaller: the window may not be shrunk so far that the
    sample grid vanishes, and must still fit a small screen."""
    return SMALLEST.boundedTo(available.size())
