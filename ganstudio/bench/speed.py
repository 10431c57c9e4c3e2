"""`ganstudio bench speed`: the engine vs a plain PyTorch loop (bench.plain_loop), side by side in one
process. The two run in alternating short chunks because this machine's speed drifts from minute
to minute.
"""

from __future__ import annotations

import argparse
import logging
import time
from typing import TYPE_CHECKING, Any

from ganstudio.bench.arguments import add_json, add_preset, presets_or
from ganstudio.bench.table import format_table, median, write_json
from ganstudio.cli_types import positive_int
from ganstudio.core.config import DEFAULT_PRESET, preset

if TYPE_CHECKING:  # torch loads when the bench runs, not when the CLI parses its arguments
    from ganstudio.core.trainer import Trainer

HELP = "training speed: the engine's fast paths against a plain PyTorch loop"
DEFAULT_PRESETS = (DEFAULT_PRESET, "fashion-dcgan", "paper-mlp-fashion")
MIN_CHUNKS = 5  # medians of fewer alternating chunks move with whatever else the machine does


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_preset(parser, DEFAULT_PRESETS, many=True)
    parser.add_argument("--steps", type=positive_int, default=200, help="steps per side (default: 200)")
    parser.add_argument("--chunk", type=positive_int, default=20, help="steps per alternating chunk (default: 20)")
    parser.add_argument(
        "--no-compile",
        action="store_true",
        help="skip the torch.compile variant (its first step compiles for a minute or more)",
    )
    add_json(parser)


def main(args: argparse.Namespace) -> int:
    from ganstudio.bench.child_process import BenchError

    names = presets_or(args, DEFAULT_PRESETS)
    semi = [name for name in names if preset(name).train.labelled_per_class]
    if semi:
        raise BenchError(
            f"{semi[0]} is semi-supervised, and bench speed races a plain GAN loop: `ganstudio bench semi` measures it"
        )
    print(
        run_speed(
            names,
            steps=args.steps,
            chunk=args.chunk,
            json_path=args.json,
            compile_too=not args.no_compile,
        )
    )
    return 0


def _chunk_rate(step, steps: int, batch: int) -> float:
    started = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * batch / (time.perf_counter() - started)


# Each fast-path switch flipped away from the automatic choice, one at a time.
SWITCHES: list[tuple[str, dict[str, object]]] = [
    ("autocast off", {"autocast": "off"}),
    ("autocast bf16", {"autocast": "bf16"}),
    ("channels-last off", {"channels_last": "off"}),
    ("channels-last on", {"channels_last": "on"}),
    ("optimizer for-loop", {"optimizer_impl": "for-loop"}),
    ("optimizer foreach", {"optimizer_impl": "foreach"}),
    ("optimizer fused", {"optimizer_impl": "fused"}),
    ("torch.compile", {"compile": True}),
]


def _variants(name: str, compile_too: bool) -> list[tuple[str, Trainer, float]]:
    """(label, trainer, warm-up seconds): the automatic fast path first, then every distinct flip."""
    from ganstudio.bench.trainers import bench_trainer

    out, seen = [], set()
    auto: tuple[str, dict[str, object]] = ("engine, auto", {})
    for label, perf in [auto, *SWITCHES]:
        if perf.get("compile") and not compile_too:
            continue
        cfg = preset(name)
        cfg.train.device = "cpu"
        for key, value in perf.items():
            setattr(cfg.perf, key, value)
        trainer = bench_trainer(cfg)
        if trainer.fast in seen:
            continue
        seen.add(trainer.fast)
        started = time.perf_counter()
        trainer.step()
        trainer.step()  # a compiled step recompiles once for G's update (D frozen)
        out.append((label, trainer, time.perf_counter() - started))
    return out


def run_speed(preset_names: list[str], steps: int, chunk: int, json_path: str | None, compile_too: bool = True) -> str:
    import torch

    from ganstudio.bench.plain_loop import PlainLoop

    # torch.compile's look for a CUDA toolkit printed "No CUDA runtime is found" above the table on a CPU machine
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)

    rows: list[list[str]] = []
    results: dict[str, dict[str, Any]] = {}
    chunks = max(1, steps // chunk)
    for name in preset_names:
        variants = _variants(name, compile_too)
        engine = variants[0][1]
        plain = PlainLoop(engine)
        plain.step()
        batch = engine.config.train.batch_size
        rates: dict[str, list[float]] = {label: [] for label, _, _ in variants}
        plain_rates = []
        for _ in range(chunks):
            plain_rates.append(_chunk_rate(plain.step, chunk, batch))
            for label, trainer, _ in variants:
                rates[label].append(_chunk_rate(trainer.step, chunk, batch))
                trainer.drain_stats()
        p = median(plain_rates)
        rows.append([name, "plain PyTorch loop", "", f"{p:,.0f}", "1.00x", ""])
        results[name] = {"plain_images_per_s": p, "chunks": len(plain_rates), "chunk_steps": chunk, "variants": {}}
        for label, trainer, warm in variants:
            e = median(rates[label])
            failed = getattr(trainer._g, "failure", None)
            rows.append(
                [
                    name,
                    label,
                    trainer.fast.describe(),
                    f"{e:,.0f}",
                    f"{e / p:.2f}x",
                    f"{warm:.1f} s" + (" (compile failed: eager)" if failed else ""),
                ]
            )
            results[name]["variants"][label] = {
                "fast_path": trainer.fast.describe(),
                "images_per_s": e,
                "ratio": e / p,
                "warm_up_s": warm,
                "compile_failure": failed,
            }
    write_json(json_path, "speed", {"threads": torch.get_num_threads(), "results": results})
    table = format_table(["preset", "variant", "fast path", "img/s", "vs plain", "first 2 steps"], rows)
    if chunks < MIN_CHUNKS:  # one chunk's median is one measurement: the first variant timed took the warm-up
        table += (
            f"\n{chunks} chunk{'s' if chunks > 1 else ''} of {chunk} steps per side: too few for these ratios to "
            f"mean much (compare at {MIN_CHUNKS} chunks or more: --steps {MIN_CHUNKS * chunk})"
        )
    return table
