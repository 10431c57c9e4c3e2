"""A plain PyTorch training loop, as a user would write it: the baseline `bench speed` compares with.

Same networks, batch and optimizers as the engine, a DataLoader over a TensorDataset with
shuffling, BCEWithLogitsLoss.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ganstudio.core.data import ImageSource
from ganstudio.core.models import build_models
from ganstudio.core.optimizers import make_optimizer
from ganstudio.core.trainer import Trainer


class PlainLoop:
    def __init__(self, trainer: Trainer):
        cfg = trainer.config
        torch.manual_seed(cfg.train.seed)
        self.G, self.D = build_models(cfg)
        o = cfg.optim
        self.opt_g = make_optimizer(self.G.parameters(), o.name, o.lr_g, o, {})
        self.opt_d = make_optimizer(self.D.parameters(), o.name, o.lr_d, o, {})
        self.latent, self.batch, self.k = cfg.model.latent_dim, cfg.train.batch_size, cfg.train.k
        self.g_steps = cfg.train.g_steps  # the G updates a step of the app's trainer makes
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
        for _ in range(self.g_steps):
            fake = self.G(torch.randn(self.batch, self.latent))
            loss_g = self.criterion(self.D(fake), ones)
            self.opt_g.zero_grad()
            loss_g.backward()
            self.opt_g.step()
        self.last = (loss_d.item(), loss_g.item())  # what a plain loop prints or logs each step
