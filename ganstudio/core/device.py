"""Choosing the training device: CUDA, then Apple's MPS, then the CPU, unless told otherwise."""

from __future__ import annotations

import torch

from ganstudio.core.wording import counted


class DeviceError(RuntimeError):
    pass


def select_device(name: str = "auto") -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        device = None
    if device is None or device.type not in ("cpu", "cuda", "mps"):
        raise DeviceError(f"device {name!r} is not one of auto, cpu, cuda, cuda:N or mps")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"device {name!r} asked for, but CUDA is not available on this machine")
        index = device.index or 0
        if index >= torch.cuda.device_count():
            raise DeviceError(f"device {name!r} asked for, but there are {torch.cuda.device_count()} CUDA devices")
    if device.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise DeviceError("device 'mps' asked for, but Apple's MPS is not available on this machine")
    return device


def describe_device(device: torch.device, threads: int | None = None) -> str:
    """threads: what a CPU run uses; by default this thread's torch count, which is right on a training
    thread but not on the window's GUI thread (it runs torch on one thread: fast_path.serial_torch_here)."""
    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple MPS"
    count = torch.get_num_threads() if threads is None else threads
    return f"CPU ({counted(count, 'thread')})"


def available_devices() -> list[tuple[str, str]]:
    """(config value, label) for every device that exists here."""
    found = [("auto", "Auto"), ("cpu", "CPU")]
    if torch.cuda.is_available():
        found += [(f"cuda:{i}", f"CUDA {i}: {torch.cuda.get_device_name(i)}") for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        found.append(("mps", "Apple MPS"))
    return found


def warm_engine() -> None:
    """Pays the first-use costs of training ahead of Start: the first optimizer built imports
    torch._dynamo (over a second), once per process."""
    weight = torch.zeros(1, requires_grad=True)
    torch.optim.Adam([weight])
