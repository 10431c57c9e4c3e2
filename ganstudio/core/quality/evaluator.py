"""Scores a generator against a dataset in the shipped feature space.

The real side (features of a fixed random subset, and of the images G trained on as the memorisation
reference) is computed once per evaluator, so an evaluation during training only generates M images
and passes them through the feature network.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ganstudio.core.config import ConfigError, DataConfig, RunConfig, check_data
from ganstudio.core.data.errors import DataError
from ganstudio.core.data.images import LoadedImages, count_readable_images
from ganstudio.core.quality.class_scores import class_scores, classifier_knows
from ganstudio.core.quality.errors import MIN_REAL_IMAGES, QualityError, too_few_real, too_few_to_score
from ganstudio.core.quality.feature_net import FeatureNet, load_feature_net
from ganstudio.core.quality.scores import (
    QualityReport,
    frechet_distance,
    nearest_distances,
    score_features,
)
from ganstudio.core.run_data import names_the_runs_data

BATCH = 500
REAL_SEED = 2024
# The memorisation reference: every training image up to this many (a random subset of a larger set). A copier
# is caught only on the copies whose original is in the reference; the bundled set's 10,000 and
# fashion-mnist-full's 60,000 fit whole.
MEMORISATION_REFERENCE = 60_000


@torch.no_grad()
def extract(net: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Features of images in [-1, 1] (or uint8), in batches, returned on the CPU as float64."""
    out = []
    for i in range(0, len(images), BATCH):
        batch = images[i : i + BATCH].to(device)
        if batch.dtype == torch.uint8:
            batch = batch.float().div(127.5).sub(1.0)
        out.append(net(batch).double().cpu())
    return torch.cat(out)


def _digest(image: torch.Tensor) -> bytes:
    return hashlib.blake2b(image.numpy().tobytes(), digest_size=16).digest()


def distinct_reference(reference: torch.Tensor, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The reference's rows with their exact twins left out (the indices kept), and each image's row among
    them (-1 when it is not there). Matched by a 16-byte digest of the pixels, so a large reference costs
    little. Without the twins a training image measured to the others is measured to another picture:
    a folder where 1 % of the images had a copy made every real distance's 1 % quantile 0, and no fake
    could ever count as memorised."""
    rows: dict[bytes, int] = {}
    kept: list[int] = []
    for index, image in enumerate(reference.cpu()):
        key = _digest(image)
        if key not in rows:
            rows[key] = len(kept)
            kept.append(index)
    own = torch.tensor([rows.get(_digest(image), -1) for image in images.cpu()], dtype=torch.long)
    return torch.tensor(kept, dtype=torch.long), own


def trained_part(loaded: LoadedImages, data: DataConfig, config: RunConfig) -> np.ndarray | None:
    """The images of `loaded` a checkpoint trained on, when not all of them: a data.limit run's subset, a
    semi-supervised run's training part (its held-out images were never shown to G). None: all of them."""
    from ganstudio.core.data.subset import limit_images

    if data.limit:
        return limit_images(loaded, data.limit, config.train.seed).images
    if config.train.labelled_per_class and names_the_runs_data(data, config.data):
        from ganstudio.core.semi.data import held_out_split

        return held_out_split(loaded, data)[0].images
    return None


class QualityEvaluator:
    def __init__(
        self,
        real_images: torch.Tensor,
        samples: int,
        device: str | torch.device = "cpu",
        feature_net: FeatureNet | None = None,
        inception: nn.Module | None = None,
        real_labels: torch.Tensor | None = None,
        class_names: tuple[str, ...] = (),
        trained_on: torch.Tensor | None = None,
    ):
        """real_images: the images scored against (N, C, H, W), uint8 or in [-1, 1]; trained_on: the images
        G trained on when they are not all of real_images (a data.limit subset), the memorisation
        reference. With real_labels and the class names of a conditional generator, fakes are generated
        class-balanced and scored per class."""
        self.device = torch.device(device)
        self.net = feature_net or load_feature_net(device=self.device)
        self.inception = inception
        self.samples = samples
        order = torch.randperm(len(real_images), generator=torch.Generator().manual_seed(REAL_SEED))
        n = min(samples, len(real_images) // 2)
        if 2 * n < MIN_REAL_IMAGES:
            raise QualityError(too_few_to_score(len(real_images)))
        self.real_index = order[:n]
        real = real_images[self.real_index.to(real_images.device)]
        train = real_images if trained_on is None else trained_on
        if len(train) > MEMORISATION_REFERENCE:
            keep = torch.randperm(len(train), generator=torch.Generator().manual_seed(REAL_SEED))
            train = train[keep[:MEMORISATION_REFERENCE].to(train.device)]
        kept, own_rows = distinct_reference(train, real)
        self.real_features = extract(self.net.features, real, self.device)
        self.train_features = extract(self.net.features, train[kept.to(train.device)], self.device)
        self.real_nn = nearest_distances(self.real_features, self.train_features, own_rows)
        self.real_inception = extract(self.inception, real, self.device) if self.inception is not None else None
        self.class_names = tuple(class_names) if real_labels is not None else ()
        self.real_labels = (
            real_labels[self.real_index.to(real_labels.device)].cpu()
            if self.class_names and real_labels is not None
            else None
        )
        self.real_logits = self._logits(self.real_features) if classifier_knows(self.class_names) else None

    @torch.no_grad()
    def _logits(self, features: torch.Tensor) -> torch.Tensor:
        """The shipped classifier's logits from features already extracted (its head after the features)."""
        logits: torch.Tensor = self.net.head(features.float().to(self.device))
        return logits.cpu()

    @property
    def real_count(self) -> int:
        return len(self.real_features)

    def evaluate(
        self, generate: Callable[..., torch.Tensor], latent_dim: int, seed: int = 0, conditional: bool | None = None
    ) -> QualityReport:
        """generate(z) -> images in [-1, 1], or generate(z, y) with class indices y cycling through the
        classes when conditional (default: when the evaluator has class names); z is drawn from a
        fixed seed so evaluations are comparable."""
        started = time.perf_counter()
        z = torch.randn(self.samples, latent_dim, generator=torch.Generator().manual_seed(seed))
        with_classes = bool(self.class_names) if conditional is None else conditional and bool(self.class_names)
        labels = torch.arange(self.samples) % len(self.class_names) if with_classes else None
        with torch.no_grad():
            fake = torch.cat(
                [
                    (
                        generate(z[i : i + BATCH])
                        if labels is None
                        else generate(z[i : i + BATCH], labels[i : i + BATCH])
                    ).cpu()
                    for i in range(0, len(z), BATCH)
                ]
            )
        report = self.score_images(fake, labels)
        report.seconds = time.perf_counter() - started
        return report

    def score_images(self, fake: torch.Tensor, labels: torch.Tensor | None = None) -> QualityReport:
        """labels: each fake's class, for the class scores (only with the evaluator's class names)."""
        started = time.perf_counter()
        if not torch.isfinite(fake).all():
            # a generator whose weights went NaN: LAPACK's eigensolver under the Fréchet distance crashes the
            # process on NaN covariances, and no score means anything for such images
            return QualityReport(len(fake), *(math.nan,) * 9)
        features = extract(self.net.features, fake, self.device)
        report = score_features(self.real_features, features, self.train_features, self.real_nn)
        if self.inception is not None and self.real_inception is not None:
            report.inception_fid = frechet_distance(self.real_inception, extract(self.inception, fake, self.device))
        if labels is not None and self.real_labels is not None:
            scores = class_scores(
                self.real_features,
                self.real_labels,
                self.real_logits,
                features,
                labels,
                self._logits(features) if self.real_logits is not None else None,
                self.class_names,
            )
            report.label_accuracy, report.real_label_accuracy = scores.label_accuracy, scores.real_label_accuracy
            report.class_label_accuracy = scores.class_label_accuracy or None
            report.intra_fd, report.class_intra_fd = scores.intra_fd, scores.class_intra_fd or None
        report.seconds = time.perf_counter() - started
        return report


def real_data_for(
    checkpoint: str | Path, config: RunConfig, dataset: str | None = None, data_path: str | None = None
) -> tuple[DataConfig, str]:
    """The real images to compare a checkpoint with, and where that choice came from.

    A checkpoint may come from anywhere, so the data its config names is used only when that
    is the bundled set (nothing to read but GAN Studio's own files). Otherwise the user names it
    (--dataset/--data-path), or the run folder the checkpoint lives in does."""
    data = config.data
    if dataset is not None:
        chosen = DataConfig(dataset=dataset, path=data_path, image_size=data.image_size, channels=data.channels)
        if names_the_runs_data(chosen, data):  # G trained on its data.limit subset: the memorisation reference
            chosen.limit = data.limit
        try:
            check_data(chosen)
        except ConfigError as exc:
            raise QualityError(str(exc)) from None
        return chosen, "--dataset"
    from ganstudio.core.runlog import RunError, run_of_checkpoint

    if (run := run_of_checkpoint(checkpoint)) is not None:
        try:
            run_data = run.read_config().data
        except RunError:
            run_data = None
        if run_data is not None and (run_data.dataset, run_data.image_size, run_data.channels) == (
            data.dataset,
            data.image_size,
            data.channels,
        ):
            return run_data, f"the run folder {run.path}"
    if data.dataset == "fashion-mnist":
        return data, "the bundled Fashion-MNIST split"
    where = f" at {data.path}" if data.path else ""
    raise QualityError(
        f"the checkpoint was trained on {data.dataset}{where}, and a checkpoint from elsewhere does not "
        f"choose what is read: name the real images with --dataset {data.dataset} --data-path FOLDER"
    )


def evaluate_checkpoint(
    path: str,
    samples: int,
    data: DataConfig | None = None,
    device: str | torch.device = "cpu",
    inception_weights: str | None = None,
    with_inception: bool = False,
    progress: Callable[[str], None] = lambda _line: None,
    cas: bool = False,
) -> QualityReport:
    """Scores a checkpoint's generator (its EMA copy when it has one) against data (default: real_data_for's
    choice); progress gets a line before each stage that takes seconds. Nothing is downloaded."""
    from ganstudio.core.data import load_images
    from ganstudio.core.data.images import fit_images
    from ganstudio.core.quality.inception import InceptionError, load_inception
    from ganstudio.core.quality.inception_weights import find_inception_weights
    from ganstudio.core.sampling import load_generator

    snapshot = load_generator(path, device=device)
    if snapshot.is_toy:
        raise QualityError("quality metrics are for image datasets; toy runs have mode metrics (ganstudio bench modes)")
    if cas and not snapshot.is_conditional:
        raise QualityError("--cas needs a class-conditional checkpoint (its model.conditional is off)")
    weights = None
    if with_inception:  # a missing file is said before minutes of work, not after
        weights, reason = find_inception_weights(inception_weights)
        if weights is None:
            raise InceptionError(reason)
    if data is None:
        data, source = real_data_for(path, snapshot.config)
        progress(f"real images: {data.dataset} (from {source})")
    refuse_an_unusable_folder(data)
    progress(f"reading the real images{f' in {data.path}' if data.path else ''}...")
    loaded = load_images(data, download=False)
    real = fit_images(loaded.images, snapshot.config.data.image_size, snapshot.config.data.channels)
    if len(real) < MIN_REAL_IMAGES:  # before the work, and in eval's words: too_few_to_score advises training
        raise QualityError(too_few_real(data.path or data.dataset, len(real)))
    labels = real_labels_for(snapshot.class_names, loaded) if snapshot.is_conditional else None
    inception = load_inception(weights, device) if weights is not None else None
    trained = trained_part(loaded, data, snapshot.config)
    trained_on = (
        None if trained is None else fit_images(trained, snapshot.config.data.image_size, snapshot.config.data.channels)
    )
    reference = min(len(real if trained_on is None else trained_on), MEMORISATION_REFERENCE)
    against = "all of them" if trained_on is None else f"the {reference:,} images G trained on"
    scored = min(samples, len(real) // 2)  # as QualityEvaluator takes them
    fewer = f" (half of the {len(real):,} there are)" if scored < samples else ""
    progress(
        f"features of {scored:,} real images to compare with {samples:,} generated{fewer}, and of {reference:,} "
        f"for the memorisation check (memorisation: against {against})..."
    )
    evaluator = QualityEvaluator(
        real,
        samples,
        device,
        inception=inception,
        real_labels=labels,
        class_names=snapshot.class_names,
        trained_on=trained_on,
    )
    progress(f"generating and scoring {samples:,} images...")
    report = evaluator.evaluate(snapshot.generate, snapshot.latent_dim, seed=snapshot.config.train.seed + 4)
    if not report.is_finite():
        raise QualityError(f"{path}: the generator's images are not finite numbers (NaN or Inf): nothing to score")
    if cas and labels is not None:
        from ganstudio.core.quality.cas import classification_accuracy_score

        result = classification_accuracy_score(
            snapshot.generate,
            snapshot.latent_dim,
            real.float().div(127.5).sub(1.0),
            labels,
            snapshot.num_classes,
            device,
            seed=snapshot.config.train.seed + 5,
            progress=progress,
        )
        report.cas, report.cas_real = result.cas, result.real_baseline
    return report


def refuse_an_unusable_folder(data: DataConfig) -> None:
    """An image folder missing, empty, unreadable or too small is refused before eval's first line about reading
    it (the line came first, then the error: two lines where a bad input gets one), by the form's bounded look."""
    if data.dataset != "image-folder":
        return
    count = count_readable_images(data.path, limit=MIN_REAL_IMAGES)
    if problem := count.problem():
        raise DataError(problem)
    if count.complete and count.readable < MIN_REAL_IMAGES:
        raise QualityError(too_few_real(data.path or data.dataset, count.readable))


def real_labels_for(class_names: tuple[str, ...], loaded: LoadedImages) -> torch.Tensor:
    """The real images' labels, when they carry the generator's classes (same names, same order)."""
    if loaded.labels is None:
        raise QualityError(
            f"the checkpoint is class-conditional but the real images have no classes: {loaded.unlabelled_reason}"
        )
    if tuple(loaded.class_names) != tuple(class_names):
        raise QualityError(
            "the real images' classes are not the checkpoint's: "
            f"{', '.join(loaded.class_names[:4])}... against {', '.join(class_names[:4])}..."
        )
    return torch.from_numpy(loaded.labels)
