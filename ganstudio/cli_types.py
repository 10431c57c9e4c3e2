"""argparse types and checks shared by every command (train, sample, eval, classify and the benches): a bad
value is refused while the arguments are parsed, before any work starts."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from pathlib import Path


def named(text: str) -> str:
    """A name or path that must not be empty: `--resume ""` started a new run."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def checkpoint_file(text: str) -> str:
    """A checkpoint, or a run folder standing for its latest one: a new user gives the folder `train` printed
    and was told it "is not a regular file"."""
    from ganstudio.core.runlog import RunDirectory

    run = RunDirectory(Path(named(text)).expanduser())
    if not run.path.is_dir():
        return text
    if run.config_path.is_file() and run.latest_checkpoint.is_file():
        return str(run.latest_checkpoint)
    raise argparse.ArgumentTypeError(
        f"{text} is a folder: give a checkpoint (.pt file), or a run folder that has saved one "
        "(its checkpoints/latest.pt is taken)"
    )


def output_file(text: str) -> str:
    """A file written when a command's work is done (a bench's --json, eval's, classify's --out), refused
    before the work starts if it cannot be one (a folder, or in a folder that does not exist), not after
    minutes of it."""
    path = Path(named(text))  # "" is the current folder: "argument --json:  is a folder"
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give the file to write")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"there is no folder {path.parent} to write {path.name} in")
    if path.is_symlink() or not path.exists() or path.is_file():  # a device or a pipe is written in place
        from ganstudio.core.atomic import cannot_write_in

        folder = Path(os.path.realpath(path)).parent  # where its temp file goes, beside the file (or link's target)
        if (reason := cannot_write_in(folder)) is not None:
            raise argparse.ArgumentTypeError(f"the folder {folder} cannot be written to ({reason})")
    return text


def at_least(minimum: int, why: str = "", at_most: int | None = None) -> Callable[[str], int]:
    """A whole number no smaller than `minimum` (`why` says what needs it), and no larger than `at_most`
    when given."""

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


MAX_DURATION = 100_000  # seconds or minutes: a day's measurement is the longest anyone means


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= MAX_DURATION:  # inf overflows Qt's timers, and a year is no bench
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most {MAX_DURATION:,}, not {text}")
    return value


def flags_given(options: Mapping[str, object]) -> list[str]:
    """The flags among `options` (flag -> parsed value) that the user gave: a value other than None, False
    or an empty list (an unused repeatable flag). A command that cannot use them names them instead of
    ignoring them."""
    return [flag for flag, value in options.items() if value is not None and value is not False and value != []]
