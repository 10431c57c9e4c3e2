"""Options several benches share, spelled the same way in each bench's subcommand."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from ganstudio.cli_types import output_file
from ganstudio.core.config import PRESETS, override_field


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


def add_set(parser: argparse.ArgumentParser, owned: Mapping[str, str] | None = None) -> None:
    """owned: the fields this bench sets itself, each with the option that sets it. A --set of one was
    dropped without a word while the table's row suggested it had been applied."""
    owned = dict(owned or {})

    def assignment(text: str) -> str:
        field = override_field(text)
        if field in owned:
            raise argparse.ArgumentTypeError(f"{field} is set by this bench itself ({owned[field]}); give it there")
        return text

    parser.add_argument(
        "--set",
        action="append",
        type=assignment,
        metavar="SECTION.FIELD=VALUE",
        help="config override on top of the preset, e.g. --set model.pack=4 (repeatable)",
    )


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=output_file, help="also write the results to this JSON file")
