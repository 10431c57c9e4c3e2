"""A network switched to eval mode for a look that must leave the run as it was."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn


@contextmanager
def eval_mode(net: nn.Module) -> Iterator[nn.Module]:
    """net in eval mode inside the block, its own mode restored after. In train mode a mere look would
    change the run: BatchNorm's running statistics move, spectral norm takes a power iteration (its u
    and v are state), and noise or dropout layers draw from the run's random stream."""
    was_training = net.training
    net.eval()
    try:
        yield net
    finally:
        net.train(was_training)
