"""The one error type every dataset loader raises."""


class DataError(RuntimeError):
    """A dataset that cannot be loaded, with what to do about it."""
