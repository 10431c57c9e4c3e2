"""Engine vs a plain PyTorch loop, side by side in one process.

The plain loop is what a user would write: same networks, batch and optimizers, a
DataLoader over a TensorDataset with shuffling, BCEWithLogitsLoss. The two run in
alternating short chunks because this machine's speed drifts from minute to minute.
"""

from __future__ import annotations

import time

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ganstudio.bench.table import format_table, median, write_json
from ganstudio.core.config import preset
from ganstudio.core.data import ImageSource
from ganstudio.core.models import build_models
from ganstudio.core.trainer import Trainer


class PlainLoop:
    def __init__(self, trainer: Trainer):
        cfg = trainer.config
        torch.manual_seed(cfg.train.seed)
        self.G, self.D = build_models(cfg)
        o = cfg.optim
        make = (lambda p, lr: torch.optim.Adam(p, lr=lr, betas=(o.beta1, o.beta2))) if o.name == "adam" else \
            (lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=o.momentum))
        self.opt_g, self.opt_d = make(self.G.parameters(), o.lr_g), make(self.D.parameters(), o.lr_d)
        self.latent, self.batch, self.k = cfg.model.latent_dim, cfg.train.batch_size, cfg.train.k
        self.criterion = nn.BCEWithLogitsLoss()
        if isinstance(trainer.data, ImageSource):
            images = trainer.data.images.cpu().float() / 127.5 - 1
        else:
            images = trainer.data.sample(60000, torch.Generator().manual_seed(0)).cpu()
        self.loader = DataLoader(TensorDataset(images), batch_size=self.batch, shuffle=True, drop_last=True)
        self.batches = iter(self.loader)

    def _next(self) -> torch.Tensor:
        try:
            return next(self.batches)[0]
        except StopIteration:
            self.batches = iter(self.loader)
            return next(self.batches)[0]

    def step(self) -> None:
        ones, zeros = torch.ones(self.batch), torch.zeros(self.batch)
        for _ in range(self.k):
            real = self._next()
            fake = self.G(torch.randn(self.batch, self.latent))
            loss_d = self.criterion(self.D(real), ones) + self.criterion(self.D(fake.detach()), zeros)
            self.opt_d.zero_grad()
            loss_d.backward()
            self.opt_d.step()
        fake = self.G(torch.randn(self.batch, self.latent))
        loss_g = self.criterion(self.D(fake), ones)
        self.opt_g.zero_grad()
        loss_g.backward()
        self.opt_g.step()
        self.last = (loss_d.item(), loss_g.item())  # what a plain loop prints or logs each step


def _chunk_rate(step, steps: int, batch: int) -> float:
    started = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * batch / (time.perf_counter() - started)


# Each fast-path switch flipped away from the automatic choice, one at a time.
SWITCHES = [
    ("autocast off", {"autocast": "off"}), ("autocast bf16", {"autocast": "bf16"}),
    ("channels-last off", {"channels_last": "off"}), ("channels-last on", {"channels_last": "on"}),
    ("optimizer for-loop", {"optimizer_impl": "for-loop"}), ("optimizer foreach", {"optimizer_impl": "foreach"}),
    ("optimizer fused", {"optimizer_impl": "fused"}), ("torch.compile", {"compile": True}),
]


def _variants(name: str, compile_too: bool) -> list[tuple[str, Trainer, float]]:
    """(label, trainer, warm-up seconds): the automatic fast path first, then every distinct flip."""
    out, seen = [], set()
    for label, perf in [("engine, auto", {}), *SWITCHES]:
        if perf.get("compile") and not compile_too:
            continue
        cfg = preset(name)
        cfg.train.device = "cpu"
        for key, value in perf.items():
            setattr(cfg.perf, key, value)
        trainer = Trainer(cfg)
        if trainer.fast in seen:
            continue
        seen.add(trainer.fast)
        started = time.perf_counter()
        trainer.step()
        trainer.step()  # a compiled step recompiles once for G's update (D frozen)
        out.append((label, trainer, time.perf_counter() - started))
    return out


def run_speed(preset_names: list[str], steps: int, chunk: int, json_path: str | None,
              compile_too: bool = True) -> str:
    rows, results = [], {}
    for name in preset_names:
        variants = _variants(name, compile_too)
        engine = variants[0][1]
        plain = PlainLoop(engine)
        plain.step()
        batch = engine.config.train.batch_size
        rates: dict[str, list[float]] = {label: [] for label, _, _ in variants}
        plain_rates = []
        for _ in range(max(1, steps // chunk)):
            plain_rates.append(_chunk_rate(plain.step, chunk, batch))
            for label, trainer, _ in variants:
                rates[label].append(_chunk_rate(trainer.step, chunk, batch))
                trainer.drain_stats()
        p = median(plain_rates)
        rows.append([name, "plain PyTorch loop", "", f"{p:,.0f}", "1.00x", ""])
        results[name] = {"plain_images_per_s": p, "chunks": len(plain_rates), "chunk_steps": chunk, "variants": {}}
        for label, trainer, warm in variants:
            e = median(rates[label])
            failed = getattr(trainer._g, "failure", None)
            rows.append([name, label, trainer.fast.describe(), f"{e:,.0f}", f"{e / p:.2f}x",
                         f"{warm:.1f} s" + (" (compile failed: eager)" if failed else "")])
            results[name]["variants"][label] = {"fast_path": trainer.fast.describe(), "images_per_s": e,
                                                "ratio": e / p, "warm_up_s": warm, "compile_failure": failed}
    write_json(json_path, "speed", {"threads": torch.get_num_threads(), "results": results})
    return format_table(["preset", "variant", "fast path", "img/s", "vs plain", "first 2 steps"], rows)
