"""`ganstudio config`: what a preset sets, or which fields `--set` and a config file may name, with
their defaults, allowed values and help, straight from the fields' metadata."""

from __future__ import annotations

import argparse
import shutil
import textwrap
from itertools import zip_longest

from ganstudio.core.config import CONFIG_FIELDS, DEFAULT_PRESET, PRESETS, preset

HELP = "print a preset's full config as JSON, or every config field (--fields)"
COLUMNS = ("field", "default", "allowed", "help")
ANY_OF_TYPE = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "str": "text",
    "str | None": "text or null",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--preset",
        choices=PRESETS,
        metavar="PRESET",
        help=f"the preset to print (default: {DEFAULT_PRESET}; see `ganstudio presets`); with --fields, "
        "its values instead of the defaults",
    )
    parser.add_argument(
        "--fields",
        action="store_true",
        help="list every field: its default, the values it "
        "accepts, whether it can change during a run, and what it does",
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    if args.fields:
        print(fields_table(shutil.get_terminal_size().columns, args.preset))
    else:
        print(preset(args.preset or DEFAULT_PRESET).to_json())
    return 0


def fields_table(width: int, preset_name: str | None = None) -> str:
    """One row per field; the help column takes what the terminal has left and wraps inside it. With a
    preset, its values stand where the defaults do (`--fields --preset ring-8` printed the defaults)."""
    chosen = preset(preset_name) if preset_name else None
    columns = (COLUMNS[0], preset_name or COLUMNS[1], *COLUMNS[2:])
    rows = [
        (
            f.path,
            _shown(f.value_in(chosen) if chosen else f.default),
            (f.spec.allowed(f.kind) or ANY_OF_TYPE[f.kind]) + ("; live" if f.spec.live else ""),
            f.spec.help,
        )
        for f in CONFIG_FIELDS
    ]
    widths = [max(len(columns[0]), *(len(r[0]) for r in rows)), max(len(columns[1]), *(len(r[1]) for r in rows)), 30]
    widths.append(max(30, width - sum(widths) - 2 * len(widths)))
    lines = []
    for row in (columns, *rows):
        cells = [textwrap.wrap(text, w, break_on_hyphens=False) or [""] for text, w in zip(row, widths, strict=True)]
        for parts in zip_longest(*cells, fillvalue=""):
            lines.append("  ".join(part.ljust(w) for part, w in zip(parts, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _shown(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}" if isinstance(value, float) else str(value)
