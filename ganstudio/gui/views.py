"""The window's heavy views, built once the event loop runs: importing pyqtgraph and superqt takes
most of a second, which the first paint of the window does not wait for (MainWindow(deferred=True))."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt

from ganstudio.gui.widgets.classifier_view import ClassifierView
from ganstudio.gui.widgets.distribution_view import DistributionView
from ganstudio.gui.widgets.explorer import ExplorerPanel
from ganstudio.gui.widgets.metric_plots import MetricPlots
from ganstudio.gui.widgets.sample_view import SampleView
from ganstudio.gui.widgets.setup_form import SetupForm
from ganstudio.gui.widgets.vertical_scroll_area import VerticalScrollArea


@dataclass
class Views:
    form: SetupForm
    setup_scroll: VerticalScrollArea
    plots: MetricPlots
    samples: SampleView
    explorer: ExplorerPanel
    distribution: DistributionView
    classifier: ClassifierView


def build_views(fashion_full_found: bool) -> Views:
    form = SetupForm(fashion_full_found=fashion_full_found)
    scroll = VerticalScrollArea(form)
    scroll.setObjectName("setupScroll")
    views = Views(form, scroll, MetricPlots(), SampleView(), ExplorerPanel(), DistributionView(), ClassifierView())
    _no_tab_stops(views)
    return views


def _no_tab_stops(views: Views) -> None:
    """The plots and the form's scroll area took Tab stops that showed no focus and did nothing: Tab went
    through them as if it were stuck. A click still focuses them (a plot's keys, the form's scrolling)."""
    import pyqtgraph as pg

    for view in (views.plots, views.samples, views.explorer, views.distribution, views.classifier):
        for plot in view.findChildren(pg.GraphicsView):
            plot.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
    views.setup_scroll.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
