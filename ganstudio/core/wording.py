"""Counts said in words the way a person writes them: "1 image", "2,000 images"."""


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """n with the noun in the number it takes; `plural` for nouns that do not just add an s."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
