"""A semi-supervised checkpoint's D as an image classifier, for `ganstudio classify`, `eval --classifier` and
the window's "drop an image here"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ganstudio.core.checkpoint import CheckpointError, load_checkpoint, load_module_state
from ganstudio.core.config import ConfigError, DataConfig, RunConfig, saved_config
from ganstudio.core.data import load_images
from ganstudio.core.data.errors import DataError
from ganstudio.core.data.images import LoadedImages, fit_images
from ganstudio.core.models import build_models
from ganstudio.core.run_data import names_the_runs_data
from ganstudio.core.semi.data import (
    held_out_split,
    labelled_part,
    labelled_subset,
    seen_in_training,
    split_digest,
)
from ganstudio.core.semi.image_inputs import ImageInputs, read_image_inputs
from ganstudio.core.semi.report import ClassifierReport
from ganstudio.core.semi.scoring import predict, score_classifier
from ganstudio.core.semi.stopped import Stopped
from ganstudio.core.semi.trainer import CLASSIFIER_CLASSES, SPLIT_DIGEST
from ganstudio.core.wording import first_named

MAX_CLASSIFIED = 1_000_000  # images in one call; more is a mistake, not a batch
CHUNK_PIXELS = 1 << 24  # pixels resized at once: 64 MB as floats


class ImageClassifier:
    def __init__(self, D: nn.Module, config: RunConfig, class_names: tuple[str, ...], drawn_split: str | None = None):
        """drawn_split: the digest of the labelled and held-out images the run drew (None: a checkpoint before it)."""
        self.D = D.eval()
        self.config = config
        self.class_names = class_names
        self.drawn_split = drawn_split

    def read_inputs(self, path: str | Path, should_stop: Callable[[], bool] = lambda: False) -> ImageInputs:
        """The images of a file or folder, pictures read as this model's training read them."""
        return read_image_inputs(path, self.config.data.image_size, self.config.data.channels, should_stop)

    def probabilities(self, images: np.ndarray, should_stop: Callable[[], bool] = lambda: False) -> np.ndarray:
        """uint8 (N, C, H, W) images of any size, C 1 or 3 -> float32 (N, K) class probabilities, rows summing
        to 1 over the K real classes. Images are resized and given channels as the training data was (fit_images)."""
        images = np.asarray(images)
        if (
            images.dtype != np.uint8
            or images.ndim != 4
            or images.shape[1] not in (1, 3)
            or not 0 < len(images) <= MAX_CLASSIFIED
        ):
            raise ValueError(
                f"expected uint8 images (N, 1 or 3, H, W) with 1 to {MAX_CLASSIFIED:,} images, "
                f"got {images.dtype} {images.shape}"
            )
        d = self.config.data
        chunk = max(1, CHUNK_PIXELS // int(np.prod(images.shape[1:])))
        parts = []
        for start in range(0, len(images), chunk):  # resized a chunk at a time: float copies of all would not fit
            if should_stop():
                raise Stopped(f"stopped after {start:,} of {len(images):,} images")
            fitted = fit_images(images[start : start + chunk], d.image_size, d.channels)
            parts.append(torch.softmax(predict(self.D, fitted, torch.device("cpu")), dim=1))
        probabilities: np.ndarray = torch.cat(parts).numpy().astype(np.float32)
        return probabilities

    def held_out_report(self, data: DataConfig | None = None) -> ClassifierReport:
        """Accuracy on the held-out split of the run's data, or of `data` (which must be on this machine).
        A checkpoint from elsewhere must not choose a folder to read: callers that loaded one pass the data
        real_data_for chose."""
        scored = self.config.copy()
        scored.data = data or scored.data
        loaded = load_images(scored.data, download=False)
        if loaded.labels is None:
            raise DataError(f"no labels to score the classifier against: {loaded.unlabelled_reason}")
        train, held_out, split = held_out_split(loaded, scored.data)
        if held_out.class_names != self.class_names:
            raise CheckpointError(
                f"the checkpoint's classes ({first_named(list(self.class_names), 4)}) are not its data's "
                f"({first_named(list(held_out.class_names), 4)})"
            )
        assert held_out.labels is not None
        images, labels = held_out.images, held_out.labels
        d = self.config.data
        if not names_the_runs_data(scored.data, self.config.data):
            seen = seen_in_training(self.config, images)  # another set's split may hold this run's images
            if seen.all():
                raise CheckpointError(f"every image of {split} is among the run's training images: none is held out")
            if seen.any():
                images, labels = images[~seen], labels[~seen]
                split = f"{split}, less the {int(seen.sum()):,} the run trained on: {len(labels):,} images"
        fitted = fit_images(images, d.image_size, d.channels)
        if self.drawn_split is not None and names_the_runs_data(scored.data, self.config.data):
            self._check_split(train, scored, fitted, labels)
        return score_classifier(self.D, fitted, labels, self.class_names, split, torch.device("cpu"))

    def _check_split(
        self, train: LoadedImages, config: RunConfig, held_out_images: torch.Tensor, held_out_labels: np.ndarray
    ) -> None:
        """The run's own data, split again as the run split it, must give its labelled and held-out images (the
        held-out part as this split fitted them): one image added to a folder draws both anew (`train --resume`
        refuses it), and the new held-out part may hold images the run trained on."""
        assert train.labels is not None
        try:
            subset = labelled_subset(
                train.labels, config.train.labelled_per_class, config.train.seed, train.class_names
            )
        except DataError:  # too few images of a class left for the labelled subset
            drawn = None
        else:
            labelled = labelled_part(train, subset, config.data)
            drawn = split_digest(*labelled, held_out_images, np.asarray(held_out_labels, dtype=np.int64))
        if drawn != self.drawn_split:
            raise CheckpointError(
                "the run's data has changed since this checkpoint: its held-out images are not the ones it was "
                "trained beside, and may include images it trained on; score it on other data with --dataset "
                "and --data-path"
            )


def load_classifier(checkpoint: str | Path) -> ImageClassifier:
    """Raises CheckpointError (one line) for a file that is not a semi-supervised GAN Studio checkpoint."""
    path = Path(checkpoint)
    state = load_checkpoint(path, map_location="cpu")
    try:
        config = saved_config(state["config"])
    except ConfigError as exc:
        raise CheckpointError(f"{path}: its config is not usable: {exc}") from None
    names = state.get(CLASSIFIER_CLASSES)
    if not config.train.labelled_per_class:
        raise CheckpointError(
            f"{path} is not a semi-supervised checkpoint (train.labelled_per_class is 0): its D is no classifier"
        )
    if not isinstance(names, list) or not names:
        raise CheckpointError(
            f"{path} names no classes for its D (a live snapshot, or not a checkpoint the trainer saved): "
            "give checkpoints/latest.pt or another saved checkpoint"
        )
    if not all(isinstance(n, str) and 0 < len(n) <= 200 and n.isprintable() for n in names) or len(names) > 1000:
        raise CheckpointError(f"{path}: its classifier's class names are not a list of short names")
    if "discriminator" not in state:
        raise CheckpointError(f"{path} holds only a generator (an exported one?): no classifier")
    from ganstudio.core.footprint import check_footprint

    try:  # before the networks are made: a file of a few KB may name a model of billions of weights
        check_footprint(config, torch.device("cpu"), training=False)
    except ConfigError as exc:
        raise CheckpointError(f"{path}: its model is too big: {exc}") from None
    with torch.random.fork_rng(devices=[]):
        _, D = build_models(config, class_logits=len(names))
    load_module_state(D, state["discriminator"], "discriminator")
    if not all(torch.isfinite(value).all() for value in D.state_dict().values() if value.is_floating_point()):
        raise CheckpointError(f"{path}: its D's weights are not all finite numbers (NaN or Inf); it cannot classify")
    digest = state.get(SPLIT_DIGEST)
    return ImageClassifier(D, config, tuple(names), digest if isinstance(digest, str) else None)
