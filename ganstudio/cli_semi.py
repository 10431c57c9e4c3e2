"""The semi-supervised commands: `eval CHECKPOINT --classifier` and `classify CHECKPOINT IMAGES`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ganstudio.cli_errors import CliError
from ganstudio.cli_types import checkpoint_file, flags_given, named, output_file
from ganstudio.core.wording import counted, first_named

if TYPE_CHECKING:  # numpy and the engine load when a command runs, not when the CLI parses
    import numpy as np

    from ganstudio.core.semi.report import ClassifierReport

CLASSIFY_HELP = "classify images with a semi-supervised checkpoint's D: a CSV of each image's class probabilities"


def add_classify_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    classify = sub.add_parser("classify", help=CLASSIFY_HELP, description=CLASSIFY_HELP)
    classify.add_argument(
        "checkpoint",
        type=checkpoint_file,
        help="a semi-supervised run's .pt file (train.labelled_per_class > 0), or its run folder",
    )
    classify.add_argument(
        "images",
        type=named,
        help="a folder of images, an image file, a .npy of (N, 28, 28) uint8, or an idx file "
        "(*-images-idx3-ubyte[.gz]); other sizes are resized as the training images were",
    )
    classify.add_argument(
        "--out",
        required=True,
        type=output_file,
        help="the CSV to write: name, predicted class, one probability per class",
    )
    classify.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    classify.add_argument(
        "--labels",
        metavar="LABELS_IDX",
        type=named,
        help="an idx file of the images' true classes (e.g. t10k-labels-idx1-ubyte.gz): also print the accuracy",
    )
    classify.set_defaults(func=cmd_classify)


def _print_report(report: ClassifierReport) -> None:
    from ganstudio.bench.table import format_table

    print(f"accuracy {100 * report.accuracy:.2f} % (error {100 * (1 - report.accuracy):.2f} %) on {report.split}")
    print(format_table(["class", "accuracy"], [[name, f"{100 * acc:.1f} %"] for name, acc in report.per_class.items()]))


def eval_classifier(args: argparse.Namespace) -> int:
    """eval --classifier. The options that score generated samples mean nothing here: refused by name, not
    ignored. The held-out images are chosen as for the sample scores (real_data_for)."""
    import json

    from ganstudio.core.atomic import write_named_text
    from ganstudio.core.quality.evaluator import real_data_for
    from ganstudio.core.semi.classifier import load_classifier

    given = flags_given(
        {
            "--n": args.n,
            "--device": args.device,
            "--cas": args.cas,
            "--inception": args.inception,
            "--inception-weights": args.inception_weights,
            "--download-inception": args.download_inception,
        }
    )
    if given:
        raise CliError(
            f"{', '.join(given)} cannot be given with --classifier: "
            f"{'they are' if len(given) > 1 else 'it is'} for the scores of G's samples, and --classifier "
            "scores D's class guesses on the held-out images, on the CPU"
        )
    if args.data_path and not args.dataset:
        raise CliError("--data-path needs --dataset")
    classifier = load_classifier(args.checkpoint)
    data, _ = real_data_for(args.checkpoint, classifier.config, args.dataset, args.data_path)
    report = classifier.held_out_report(data)
    _print_report(report)
    if args.json:
        write_named_text(args.json, json.dumps(report.to_record(), indent=2) + "\n")
    return 0


def _read_labels(path: str, count: int, classes: int) -> np.ndarray:
    import numpy as np

    from ganstudio.core.data.idx import IdxError, IdxTooLarge, read_idx

    try:  # `count` labels of at most 8 bytes each: a header that says more is refused before they are read
        labels = read_idx(path, max_bytes=8 * count)
    except IdxTooLarge as exc:
        raise CliError(_not_the_labels(path, exc.shape, count)) from None
    except IdxError as exc:
        raise CliError(str(exc)) from None
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise CliError(f"{path} holds {labels.dtype} {labels.shape}, not one class index per image")
    if len(labels) != count:
        raise CliError(_not_the_labels(path, labels.shape, count))
    if len(labels) and (labels.min() < 0 or labels.max() >= classes):
        raise CliError(f"{path} holds classes outside 0 to {classes - 1}")
    return labels.astype(np.int64)


def _not_the_labels(path: str, shape: tuple[int, ...], count: int) -> str:
    if len(shape) != 1:
        return f"{path} holds {shape}, images or other arrays, not labels (one class index per image, an idx1 file)"
    return f"{path} holds {shape[0]:,} labels for {count:,} images read"


def cmd_classify(args: argparse.Namespace) -> int:
    from ganstudio.core.semi.classifier import load_classifier
    from ganstudio.core.semi.data import training_note
    from ganstudio.core.semi.predictions import overwritten_by_predictions, write_predictions
    from ganstudio.core.semi.report import ClassifierReport

    out = Path(args.out)
    if (taken := overwritten_by_predictions(out, args.images, args.checkpoint, args.labels)) is not None:
        raise CliError(f"--out {out} is {taken}, which classify reads; write the predictions to another file")
    if out.is_file() and not args.force:  # as sample refuses; a device or a pipe (/dev/stdout) is written into
        raise CliError(f"--out {out} exists; use --force to overwrite it")
    classifier = load_classifier(args.checkpoint)
    inputs = classifier.read_inputs(args.images)
    names = classifier.class_names
    labels = _read_labels(args.labels, len(inputs.images), len(names)) if args.labels else None
    probabilities = classifier.probabilities(inputs.images)
    predicted = probabilities.argmax(axis=1)
    write_predictions(out, inputs.names, names, probabilities)
    skipped = (
        f"; {counted(len(inputs.skipped), 'unreadable file')} skipped: {first_named(inputs.skipped)}"
        if inputs.skipped
        else ""
    )
    print(f"classified {counted(len(predicted), 'image')} into {out}{skipped}")
    if labels is not None:
        _print_report(
            ClassifierReport.from_predictions(predicted, labels, names, f"the {len(labels):,} images of {args.images}")
        )
    if said := training_note(classifier.config, inputs.images):
        print(f"note: {said}; `ganstudio eval CHECKPOINT --classifier` scores the held-out split it never trained on")
    return 0
