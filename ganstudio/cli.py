"""The one entry point: no arguments opens the window; subcommands train and measure headless."""

from __future__ import annotations

import argparse
import shlex
import sys
import traceback
import unicodedata
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from ganstudio import __version__, cli_config, cli_distributed, cli_semi, cli_train
from ganstudio.bench import (
    explorer_latency,
    gui_lag,
    memory,
    modes,
    quality,
    scale,
    semi,
    speed,
    startup,
    supervisor,
    threads,
)
from ganstudio.cli_errors import EXIT_DIFFERS, EXIT_INTERRUPTED, EXIT_PIPE_CLOSED, EXIT_USAGE, CliError, user_errors
from ganstudio.cli_progress import drop, is_pipe
from ganstudio.cli_types import at_least, checkpoint_file, flags_given, named, output_file
from ganstudio.core.atomic import overwritten_input
from ganstudio.core.config import DEFAULT_PRESET, PRESET_SUMMARIES
from ganstudio.core.user_errors import io_reason

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")  # reorder what follows
DEFAULT_EVAL_SAMPLES = 5000
DEFAULT_SAMPLES = 64
MAX_SEED = 2**63 - 1  # torch's seeds are 64-bit

# `ganstudio bench NAME`: each module adds its options (add_arguments) and runs (main); torch loads in main
BENCHES: dict[str, ModuleType] = {
    "speed": speed,
    "supervisor": supervisor,
    "gui": gui_lag,
    "explorer": explorer_latency,
    "modes": modes,
    "startup": startup,
    "quality": quality,
    "memory": memory,
    "scale": scale,
    "semi": semi,
    "threads": threads,
}


class OneLineParser(argparse.ArgumentParser):
    """argparse's usage errors as the one line every other error gets, with the way to more help."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"ganstudio: error: {message} (see: {self.prog} --help)\n")

    def parse_command(self, argv: Sequence[str] | None) -> argparse.Namespace:
        """parse_args, with arguments nobody knows said with the help of the command they were given to:
        `ganstudio train --help` lists train's options, where argparse pointed to `ganstudio --help`."""
        parsed, extras = self.parse_known_args(argv)
        if extras:
            self._chosen(parsed).error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed

    def _chosen(self, parsed: argparse.Namespace) -> argparse.ArgumentParser:
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                chosen = action.choices.get(getattr(parsed, action.dest, None) or "")
                if isinstance(chosen, OneLineParser):
                    return chosen._chosen(parsed)
        return self


def cmd_train(args: argparse.Namespace) -> int:
    """As a rank under torchrun, on torchrun (`--nproc N`, or the config's perf.processes), or here."""
    if cli_distributed.under_torchrun():
        return cli_distributed.train_on_ranks(args)
    asked = cli_train.processes_asked(args)
    if asked.processes != 1:
        return cli_distributed.launch(args, asked)
    return cli_train.train_one_process(args)


def cmd_sample(args: argparse.Namespace) -> int:
    if args.manifest:
        given = flags_given(
            {"--n": args.n, "--seed": args.seed, "--force": args.force, "--class": args.class_, "--device": args.device}
        )
        if given:
            raise CliError(f"{', '.join(given)}: a manifest regenerates its set as it was saved, into a new folder")
        from ganstudio.core.export import NotTheSetsCheckpoint, regenerate, regeneration_check

        try:
            path = regenerate(args.manifest, args.out, checkpoint=args.checkpoint)
        except NotTheSetsCheckpoint as exc:
            if args.checkpoint:
                raise
            again = f"--manifest {shlex.quote(args.manifest)} --out {shlex.quote(args.out)}"
            raise CliError(f"{exc}; if it moved, name it: ganstudio sample CHECKPOINT {again}") from None
        check = regeneration_check(args.manifest, path)
        print(f"regenerated the image set into {path}: {check}")
        return EXIT_DIFFERS if check.differing else 0  # a script checking a set's reproducibility sees it fail
    if not args.checkpoint:
        raise CliError("give a checkpoint (or --manifest FILE)")
    from ganstudio.core.device import select_device
    from ganstudio.core.sample_files import write_samples
    from ganstudio.core.sampling import load_generator

    args.n = DEFAULT_SAMPLES if args.n is None else args.n
    args.seed = 0 if args.seed is None else args.seed
    snapshot = load_generator(args.checkpoint, device=select_device(args.device or "cpu"))
    classes = _chosen_classes(args.class_, snapshot.class_names)
    written = write_samples(snapshot, args.seed, args.n, args.out, force=args.force, classes=classes)
    if snapshot.is_toy:
        print(f"wrote {args.n} points to {written[0]}")
    else:
        print(f"wrote {args.n} images and grid.png to {args.out} (step {snapshot.step}, seed {args.seed})")
    if snapshot.is_conditional:
        shown = [snapshot.class_names[i] for i in classes] if classes else ["every class, balanced"]
        print(f"classes: {', '.join(shown)} (each file's class in {written[-1].name})")
    return 0


def _chosen_classes(given: list[str] | None, class_names: tuple[str, ...]) -> list[int] | None:
    """--class NAME|INDEX (repeatable) as class indices; None when none was given."""
    if not given:
        return None
    if not class_names:
        raise CliError("--class needs a class-conditional checkpoint; this one's model.conditional is off")
    from ganstudio.core.data.classes import class_index

    try:
        return [class_index(text, class_names) for text in given]
    except ValueError as exc:
        raise CliError(str(exc)) from None


def cmd_eval(args: argparse.Namespace) -> int:
    import json

    from ganstudio.core.device import select_device
    from ganstudio.core.quality.evaluator import evaluate_checkpoint
    from ganstudio.core.quality.inception import check_inception_file, download_inception

    if args.json and (taken := overwritten_input(args.json, [args.checkpoint, args.inception_weights])):
        raise CliError(f"--json {args.json} is {taken}, which eval reads; write the scores to another file")
    if args.classifier:
        return cli_semi.eval_classifier(args)
    args.n = DEFAULT_EVAL_SAMPLES if args.n is None else args.n
    if not 50 <= args.n <= 50_000:
        raise CliError("--n must be from 50 to 50,000")
    if args.data_path and not args.dataset:
        raise CliError("--data-path needs --dataset")
    if args.inception_weights:
        check_inception_file(args.inception_weights)  # before minutes of reading images and sampling
    if args.download_inception:
        print(f"Inception v3 weights in {download_inception()}")
    with_inception = bool(args.inception or args.inception_weights or args.download_inception)
    data = None
    if args.dataset:
        from ganstudio.core.quality.evaluator import real_data_for
        from ganstudio.core.sampling import load_generator

        data, _ = real_data_for(args.checkpoint, load_generator(args.checkpoint).config, args.dataset, args.data_path)
    report = evaluate_checkpoint(
        args.checkpoint,
        args.n,
        data=data,
        device=select_device(args.device or "cpu"),
        inception_weights=args.inception_weights,
        with_inception=with_inception,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
        cas=args.cas,
    )
    rows = [
        (
            "Fréchet distance (GAN Studio features)",
            f"{report.frechet:.3f}",
            "lower is better; two halves of the real data give ~0.7",
        ),
        ("KID x 1000", f"{1000 * report.kid:.2f} +- {1000 * report.kid_std:.2f}", "lower is better"),
        ("precision (k=3)", f"{report.precision:.3f}", "fakes inside the real manifold"),
        ("recall (k=3)", f"{report.recall:.3f}", "reals inside the fake manifold"),
        ("density (k=5)", f"{report.density:.3f}", "~1 for real data"),
        ("coverage (k=5)", f"{report.coverage:.3f}", "~0.97 for real data"),
        (
            "memorisation ratio",
            f"{report.memorisation_ratio:.3f}",
            "fake / real nearest-training distance; << 1 copies",
        ),
        ("memorised fraction", f"{report.memorised_fraction:.3f}", "fakes closer to training than 99 % of reals"),
    ]
    if report.inception_fid is not None:
        rows.insert(0, ("Inception FID (torchvision weights)", f"{report.inception_fid:.2f}", "lower is better"))
    rows += _class_rows(report)
    from ganstudio.bench.table import format_table

    print(f"{args.checkpoint}: {report.samples:,} generated images, {report.seconds:.1f} s")
    print(format_table(["metric", "value", "reading"], [list(r) for r in rows]))
    if report.class_intra_fd or report.class_label_accuracy:
        accuracy, intra = report.class_label_accuracy or {}, report.class_intra_fd or {}
        per_class = [
            [
                name,
                f"{100 * accuracy[name]:.1f} %" if name in accuracy else "",
                f"{intra[name]:.2f}" if name in intra else "",
            ]
            for name in dict.fromkeys([*accuracy, *intra])
        ]
        print(format_table(["class", "label accuracy", "intra-FD"], per_class))
    if args.json:
        from ganstudio.core.atomic import write_named_text

        write_named_text(args.json, json.dumps(report.to_record(), indent=2) + "\n")
    return 0


def _class_rows(report) -> list[tuple[str, str, str]]:
    """eval's rows for a class-conditional checkpoint (none for an unconditional one)."""
    rows = []
    if report.label_accuracy is not None:
        real = (
            f"; real images {100 * report.real_label_accuracy:.1f} %" if report.real_label_accuracy is not None else ""
        )
        rows.append(
            (
                "label accuracy",
                f"{100 * report.label_accuracy:.1f} %",
                f"fakes the shipped classifier puts in their class{real}",
            )
        )
    if report.intra_fd is not None:
        rows.append(
            (
                "intra-FD (mean over classes)",
                f"{report.intra_fd:.3f}",
                "Fréchet distance within each class; ~1/C of the samples each, so noisier than FD",
            )
        )
    if report.cas is not None:
        rows.append(
            (
                "CAS",
                f"{100 * report.cas:.1f} %",
                f"classifier trained on fakes, tested on reals; trained on reals: {100 * report.cas_real:.1f} %",
            )
        )
    return rows


def cmd_watch(args: argparse.Namespace) -> int:
    """Checked here, so a wrong folder is one line in the terminal rather than a window with an error."""
    from ganstudio.core.runlog import RunDirectory

    run = RunDirectory.open(args.run_dir)
    run.read_config()  # a config.json the window could not use is refused here as well
    from ganstudio.gui.app import run_app

    return run_app([sys.argv[0]], watch=str(run.path))


def cmd_presets(_args: argparse.Namespace) -> int:
    width = max(map(len, PRESET_SUMMARIES))
    for name, summary in PRESET_SUMMARIES.items():
        print(f"{name.ljust(width)}  {summary}")
    return 0


def build_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="ganstudio",
        description="Train and explore GANs. Run `ganstudio` with no command to "
        "open the window; the commands below work headless.",
    )
    parser.add_argument("-V", "--version", action="version", version=f"ganstudio {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=OneLineParser)

    train = sub.add_parser("train", help="train headless, writing a run folder")
    train.add_argument(
        "--preset", type=named, help=f"a preset name (default: {DEFAULT_PRESET}; see `ganstudio presets`)"
    )
    train.add_argument("--config", type=named, help="a config JSON file (as written to a run's config.json)")
    train.add_argument("--steps", type=int, help="the run's total number of generator steps")
    train.add_argument("--seed", type=int, help="random seed (default: the config's)")
    train.add_argument("--out", type=named, help="run folder to create (default: a new folder in the runs folder)")
    train.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps")
    train.add_argument(
        "--resume",
        type=named,
        metavar="RUN_DIR",
        help="continue a run from its latest checkpoint; --steps, "
        "and --set for learning rates, k, noise, EMA, intervals, quality and perf fields, may change",
    )
    train.add_argument(
        "--restart",
        action="store_true",
        help="with --resume: train the folder over from step 0 "
        "with its config.json (its metrics, samples and checkpoints are deleted)",
    )
    train.add_argument(
        "--set",
        action="append",
        metavar="SECTION.FIELD=VALUE",
        help="override one config field, e.g. --set loss.kind=wgan-gp --set model.spectral_norm=true (repeatable); "
        "your own images: --set data.dataset=image-folder --set data.path=FOLDER",
    )
    train.add_argument(
        "--on-alarm",
        choices=["remedy", "stop", "ignore"],
        default="remedy",
        help="with nobody watching: remedy (default): on NaN rewind and halve the learning rates, at "
        "most 3 times, then stop; stop: stop on any alarm; ignore: go on (NaN still stops). Stops "
        "save a checkpoint and exit 2",
    )
    train.add_argument(
        "--nproc",
        type=int,
        metavar="N",
        help="train on N processes on this machine through torchrun (one per GPU, or CPU processes "
        "sharing the cores); the global batch is split over them (default: the config's "
        "perf.processes, 1). For many machines run torchrun yourself (README)",
    )
    train.set_defaults(func=cmd_train)

    sample = sub.add_parser(
        "sample",
        help="generate images (or points) from a checkpoint",
        description="Writes sample_NNNN.png and grid.png (toy runs: samples.npy) into --out. "
        "The same checkpoint, --seed and --n give the same files on every machine.",
    )
    sample.add_argument(
        "checkpoint", nargs="?", type=checkpoint_file, help="a .pt file, or a run folder (its checkpoints/latest.pt)"
    )
    sample.add_argument(
        "--manifest",
        type=named,
        help="regenerate an image set saved from the explorer (its manifest.json); with a checkpoint, from that file "
        "(the set's own moved or renamed: its SHA-256 must be the manifest's)",
    )
    sample.add_argument(
        "--n", type=int, help=f"how many images (or toy points) to generate (default: {DEFAULT_SAMPLES})"
    )
    sample.add_argument("--seed", type=at_least(0, at_most=MAX_SEED), help="seed of the latent noise (default: 0)")
    sample.add_argument("--out", required=True, type=named, help="folder to write into (created if missing)")
    sample.add_argument("--device", help="default: cpu")
    sample.add_argument("--force", action="store_true", help="overwrite existing files")
    sample.add_argument(
        "--class",
        dest="class_",
        action="append",
        metavar="NAME|INDEX",
        help="conditional checkpoints: generate this class (a name such as Sneaker, or an index); "
        "repeat for several, the samples cycle through them (default: every class, balanced)",
    )
    sample.set_defaults(func=cmd_sample)

    evaluate = sub.add_parser(
        "eval", help="score a checkpoint's samples: FD, KID, precision/recall, density/coverage, memorisation"
    )
    evaluate.add_argument(
        "checkpoint", type=checkpoint_file, help="a .pt file, or a run folder (its checkpoints/latest.pt)"
    )
    evaluate.add_argument(
        "--n", type=int, help=f"generated images (and real images) to compare (default: {DEFAULT_EVAL_SAMPLES})"
    )
    evaluate.add_argument(
        "--dataset",
        type=named,
        help="the real images to compare with (default: the run folder's, or the "
        "bundled Fashion-MNIST); a checkpoint from elsewhere never picks a path or a download",
    )
    evaluate.add_argument("--data-path", type=named, help="folder of the --dataset's files")
    evaluate.add_argument("--device", help="default: cpu")
    evaluate.add_argument(
        "--inception", action="store_true", help="also torchvision-Inception FID (weights must be in torch hub's cache)"
    )
    evaluate.add_argument(
        "--inception-weights", metavar="FILE", type=named, help="an inception_v3_google-*.pth file to use"
    )
    evaluate.add_argument(
        "--download-inception",
        action="store_true",
        help="fetch the Inception weights into torch hub's cache first (needs the network)",
    )
    evaluate.add_argument("--json", type=output_file, help="also write the metrics to this JSON file")
    evaluate.add_argument(
        "--cas",
        action="store_true",
        help="conditional checkpoints: also the classification accuracy score (a small classifier "
        "trained only on generated images, tested on real ones; about a minute on a CPU)",
    )
    evaluate.add_argument(
        "--classifier",
        action="store_true",
        help="semi-supervised checkpoints: D's accuracy, overall and per class, on the held-out split "
        "the run never trained on (instead of the sample scores)",
    )
    evaluate.set_defaults(func=cmd_eval)

    watch = sub.add_parser("watch", help="open the window on a run another process is training, to follow and steer it")
    watch.add_argument(
        "run_dir", metavar="RUN_DIR", type=named, help="the run folder (on this machine or a shared one)"
    )
    watch.set_defaults(func=cmd_watch)

    cli_semi.add_classify_parser(sub)

    presets = sub.add_parser("presets", help="list the presets")
    presets.set_defaults(func=cmd_presets)
    cli_config.add_arguments(sub.add_parser("config", help=cli_config.HELP, description=cli_config.HELP))

    bench = sub.add_parser(
        "bench",
        help="measure speed and more; prints a table",
        description="Each bench trains or launches for real and prints a table "
        "(and --json FILE writes its figures). `ganstudio bench NAME --help` for its options.",
    )
    kinds = bench.add_subparsers(dest="bench", metavar="BENCH", required=True, parser_class=OneLineParser)
    for name, module in BENCHES.items():
        kind = kinds.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(kind)
        kind.set_defaults(func=module.main)
    return parser


def _crash_report() -> str:
    """The traceback of an unexpected error goes to a file, so the terminal gets one line to report."""
    import tempfile

    try:
        fd, path = tempfile.mkstemp(prefix="ganstudio-crash-", suffix=".txt")
        with open(fd, "w", encoding="utf-8") as fh:
            fh.write(traceback.format_exc())
        return path
    except OSError:
        return "(could not be written)"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_command(argv)
    if args.command is None:
        from ganstudio.gui.app import run_app

        return run_app()
    status = _flushed(_run_command(args))
    if args.command == "train" and cli_distributed.under_torchrun():
        cli_distributed.leave(status)
    return status


def _flushed(status: int) -> int:
    """What is still buffered for standard output, written now: at the interpreter's exit a reader that
    left (`| head -1`) made it print a BrokenPipeError and end with status 120."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        if not is_pipe(sys.stdout):
            raise
        drop(sys.stdout)
        return status or EXIT_PIPE_CLOSED
    return status


def _one_line(message: str) -> str:
    """A message naming a file or class with a line break in it (from a folder or checkpoint) is still one line,
    and a control character in a name (a NUL from a manifest, an escape sequence) is shown, not sent to the
    terminal."""
    joined = " ".join(message.splitlines())
    return "".join(ascii(c)[1:-1] if unicodedata.category(c) == "Cc" or c in BIDI_CONTROLS else c for c in joined)


def _run_command(args: argparse.Namespace) -> int:
    try:
        return args.func(args)
    except KeyboardInterrupt as exc:  # first: the next clause imports torch, which Ctrl-C may have left half-imported
        print(f"ganstudio: interrupted{' ' + str(exc) if str(exc) else ''}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except user_errors() as exc:
        print(f"ganstudio: error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # a full disk, a read-only folder, a vanished file
        if isinstance(exc, BrokenPipeError) and is_pipe(sys.stdout):  # `| head -1`: end quietly, as other tools
            drop(sys.stdout)
            return EXIT_PIPE_CLOSED
        print(f"ganstudio: error: {_one_line(io_reason(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - a bug: one line here, the traceback in a file
        print(
            f"ganstudio: internal error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
            f"(a bug; traceback in {_crash_report()})",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
