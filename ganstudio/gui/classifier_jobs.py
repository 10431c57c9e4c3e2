"""The Classifier tab's background work on pool threads (superqt workers): classifying image files with
a run's checkpoint, saving what that gave, and measuring the supervised baseline. Each answers with one
line of text when it fails: the tab shows it, no dialog. torch is imported on the worker's thread only."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot
from superqt.utils import create_worker

from ganstudio.core.user_errors import io_reason

if TYPE_CHECKING:
    from ganstudio.core.semi.baseline import MeasuredBaseline


@dataclass(frozen=True)
class ClassifiedImages:
    """What one drop or file choice gave: the probabilities of each class for each image read."""

    source: str  # the file or folder asked for
    checkpoint: str
    names: list[str]  # one per image
    class_names: tuple[str, ...]
    probabilities: np.ndarray  # float32 (N, K)
    skipped: list[str]  # files that were not readable images
    training_note: str  # how many of the images are the run's training images, and its labelled ones ("": none)


def one_line(error: BaseException) -> str:
    """An exception as the one line the tab shows."""
    if isinstance(error, OSError):  # the file and why, not "[Errno 13]"
        return io_reason(error)
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _classify(checkpoint: str, source: str, should_stop: Callable[[], bool]) -> ClassifiedImages:
    from ganstudio.core.semi.classifier import load_classifier
    from ganstudio.core.semi.data import training_note

    classifier = load_classifier(checkpoint)
    inputs = classifier.read_inputs(source, should_stop)  # raises, in one line, when no image is readable
    probabilities = np.array(classifier.probabilities(inputs.images, should_stop), dtype=np.float32)  # a copy crosses
    note = training_note(classifier.config, inputs.images)
    return ClassifiedImages(
        source, checkpoint, list(inputs.names), tuple(classifier.class_names), probabilities, inputs.skipped, note
    )


def _save(path: str, result: ClassifiedImages) -> str:
    from ganstudio.core.semi.predictions import write_predictions

    write_predictions(path, result.names, result.class_names, result.probabilities)
    return path


def _measure(
    run_dir: str, steps: int | None, should_stop: Callable[[], bool], progress: Callable[[int, int], None]
) -> MeasuredBaseline:
    from ganstudio.core.semi.baseline import measure_run_baseline  # torch, on the worker's thread

    return measure_run_baseline(run_dir, should_stop, progress, steps)


def _on_all_cores(function: Callable[..., object], *args: object) -> object:
    """A pool thread may have been left single-threaded by an earlier job (serial_torch_here); a
    classifier's training and scoring want every core the machine's rule gives."""
    from ganstudio.core.fast_path import apply_threads

    apply_threads(0, gui=True)
    return function(*args)


class PoolJob(QObject):
    """One job at a time on a pool thread; the worker's answers go to this object's own slots, a connection
    Qt queues to the GUI thread and drops when the tab has gone meanwhile. cancel() stops it at its next
    check of should_stop, and nothing is written then."""

    done = Signal(object)  # what the job returned
    failed = Signal(str)  # one line
    cancelled = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.busy = False
        self._stop = threading.Event()

    def _new_stop(self) -> threading.Event:
        self._stop = threading.Event()
        return self._stop

    def cancel(self) -> None:
        self._stop.set()

    def _run(self, function: Callable[..., object], *args: object) -> None:
        self.busy = True
        worker = create_worker(_on_all_cores, function, *args, _start_thread=False, _ignore_errors=True)
        worker.returned.connect(self._on_returned)
        worker.errored.connect(self._on_errored)
        worker.start()

    @Slot(object)
    def _on_returned(self, result: object) -> None:
        self.busy = False
        self.done.emit(result)

    @Slot(object)
    def _on_errored(self, error: Exception) -> None:
        from ganstudio.core.semi.stopped import Stopped

        self.busy = False
        if isinstance(error, Stopped):
            self.cancelled.emit()
        else:
            self.failed.emit(one_line(error))


class ClassifyJob(PoolJob):
    """Classifies image files with a checkpoint; done carries ClassifiedImages."""

    def start(self, checkpoint: str, source: str) -> None:
        self._run(_classify, checkpoint, source, self._new_stop().is_set)


class SavePredictionsJob(PoolJob):
    """Writes what a classify job gave as the CSV `ganstudio classify --out` writes; done carries the path.
    A pool thread: the rows of a large .npy take seconds to format."""

    def start(self, path: str, result: ClassifiedImages) -> None:
        self._run(_save, path, result)


class BaselineJob(PoolJob):
    """Trains the supervised baseline of one run folder and writes it there (done carries its
    MeasuredBaseline)."""

    progressed = Signal(int, int)  # step, total

    def start(self, run_dir: str, steps: int | None) -> None:
        """steps: as many as the run's score the baseline is compared with has (None: the run's length)."""
        stop = self._new_stop()

        def progress(step: int, total: int) -> None:  # on the worker's thread: Qt queues it to the GUI's
            if stop.is_set():
                return
            try:
                self.progressed.emit(step, total)
            except RuntimeError:  # the tab was deleted while the baseline trained: nobody is left to show it
                stop.set()

        self._run(_measure, run_dir, steps, stop.is_set, progress)
