"""One error family for quality scoring, so the CLI and the GUI can show it as one clear line."""


class QualityError(RuntimeError):
    """Quality metrics cannot be computed (missing weights, toy data, too few images...)."""
