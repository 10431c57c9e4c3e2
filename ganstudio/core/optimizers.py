"""The optimizers a run can use, and the gradient norm the stats report."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from ganstudio.core.sections.optim import OptimConfig


def make_optimizer(
    params: Iterable[nn.Parameter], name: str, lr: float, config: OptimConfig, impl: dict[str, Any]
) -> torch.optim.Optimizer:
    """impl: the fast path's implementation (fused, foreach or a for-loop; resolve_fast_path never asks
    RMSprop, which has no fused kernel, for fused)."""
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=config.momentum, **impl)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, **impl)
    return torch.optim.Adam(params, lr=lr, betas=(config.beta1, config.beta2), **impl)


def grad_norm(module: nn.Module) -> torch.Tensor:
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    return torch.nn.utils.get_total_norm(grads)
