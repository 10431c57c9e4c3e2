"""Options several benches share, spelled the same way in each bench's subcommand (the argument types serve
the other commands too)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from ganstudio.core.config import PRESETS


def add_preset(parser: argparse.ArgumentParser, default: str | tuple[str, ...] | None, many: bool = False) -> None:
    """--preset, checked against the preset table; `many`: repeatable, and the bench measures each."""
    shown = ", ".join(default) if isinstance(default, tuple) else default
    parser.add_argument(
        "--preset",
        action="append" if many else "store",
        choices=PRESETS,
        metavar="PRESET",
        help=f"preset to measure{' (repeatable)' if many else ''}"
        + (f" (default: {shown})" if shown else "")
        + "; see `ganstudio presets`",
    )


def presets_or(args: argparse.Namespace, default: tuple[str, ...]) -> list[str]:
    return list(args.preset) if args.preset else list(default)


def add_set(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set",
        action="append",
        metavar="SECTION.FIELD=VALUE",
        help="config override on top of the preset, e.g. --set model.pack=4 (repeatable)",
    )


def output_file(text: str) -> str:
    """An argparse type: a file written when a command's work is done (a bench's --json, eval's, classify's
    --out), refused before the work starts if it cannot be one (a folder, or in a folder that does not
    exist), not after minutes of it."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give the file to write")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"there is no folder {path.parent} to write {path.name} in")
    return text


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=output_file, help="also write the results to this JSON file")


def at_least(minimum: int, why: str = "", at_most: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number no smaller than `minimum` (`why` says what needs it), and no
    larger than `at_most` when given."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum:,}{why}, not {value:,}")
        if at_most is not None and value > at_most:
            raise argparse.ArgumentTypeError(f"must be at most {at_most:,}, not {value:,}")
        return value

    return parse


positive_int = at_least(1)


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value
