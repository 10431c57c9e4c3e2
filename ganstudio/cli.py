"""The one entry point: no arguments opens the window; subcommands train and measure headless."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from ganstudio import __version__
from ganstudio.core.config import PRESET_SUMMARIES, ConfigError, RunConfig, load_config, preset

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """One clear line for the user; no traceback."""


def _user_errors() -> tuple[type[BaseException], ...]:
    from ganstudio.core.checkpoint import CheckpointError
    from ganstudio.core.data import DataError
    from ganstudio.core.device import DeviceError
    from ganstudio.core.export import ExportError
    from ganstudio.core.runlog import RunError

    return (CliError, ConfigError, DataError, DeviceError, CheckpointError, RunError, ExportError)


def _config_from_args(args: argparse.Namespace) -> RunConfig:
    if args.preset and args.config:
        raise CliError("give --preset or --config, not both")
    config = load_config(args.config) if args.config else preset(args.preset or "fashion-dcgan")
    if args.steps is not None:
        config.train.steps = args.steps
    if args.seed is not None:
        config.train.seed = args.seed
    if args.device:
        config.train.device = args.device
    from ganstudio.core.config import apply_override, check

    for assignment in args.set or []:
        apply_override(config, assignment)
    return check(config)


def cmd_train(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ganstudio.core.paths import default_runs_dir
    from ganstudio.core.runlog import RunDirectory
    from ganstudio.core.session import TrainingSession

    if args.resume:
        if args.preset or args.config:
            raise CliError("--resume continues a run with its own config; drop --preset/--config")
        session = TrainingSession.resume(RunDirectory.open(args.resume), total_steps=args.steps, device=args.device)
    else:
        config = _config_from_args(args)
        run = RunDirectory.at(args.out) if args.out else RunDirectory.create(default_runs_dir(), config.preset or "run")
        session = TrainingSession.start(config, run)
    bar = tqdm(total=session.total_steps, initial=session.step, unit="step", dynamic_ncols=True, file=sys.stderr)
    with _StopOnInterrupt() as stop:
        print(f"run folder: {session.run.path}", flush=True)
        print(f"data: {session.trainer.data.describe()}; device: {session.trainer.device}", flush=True)
        while not session.done and not stop.requested:
            progress = session.advance()
            if progress.stats:
                last = progress.stats[-1]
                bar.set_postfix(loss_d=f"{last.loss_d:.3f}", loss_g=f"{last.loss_g:.3f}", refresh=False)
                bar.update(last.step - bar.n)
                if not last.is_finite():
                    session.save_checkpoint()
                    bar.close()
                    raise CliError(f"loss became NaN/Inf at step {last.step}; stopped (checkpoint saved). "
                                   "Try a lower learning rate or another loss")
    bar.update(session.step - bar.n)
    bar.close()
    path = session.save_checkpoint()
    if stop.requested:
        print(f"interrupted at step {session.step}; checkpoint saved to {path}\n"
              f"continue with: ganstudio train --resume {session.run.path} --steps {session.total_steps}", flush=True)
        return EXIT_INTERRUPTED
    print(f"done: {session.step} steps; checkpoint {path}; samples in {session.run.samples_dir}")
    return 0


class _StopOnInterrupt:
    """The first Ctrl-C asks the loop to stop between steps (so the checkpoint is consistent); a second one aborts."""

    def __init__(self):
        self.requested = False

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc):
        signal.signal(signal.SIGINT, self._previous)
        return False


def cmd_sample(args: argparse.Namespace) -> int:
    import numpy as np

    from ganstudio.core.imaging import image_grid, save_png
    from ganstudio.core.sampling import load_generator, seeded_latents

    if args.manifest:
        if args.checkpoint:
            raise CliError("give a checkpoint or --manifest, not both")
        from ganstudio.core.export import regenerate

        path = regenerate(args.manifest, args.out)
        print(f"regenerated the image set into {path}")
        return 0
    if not args.checkpoint:
        raise CliError("give a checkpoint (or --manifest FILE)")
    if args.n < 1:
        raise CliError("--n must be at least 1")
    snapshot = load_generator(args.checkpoint, device=args.device or "cpu")
    z = seeded_latents(args.seed, args.n, snapshot.latent_dim)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot create {out}: {exc.strerror}") from None
    if snapshot.is_toy:
        target = out / "samples.npy"
        if target.exists() and not args.force:
            raise CliError(f"{target} exists; use --force to overwrite")
        np.save(target, snapshot.generate(z).numpy())
        print(f"wrote {args.n} points to {target}")
        return 0
    images = snapshot.images(z)
    names = [out / f"sample_{i:04d}.png" for i in range(args.n)] + [out / "grid.png"]
    taken = [p for p in names if p.exists()]
    if taken and not args.force:
        raise CliError(f"{taken[0]} exists (and {len(taken) - 1} more); use --force to overwrite")
    for path, image in zip(names, images):
        save_png(image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0), path)
    save_png(image_grid(images), names[-1])
    print(f"wrote {args.n} images and grid.png to {out} (step {snapshot.step}, seed {args.seed})")
    return 0


def cmd_presets(_args: argparse.Namespace) -> int:
    width = max(map(len, PRESET_SUMMARIES))
    for name, summary in PRESET_SUMMARIES.items():
        print(f"{name.ljust(width)}  {summary}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    if args.what == "speed":
        from ganstudio.bench.speed import run_speed

        names = args.preset or ["fashion-dcgan", "paper-mlp-fashion"]
        for name in names:
            preset(name)
        print(run_speed(names, steps=args.steps, chunk=args.chunk, json_path=args.json))
        return 0
    if args.what == "gui":
        from ganstudio.bench.gui_lag import run_gui_bench

        name = (args.preset or ["fashion-dcgan"])[0]
        preset(name)
        print(run_gui_bench(name, seconds=args.seconds, rounds=args.rounds, json_path=args.json))
        return 0
    if args.what == "modes":
        from ganstudio.bench.modes import run_modes

        if args.dataset not in ("ring-8", "grid-25"):
            raise CliError("bench modes needs --dataset ring-8 or grid-25")
        name = args.preset[0] if args.preset else None
        if name:
            preset(name)
        print(run_modes(args.dataset, name, runs=args.runs, steps=args.steps if args.steps != 200 else None,
                        json_path=args.json, overrides=args.set))
        return 0
    if args.what == "startup":
        from ganstudio.bench.startup import run_startup_bench

        print(run_startup_bench(runs=args.runs, json_path=args.json))
        return 0
    if args.what == "explorer":
        from ganstudio.bench.explorer_latency import run_explorer_bench

        print(run_explorer_bench(seconds=args.seconds, rounds=args.rounds, drags=args.drags, json_path=args.json))
        return 0
    raise CliError(f"unknown bench {args.what!r}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ganstudio", description="Train and explore GANs. No command opens the window.")
    parser.add_argument("--version", action="version", version=f"ganstudio {__version__}")
    sub = parser.add_subparsers(dest="command")

    train = sub.add_parser("train", help="train headless, writing a run folder")
    train.add_argument("--preset", help="a preset name (see `ganstudio presets`)")
    train.add_argument("--config", help="a config JSON file (as written to a run's config.json)")
    train.add_argument("--steps", type=int, help="the run's total number of generator steps")
    train.add_argument("--seed", type=int, help="random seed (default: the config's)")
    train.add_argument("--out", help="run folder to create (default: a new folder in the runs folder)")
    train.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps")
    train.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its latest checkpoint")
    train.add_argument("--set", action="append", metavar="SECTION.FIELD=VALUE",
                       help="override one config field, e.g. --set loss.kind=wgan-gp --set model.spectral_norm=true "
                            "(repeatable)")
    train.set_defaults(func=cmd_train)

    sample = sub.add_parser("sample", help="generate images (or points) from a checkpoint")
    sample.add_argument("checkpoint", nargs="?")
    sample.add_argument("--manifest", help="regenerate an image set saved from the explorer (its manifest.json)")
    sample.add_argument("--n", type=int, default=64)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--out", required=True)
    sample.add_argument("--device", help="default: cpu")
    sample.add_argument("--force", action="store_true", help="overwrite existing files")
    sample.set_defaults(func=cmd_sample)

    presets = sub.add_parser("presets", help="list the presets")
    presets.set_defaults(func=cmd_presets)

    bench = sub.add_parser("bench", help="measure speed and more; prints a table")
    bench.add_argument("what", choices=["speed", "gui", "explorer", "modes", "startup"])
    bench.add_argument("--dataset", default="ring-8", help="modes: ring-8 or grid-25")
    bench.add_argument("--runs", type=int, default=5, help="modes: seeds to average over; startup: launches")
    bench.add_argument("--set", action="append", metavar="SECTION.FIELD=VALUE",
                       help="modes: config override on top of the preset, e.g. --set model.pack=4 (repeatable)")
    bench.add_argument("--preset", action="append", help="preset to measure (repeatable)")
    bench.add_argument("--steps", type=int, default=200, help="speed: steps per side; modes: training steps "
                       "(default: the preset's)")
    bench.add_argument("--chunk", type=int, default=20, help="steps per alternating chunk")
    bench.add_argument("--seconds", type=float, default=15.0, help="gui, explorer: seconds per alternating chunk")
    bench.add_argument("--rounds", type=int, default=3, help="gui, explorer: alternating rounds")
    bench.add_argument("--drags", type=int, default=300, help="explorer: slider moves timed per model size")
    bench.add_argument("--json", help="also write the results to this JSON file")
    bench.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        from ganstudio.gui.app import run_app

        return run_app()
    try:
        return args.func(args)
    except _user_errors() as exc:
        print(f"ganstudio: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("ganstudio: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
