"""Where the window opens before it has a geometry of its own: on the screen, whatever its size."""

import pytest
from PySide6.QtCore import QRect

from ganstudio.gui.window_size import PREFERRED, SMALLEST, first_launch_geometry, smallest_window


@pytest.mark.parametrize(
    ("available", "size"),
    [
        (QRect(0, 0, 1280, 800), (1280, 800)),  # the size the panels are laid out for
        (QRect(0, 0, 1920, 1048), (1632, 891)),  # a 1920x1080 desktop less its panel: most of it, not all
        (QRect(0, 28, 1366, 740), (1280, 740)),  # a laptop: 1280x800 would run off its bottom edge
        (QRect(1920, 0, 3840, 2160), (3264, 1836)),  # a second, 4K screen to the right
    ],
)
def test_the_first_window_fits_the_screen_and_sits_in_its_middle(available, size):
    geometry = first_launch_geometry(available)
    assert (geometry.width(), geometry.height()) == size
    assert available.contains(geometry)
    assert abs(geometry.center().x() - available.center().x()) <= 1
    assert abs(geometry.center().y() - available.center().y()) <= 1


def test_a_new_window_on_a_small_screen_is_no_larger_than_it_needs_to_be(make_window):
    """The offscreen test screen (800x800) is smaller than 1280x800: the window takes its height and no more
    width than its panels need (a fixed 1280x800 ran off a laptop's screen)."""
    window = make_window()
    screen = window.screen().availableGeometry()
    assert screen.width() < PREFERRED.width() and screen.height() <= PREFERRED.height()
    assert window.height() == screen.height()
    assert window.width() < PREFERRED.width()


def test_the_window_cannot_be_shrunk_until_its_panels_vanish(make_window):
    """Without a window manager (Xvfb) it could be dragged to 640x480, squeezing the sample grid to nothing,
    while its layout alone asked for 1117 px, more than a 1024 px screen; on the 800x800
    test screen the smallest is that screen's width."""
    window = make_window()
    window.resize(400, 300)
    screen = window.screen().availableGeometry()
    assert (window.width(), window.height()) == (min(SMALLEST.width(), screen.width()), SMALLEST.height())


@pytest.mark.parametrize(
    ("available", "smallest"),
    [(QRect(0, 0, 1920, 1048), (1024, 640)), (QRect(0, 0, 800, 480), (800, 480))],
)
def test_the_smallest_window_still_fits_a_small_screen(available, smallest):
    size = smallest_window(available)
    assert (size.width(), size.height()) == smallest


def test_every_tab_fits_the_smallest_window(make_window):
    """An explicit smallest size overrides what the layout asks for, so a panel that grew would be cut off
    rather than hold the window open: the explorer's buttons were, at 1024 px."""
    window = make_window()
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        needed = window.centralWidget().minimumSizeHint()
        assert needed.width() <= SMALLEST.width(), window.tabs.tabText(index)
