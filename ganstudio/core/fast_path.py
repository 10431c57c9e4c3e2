"""The fast path: concrete choices for a device from the config's perf switches.

Every switch must leave results equal to the plain path within float tolerance (tests compare
a few steps with each switch on and off, on the CPU). "auto" means what was measured to be
fastest: on CUDA channels-last, bf16 autocast, fused optimizers and cuDNN autotuning; on a CPU
fused optimizers, bf16 autocast when the CPU has native bf16 instructions (AVX512-BF16 or AMX),
and channels-last when it runs in fp32 or has AMX tiles (oneDNN's AMX convolutions work on
channels-last blocks: without them, every convolution reorders its input; with AVX512-BF16 alone
channels-last costs time on top of bf16). The figures: README, `ganstudio bench speed`; their
history: CHANGELOG.
"""

from __future__ import annotations

import os
import warnings
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ganstudio.core.config import PerfConfig

AMP_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}
UNFUSED_OPTIMIZERS = ("rmsprop",)  # torch has no fused kernel for them


@dataclass(frozen=True)
class FastPath:
    device_type: str
    channels_last: bool
    amp_dtype: torch.dtype | None
    optimizer_impl: str  # "fused" | "foreach" | "for-loop"
    compile: bool
    cudnn_benchmark: bool

    @property
    def needs_scaler(self) -> bool:
        """fp16 gradients underflow without loss scaling; bf16 has fp32's range and needs none."""
        return self.amp_dtype == torch.float16

    def grad_scaler(self) -> torch.amp.GradScaler | None:
        """A loss scaler for an fp16 run, from 2^10, not 2^16: GAN gradients are large and 2^16 overflows at
        once; None for every other precision."""
        return torch.amp.GradScaler(self.device_type, init_scale=2.0**10) if self.needs_scaler else None

    def autocast(self) -> AbstractContextManager[object]:
        if self.amp_dtype is None:
            return nullcontext()
        return torch.autocast(device_type=self.device_type, dtype=self.amp_dtype)

    def optimizer_kwargs(self) -> dict[str, Any]:
        return {"fused": {"fused": True}, "foreach": {"foreach": True}, "for-loop": {"foreach": False}}[
            self.optimizer_impl
        ]

    def describe(self) -> str:
        parts = [f"{self.optimizer_impl} optimizers"]
        if self.channels_last:
            parts.append("channels-last")
        if self.amp_dtype is not None:
            parts.append(f"{str(self.amp_dtype).removeprefix('torch.')} autocast")
        if self.compile:
            parts.append("torch.compile")
        if self.cudnn_benchmark:
            parts.append("cuDNN autotune")
        return ", ".join(parts)


def cpu_has_native_bf16() -> bool:
    """AVX512-BF16 or AMX: where bf16 matmuls and convolutions run faster than fp32 (oneDNN's own test)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def cpu_has_amx() -> bool:
    """AMX tiles (Intel Xeon since Sapphire Rapids); torch only answers through a private helper, so a
    torch without it counts as no AMX (the slower choice, never a wrong result)."""
    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
    try:
        return bool(probe()) if probe is not None else False
    except RuntimeError:
        return False


def auto_amp(device: torch.device) -> torch.dtype | None:
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else None
    if device.type == "cpu":
        return torch.bfloat16 if cpu_has_native_bf16() else None
    return None


def resolve_fast_path(
    perf: PerfConfig, device: torch.device, conv: bool, toy: bool = False, optimizer: str = "adam"
) -> FastPath:
    """toy: 2D/1D distributions, whose mode metrics need finer positions than bf16's 8 bits give
    (points near 1.0 land on a 0.008 grid against a mode std of 0.01), so auto keeps them fp32.
    optimizer: RMSprop has no fused kernel, so it gets foreach where fused is asked for."""
    cuda = device.type == "cuda"
    amp = (None if toy else auto_amp(device)) if perf.autocast == "auto" else AMP_DTYPES.get(perf.autocast)
    impl = perf.optimizer_impl
    if impl == "auto":
        impl = "fused" if device.type in ("cuda", "cpu") else "foreach"
    if impl == "fused" and optimizer in UNFUSED_OPTIMIZERS:
        impl = "foreach"
    auto_channels_last = cuda or (device.type == "cpu" and (amp is None or cpu_has_amx()))
    return FastPath(
        device_type=device.type,
        channels_last=conv and (perf.channels_last == "on" or (perf.channels_last == "auto" and auto_channels_last)),
        amp_dtype=amp,
        optimizer_impl=impl,
        compile=perf.compile,
        cudnn_benchmark=cuda and perf.cudnn_benchmark,
    )


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity call
        return os.cpu_count() or 1


GUI_CORE_MIN_CORES = 4


def choose_threads(requested: int, gui: bool) -> int:
    """Intra-op threads for CPU training: all cores headless; with the window open and 4 or more
    cores, one core is left to the GUI thread so plots and sliders stay smooth.

    On 2 cores, leaving one idle slowed training far more than it smoothed the window, which stayed
    under its lag aim either way, so there the GUI shares (README and CHANGELOG, bench gui).
    """
    if requested > 0:
        return requested
    cores = usable_cores()
    return cores - 1 if gui and cores >= GUI_CORE_MIN_CORES else cores


def apply_threads(requested: int, gui: bool) -> int:
    threads = choose_threads(requested, gui)
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


def serial_torch_here() -> None:
    """This thread runs its torch ops on itself alone, from now on. With libgomp (torch's OpenMP), a
    thread that has once run a parallel op keeps a team of worker threads for as long as it lives, and
    once the process holds more of them than there are cores, every team's workers sleep between
    operations instead of spinning: the training thread's many small operations then wait on wake-ups.
    The window's GUI thread (explorer renders of a few images) calls this before its first torch op.

    torch's count is per thread once a thread has run an op, but a thread that has not yet inherits the
    count last set anywhere: a thread that wants all cores sets them itself (apply_threads)."""
    torch.set_num_threads(1)
    torch.get_num_threads()  # initialises this thread's count now, so a later set elsewhere leaves it at 1


class CompiledOrEager:
    """torch.compile'd forward that falls back to the eager module for good when compiling fails.

    Compilation happens lazily on the first call, so that is where failures (no C++ compiler,
    an unsupported op) surface; the parameters are the module's own either way.
    """

    def __init__(self, module: nn.Module, backend: str = "inductor"):
        self.module = module
        self.failure: str | None = None
        try:
            self._compiled = torch.compile(module, backend=backend)
        except Exception as exc:  # noqa: BLE001 - any failure means: run eager
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        self.failure = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        warnings.warn(
            f"torch.compile failed, training continues without it ({self.failure})", RuntimeWarning, stacklevel=3
        )

    def __call__(self, *args: torch.Tensor) -> Any:
        if self.failure is None:
            try:
                return self._compiled(*args)
            except Exception as exc:  # noqa: BLE001
                self._fail(exc)
        return self.module(*args)
