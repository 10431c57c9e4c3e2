"""What a classifier scored on images it never trained on: the shape shared by the run's held-out checks,
the supervised baseline, `eval --classifier` and the window's Classifier tab.

Plain Python numbers only: it crosses threads to the window and is written to metrics.jsonl and
classifier_baseline.json as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy is loaded after the window's first paint, which reads these from a run's log
    import numpy as np

BASELINE_FILE = "classifier_baseline.json"  # in the run folder: the supervised baseline's report, once measured


def gain_points(accuracy: float, baseline: float) -> float:
    """The gain over the baseline in points, between the two accuracies as they are shown (one decimal, in %): taken
    from the unrounded values, it could differ from the difference of the figures beside it."""
    return round(100 * accuracy, 1) - round(100 * baseline, 1)


@dataclass(frozen=True)
class ClassifierReport:
    accuracy: float  # share of the images whose most probable class is their label, in [0, 1]
    per_class: dict[str, float]  # class name -> accuracy on that class's images
    confusion: tuple[tuple[int, ...], ...]  # rows: true class, columns: predicted class (class order)
    split: str  # which images, in words, e.g. "held-out 2,000 of the bundled 10,000 (fixed 8,000 / 2,000 split)"

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(self.per_class)

    @classmethod
    def from_predictions(
        cls, predicted: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...], split: str
    ) -> ClassifierReport:
        """The report for predicted class indices against true ones (both (N,) integers)."""
        import numpy as np

        k = len(class_names)
        predicted = np.asarray(predicted, dtype=np.int64).reshape(-1)
        labels = np.asarray(labels, dtype=np.int64).reshape(-1)
        if predicted.shape != labels.shape or not len(labels):
            raise ValueError("a classifier report needs one prediction for each of at least one label")
        confusion = np.zeros((k, k), dtype=np.int64)
        np.add.at(confusion, (labels, predicted), 1)
        totals = confusion.sum(axis=1)
        per_class = {
            name: float(confusion[i, i] / totals[i]) if totals[i] else float("nan")
            for i, name in enumerate(class_names)
        }
        return cls(
            accuracy=float(np.trace(confusion) / len(labels)),
            per_class=per_class,
            confusion=tuple(tuple(int(v) for v in row) for row in confusion),
            split=split,
        )

    def to_record(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "per_class": dict(self.per_class),
            "confusion": [list(row) for row in self.confusion],
            "split": self.split,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ClassifierReport:
        """Raises ValueError (KeyError, TypeError) on a record that is not one: callers turn it into one line."""
        per_class = {str(k): float(v) for k, v in dict(record["per_class"]).items()}
        confusion = tuple(tuple(int(v) for v in row) for row in record["confusion"])
        if len(confusion) != len(per_class) or any(len(row) != len(per_class) for row in confusion):
            raise ValueError("the confusion matrix does not match the classes")
        return cls(float(record["accuracy"]), per_class, confusion, str(record["split"]))
