"""One error family for quality scoring, so the CLI and the GUI can show it as one clear line."""


class QualityError(RuntimeError):
    """Quality metrics cannot be computed (missing weights, toy data, too few images...)."""


MIN_REAL_IMAGES = 20  # half compared against, half the memorisation reference: 10 a side at least


def too_few_real(named: str, count: int) -> str:
    """eval's words for real images too few to compare with (named: their folder or dataset)."""
    return f"quality scores need at least {MIN_REAL_IMAGES} real images; {named} holds {count:,}"


def too_few_to_score(count: int) -> str:
    return (
        f"quality scores need at least {MIN_REAL_IMAGES} real images and the dataset has {count}: add images, "
        "or set quality.every=0 (Score every, in Setup's Quality metrics fold) to train without scores"
    )
