"""The performance section: the fast path and the number of processes."""

from __future__ import annotations

from dataclasses import dataclass

from ganstudio.core.field_spec import PERFORMANCE, setting


@dataclass
class PerfConfig:
    """The fast path. Each switch keeps results equal to the plain path within float tolerance;
    "auto" picks what measured fastest for the device (see core/fast_path.py)."""

    channels_last: str = setting(
        "auto",
        "Channels-last",
        "NHWC memory format for the DCGAN's convolutions. Auto: on "
        "for CUDA, for fp32 runs on the CPU, and for bf16 on CPUs with AMX (without AMX it costs time on top of bf16)",
        choices=("auto", "on", "off"),
        fold=PERFORMANCE,
    )
    autocast: str = setting(
        "auto",
        "Autocast",
        "Mixed precision. Auto: bf16 for image models on GPUs and on CPUs "
        "with native bf16 (AVX512-BF16, AMX); toy data stays fp32. fp16 adds loss scaling and "
        "cannot carry gradient penalties",
        choices=("auto", "off", "bf16", "fp16"),
        fold=PERFORMANCE,
    )
    optimizer_impl: str = setting(
        "auto",
        "Optimizer kernels",
        "How Adam/SGD update the weights: fused kernels (auto "
        "on CUDA and the CPU), foreach over all tensors at once, or a plain loop",
        choices=("auto", "fused", "foreach", "for-loop"),
        fold=PERFORMANCE,
    )
    compile: bool = setting(
        False,
        "torch.compile",
        "torch.compile G and D: the first step takes a minute or more to "
        "compile; falls back to normal execution if compiling fails",
        fold=PERFORMANCE,
    )
    cudnn_benchmark: bool = setting(
        True,
        "cuDNN autotune",
        "Let cuDNN time its convolution algorithms on the first steps and keep the fastest (CUDA only)",
        fold=PERFORMANCE,
    )
    threads: int = setting(
        0,
        "CPU threads",
        "CPU threads for training. Auto: every core; with 4 or more, one is left "
        "to the window so plots and sliders stay smooth",
        at_least=0,
        at_most=1024,
        zero="auto",
        fold=PERFORMANCE,
    )
    processes: int = setting(
        1,
        "Processes",
        "Train on this many processes through torchrun: one per GPU, or CPU "
        "processes; the global batch is split between them. With more than one, Start "
        "launches torchrun and the window watches the run folder",
        at_least=1,
        at_most=1024,
        fold=PERFORMANCE,
    )
