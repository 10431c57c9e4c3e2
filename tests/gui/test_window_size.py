"""Where the window opens before it has a geometry of its own: on the screen, whatever its size."""

import pytest
from PySide6.QtCore import QRect

from ganstudio.gui.window_size import PREFERRED, first_launch_geometry


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
