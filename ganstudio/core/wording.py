"""Counts and lists said in words the way a person writes them: "1 image", "2,000 images", "a, b and 3 more"."""

# How rank 0 says that another rank went: the launcher (`train --nproc`) finds the line by it and names the rank,
# and a window that launched the run leads its banner with that name (here, not in core.distributed, which loads torch).
LOST_PEER = "another process of this run ended or stopped answering"


def run_folder_gone(path: object) -> str:
    """A run folder no longer where it was named: where it went is not known here."""
    return f"the run folder {path} is gone (moved or removed)"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """n with the noun in the number it takes; `plural` for nouns that do not just add an s."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def first_named(names: list[str], shown: int = 3) -> str:
    """The first few of names, and how many more: a list of thousands stays one line."""
    more = f" and {len(names) - shown:,} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def sentence(text: str) -> str:
    """A reason made to stand as a sentence after another: errors say theirs in lower case, to follow a colon.
    One that begins with a name (a field, "optim.lr_g: ...", a path, a device) is left as it is."""
    first = text.split(" ", 1)[0].rstrip(":;,")
    return text[:1].upper() + text[1:] if first.isalpha() and first.islower() else text
