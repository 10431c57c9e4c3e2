"""Reading a .npy file a person hands over (images to classify, points drawn in the lab)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganstudio.core.data.errors import DataError


def read_npy(path: str | Path) -> np.ndarray:
    """The array in a .npy file, never unpickled. numpy's own refusals speak of pickled data and how to
    load it unsafely; these say what is wrong with the file instead."""
    try:
        with Path(path).open("rb") as file:
            if file.read(len(np.lib.format.MAGIC_PREFIX)) != np.lib.format.MAGIC_PREFIX:
                raise DataError(f"{path} is not a .npy file (it does not start with NumPy's header)")
            file.seek(0)
            array = np.load(file, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise DataError(f"{path} holds Python objects, not numbers (such files are never unpickled)") from None
        raise DataError(f"{path} is not a readable .npy file ({str(exc).splitlines()[0]})") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{path} is not a readable .npy file ({exc or type(exc).__name__})") from None
    return np.asarray(array)
