"""A checkpoint's optimizer state, checked before it is loaded and loaded without its settings.

The moments are numbers the fused and foreach kernels index and divide by without checks of their own: a
moment of the wrong shape reads out of bounds (the process dies with a segfault), a NaN, negative second
moment or negative step count trains NaN. And the saved param groups carry betas, eps and weight decay,
which the run's config decides (a resume may not change them), so the config's are kept over the file's.
"""

from __future__ import annotations

import math
from typing import Any

import torch

# the state entries that are a scalar count, not one number per weight
SCALAR_STATE = frozenset({"step"})
# second moments and counts: a negative one is a square root of a negative number or a bias correction
# that divides by zero, NaN from the first step on
NON_NEGATIVE_STATE = frozenset({"step", "exp_avg_sq", "max_exp_avg_sq", "square_avg"})


def optimizer_state_problem(optimizer: torch.optim.Optimizer, saved: object) -> str:
    """Why `saved` is not a state this optimizer can train on ("" when it is): its groups must hold as
    many parameters as the optimizer's, and each entry be a finite tensor of its parameter's shape and
    dtype (a finite scalar for the step count), non-negative where it must be."""
    if not isinstance(saved, dict) or not isinstance(saved.get("state"), dict):
        return "is not an optimizer's state"
    groups = saved.get("param_groups")
    live = optimizer.param_groups
    if (
        not isinstance(groups, list)
        or len(groups) != len(live)
        or any(
            not isinstance(g, dict)
            or not isinstance(g.get("params"), list)
            or len(g["params"]) != len(h["params"])
            or not all(isinstance(key, int) for key in g["params"])
            for g, h in zip(groups, live, strict=False)
        )
    ):
        return "does not fit the model's parameters"
    param_of = {
        key: param
        for group, mine in zip(groups, live, strict=True)
        for key, param in zip(group["params"], mine["params"], strict=True)
    }
    for key, entry in saved["state"].items():
        param = param_of.get(key)
        if param is None or not isinstance(entry, dict):
            return "names a parameter the model has not"
        for name, value in entry.items():
            problem = _problem(name, value, param)
            if problem:
                return f"holds {name} of parameter {key}, which {problem}"
    return ""


def _problem(name: object, value: object, param: torch.Tensor) -> str:
    if value is None:  # SGD without momentum keeps a None buffer
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float, torch.Tensor)):
        return "is not a number or a tensor"
    if not isinstance(value, torch.Tensor):
        number = float(value)
        if not math.isfinite(number) or (name in NON_NEGATIVE_STATE and number < 0):
            return f"is {number}"
        return "" if name in SCALAR_STATE else "is a number, not one per weight"
    if value.layout is not torch.strided or not value.is_floating_point():
        return "is not a dense tensor of real numbers"
    if name in SCALAR_STATE:
        if value.numel() != 1:
            return f"has {value.numel()} numbers, not one"
    elif tuple(value.shape) != tuple(param.shape) or value.dtype != param.dtype:
        return f"is a {value.dtype} tensor of shape {list(value.shape)}, not {param.dtype} {list(param.shape)}"
    if not bool(torch.isfinite(value).all()):
        return "is not all finite numbers (NaN or Inf)"
    if name in NON_NEGATIVE_STATE and bool((value < 0).any()):
        return "has negative numbers"
    return ""


def load_optimizer_state(optimizer: torch.optim.Optimizer, saved: dict[str, Any]) -> None:
    """load_state_dict, then the optimizer's own group settings (from the run's config) put back."""
    settings = [{k: v for k, v in group.items() if k != "params"} for group in optimizer.param_groups]
    optimizer.load_state_dict(saved)
    for group, chosen in zip(optimizer.param_groups, settings, strict=True):
        group.update(chosen)
