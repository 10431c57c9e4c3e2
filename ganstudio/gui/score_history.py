"""A run's scores read back from its log (a folder opened, or one read of a watched folder): each
score chart drawn once for all of them, as a run's live scores are drawn one by one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ganstudio.core.events import ClassifierScored, Event, ModesMeasured, QualityScored

if TYPE_CHECKING:
    from ganstudio.gui.main_window import MainWindow

SCORE_KINDS = ("quality", "classifier", "modes")  # the metrics.jsonl events draw_scores takes


def draw_scores(window: MainWindow, events: Iterable[Event]) -> list[Event]:
    """Draws the quality, held-out and modes scores among events, each chart once (drawn a score at a time,
    a long run's log froze the window for seconds); returns the other events, in order."""
    quality, scored, measured, rest = [], [], [], []
    for event in events:
        match event:
            case QualityScored(step=step, scores=scores, best=best):
                quality.append((step, scores, best))
            case ClassifierScored(step=step, report=report):
                scored.append((step, report))
            case ModesMeasured(step=step, modes=modes):
                measured.append((step, modes))
            case _:
                rest.append(event)
    window.plots.quality.add_all(quality)
    window.classifier.add_all(scored)
    window.distribution.add_all_modes(measured)
    return rest
