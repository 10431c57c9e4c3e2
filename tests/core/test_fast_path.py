"""Every fast-path switch leaves training results equal to the plain path within float tolerance."""

import threading

import pytest
import torch

from ganstudio.core.config import PerfConfig, validate
from ganstudio.core.fast_path import (
    CompiledOrEager,
    choose_threads,
    cpu_has_amx,
    cpu_has_native_bf16,
    resolve_fast_path,
    serial_torch_here,
    usable_cores,
)
from ganstudio.core.trainer import Trainer
from tests.conftest import tiny_image_config, tiny_toy_config

PLAIN = {"optimizer_impl": "for-loop", "channels_last": "off", "autocast": "off"}


def run(perf: dict, steps: int = 3, config=None, optimizer: str | None = None):
    cfg = config or tiny_image_config()
    for key, value in {**PLAIN, **perf}.items():
        setattr(cfg.perf, key, value)
    if optimizer:
        cfg.optim.name = optimizer
    trainer = Trainer(cfg)
    start = [p.detach().clone() for p in trainer.G.parameters()]
    for _ in range(steps):
        trainer.step()
    stats = torch.tensor(
        [[s.loss_d, s.loss_g, s.d_real, s.d_fake, s.grad_norm_d, s.grad_norm_g] for s in trainer.drain_stats()]
    )
    update = torch.cat([(p.detach() - p0).flatten() for p, p0 in zip(trainer.G.parameters(), start, strict=True)])
    return trainer, stats, update


@pytest.mark.parametrize(
    "perf",
    [{"optimizer_impl": "foreach"}, {"optimizer_impl": "fused"}, {"channels_last": "on"}],
    ids=["foreach", "fused", "channels-last"],
)
def test_exact_switches_match_the_plain_path(perf):
    _, plain_stats, plain_update = run({})
    trainer, stats, update = run(perf)
    assert torch.allclose(stats, plain_stats, atol=1e-5)
    assert torch.allclose(update, plain_update, atol=1e-6)
    if perf.get("channels_last") == "on":
        conv = next(m for m in trainer.D.modules() if isinstance(m, torch.nn.Conv2d))
        assert conv.weight.is_contiguous(memory_format=torch.channels_last)


def test_bf16_autocast_follows_the_plain_path_within_its_precision():
    """With SGD the update is the gradient itself, so its direction shows the gradients agree."""
    _, plain_stats, plain_update = run({}, optimizer="sgd")
    trainer, stats, update = run({"autocast": "bf16"}, optimizer="sgd")
    assert trainer.fast.amp_dtype == torch.bfloat16 and trainer.scaler_g is None
    assert torch.allclose(stats, plain_stats, atol=0.03, rtol=0.03)
    assert torch.nn.functional.cosine_similarity(update, plain_update, dim=0) > 0.99


def test_fp16_autocast_reports_unscaled_gradients_that_match():
    """The loss scaler may skip its first steps (overflow at 2^16), so compare the first step's
    losses and gradient norms, which are reported after unscaling."""
    _, plain_stats, _ = run({}, steps=1)
    trainer, stats, update = run({"autocast": "fp16"}, steps=1)
    assert trainer.fast.amp_dtype == torch.float16 and trainer.scaler_g is not None
    assert torch.allclose(stats, plain_stats, rtol=0.03, atol=0.01)
    assert torch.isfinite(update).all()


def test_fp16_scaler_state_is_saved_and_restored():
    trainer, _, _ = run({"autocast": "fp16"}, steps=2)
    state = trainer.state_dict()
    assert "scaler_g" in state and "scaler_d" in state
    again = Trainer(trainer.config)
    again.load_state_dict(state)
    assert again.scaler_g.get_scale() == trainer.scaler_g.get_scale()


def test_compile_matches_eager():
    cfg = tiny_toy_config()
    _, plain_stats, plain_update = run({}, config=cfg.copy())
    trainer, stats, update = run({"compile": True}, config=cfg.copy())
    assert trainer._g.failure is None and trainer._d.failure is None
    assert torch.allclose(stats, plain_stats, atol=1e-4)
    assert torch.allclose(update, plain_update, atol=1e-5)


def test_compile_falls_back_to_eager_when_compiling_fails():
    module = torch.nn.Linear(3, 2)
    with pytest.warns(RuntimeWarning, match="torch.compile failed"):
        forward = CompiledOrEager(module, backend="no-such-backend")
        out = forward(torch.ones(1, 3))
    assert forward.failure is not None
    assert torch.equal(out, module(torch.ones(1, 3)))


def test_automatic_choices_per_device():
    cpu = resolve_fast_path(PerfConfig(), torch.device("cpu"), conv=True)
    native_bf16 = cpu_has_native_bf16()
    assert cpu.amp_dtype == (torch.bfloat16 if native_bf16 else None)
    assert cpu.channels_last == (not native_bf16 or cpu_has_amx())  # fp32 runs, and bf16 ones on AMX
    assert (cpu.optimizer_impl, cpu.cudnn_benchmark) == ("fused", False)
    cuda = resolve_fast_path(PerfConfig(), torch.device("cuda"), conv=True)  # the same logic, resolved without a GPU
    assert (cuda.channels_last, cuda.optimizer_impl, cuda.cudnn_benchmark) == (True, "fused", True)
    assert resolve_fast_path(PerfConfig(), torch.device("cuda"), conv=False).channels_last is False
    assert resolve_fast_path(PerfConfig(), torch.device("cpu"), conv=False, toy=True).amp_dtype is None
    forced = resolve_fast_path(PerfConfig(autocast="bf16", channels_last="on"), torch.device("cpu"), conv=True)
    assert forced.amp_dtype == torch.bfloat16 and forced.channels_last


@pytest.mark.parametrize(
    ("native_bf16", "amx", "amp", "channels_last"),
    [
        (False, False, None, True),  # fp32: channels-last helps
        (True, False, torch.bfloat16, False),  # AVX512-BF16 alone: channels-last only costs time
        (True, True, torch.bfloat16, True),  # AMX: its convolutions want channels-last
    ],
)
def test_the_cpu_choice_follows_its_bf16_and_amx_units(monkeypatch, native_bf16, amx, amp, channels_last):
    import ganstudio.core.fast_path as fast_path

    monkeypatch.setattr(fast_path, "cpu_has_native_bf16", lambda: native_bf16)
    monkeypatch.setattr(fast_path, "cpu_has_amx", lambda: amx)
    chosen = resolve_fast_path(PerfConfig(), torch.device("cpu"), conv=True)
    assert (chosen.amp_dtype, chosen.channels_last) == (amp, channels_last)
    assert not resolve_fast_path(PerfConfig(), torch.device("cpu"), conv=False).channels_last  # an MLP has no layout
    assert not resolve_fast_path(PerfConfig(channels_last="off"), torch.device("cpu"), conv=True).channels_last


def test_thread_choice_leaves_the_gui_a_core_where_there_are_enough(monkeypatch):
    import ganstudio.core.fast_path as fast_path

    for cores, gui_threads in ((1, 1), (2, 2), (3, 3), (4, 3), (16, 15)):
        monkeypatch.setattr(fast_path, "usable_cores", lambda cores=cores: cores)
        assert choose_threads(0, gui=False) == cores
        assert choose_threads(0, gui=True) == gui_threads
    assert choose_threads(3, gui=True) == 3
    assert usable_cores() >= 1


def test_fp16_with_gradient_penalties_is_refused():
    cfg = tiny_image_config()
    cfg.perf.autocast = "fp16"
    cfg.loss.kind = "wgan-gp"
    assert (
        "perf.autocast",
        "fp16 cannot carry the gradient penalties (wgan-gp, R1) through its loss scaling; use bf16",
    ) in validate(cfg)


def test_a_serial_thread_stays_serial_when_another_thread_sets_more():
    """The GUI thread calls serial_torch_here once; a training thread that starts later sets its own count
    (the global one too), which must not pull the GUI thread back into an OpenMP team of its own."""
    before = torch.get_num_threads()
    pinned, go, seen = threading.Event(), threading.Event(), {}

    def gui_thread() -> None:
        serial_torch_here()
        pinned.set()
        go.wait(10)
        torch.ones(64, 64) @ torch.ones(64, 64)
        seen["threads"] = torch.get_num_threads()

    thread = threading.Thread(target=gui_thread)
    thread.start()
    try:
        assert pinned.wait(10)
        torch.set_num_threads(2)  # what a training thread's apply_threads does on 2 cores
        go.set()
        thread.join(10)
        assert seen == {"threads": 1}
        assert torch.get_num_threads() == 2  # the other thread keeps what it set
    finally:
        go.set()
        torch.set_num_threads(before)
