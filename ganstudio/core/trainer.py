"""The Trainer: Algorithm 1 of Goodfellow et al. (2014) with modern loss and optimizer choices.

It owns G, D, both optimizers and one random generator through which every draw (noise,
data indices) goes, so a saved state resumes bit for bit on the CPU. Per-step stats stay
on the device until drain_stats(), which syncs once for many steps.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from ganstudio.core import losses, schedules
from ganstudio.core.augment import Augmenter
from ganstudio.core.config import LIVE_FIELDS, LIVE_SECTIONS, RunConfig, check
from ganstudio.core.data import DataSource, ImageSource, ToyDistribution, build_data_source
from ganstudio.core.data.classes import balanced_labels
from ganstudio.core.data.errors import DataError
from ganstudio.core.device import select_device
from ganstudio.core.fast_path import CompiledOrEager, FastPath, resolve_fast_path
from ganstudio.core.fixed_latents import FIXED_COLUMNS as FIXED_COLUMNS
from ganstudio.core.fixed_latents import fixed_latents
from ganstudio.core.footprint import check_footprint
from ganstudio.core.models import build_models
from ganstudio.core.models.conditional import one_hot, split_judgement
from ganstudio.core.models.eval_mode import eval_mode
from ganstudio.core.models.layers import draw_noise_from
from ganstudio.core.optimizers import grad_norm, make_optimizer
from ganstudio.core.stats import StepStats
from ganstudio.core.trainer_state import restore_trainer_state, trainer_state

if TYPE_CHECKING:  # torch.distributed loads only for a run on many processes
    from ganstudio.core.distributed import RankGroup


class Trainer:
    def __init__(
        self,
        config: RunConfig,
        data: DataSource | None = None,
        device: torch.device | str | None = None,
        download: bool = True,
    ):
        """download=False for a run whose config came from its folder (build_trainer): nothing it names is
        fetched, here nor by torchrun's other ranks, which are told self.download."""
        self.config = check(config)
        self.download = download
        # A device name goes through select_device, so "auto" (the window's default) means the same everywhere
        self.device = device if isinstance(device, torch.device) else select_device(device or config.train.device)
        check_footprint(config, self.device)
        seed = config.train.seed
        conditional = config.model.is_conditional
        self.data = (
            data
            if data is not None
            else build_data_source(config.data, self.device, labelled=conditional, seed=seed, download=download)
        )
        self.class_names: tuple[str, ...] = tuple(self.data.class_names) if conditional else ()
        if conditional and not self.class_names:
            raise ValueError("a conditional model needs labelled data")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            g, d = self._networks()
        self.fast: FastPath = resolve_fast_path(
            config.perf,
            self.device,
            conv=config.model.arch == "dcgan",
            toy=config.data.is_toy,
            optimizer=config.optim.name,
        )
        memory_format = torch.channels_last if self.fast.channels_last else torch.contiguous_format
        # Module.to takes memory_format as a keyword (torch's docs); its stubs list it only alone
        self.G: nn.Module = g.to(self.device, memory_format=memory_format)  # type: ignore[call-overload]
        self.D: nn.Module = d.to(self.device, memory_format=memory_format)  # type: ignore[call-overload]
        if self.fast.cudnn_benchmark:
            torch.backends.cudnn.benchmark = True
        self.G_ema: nn.Module | None = (
            copy.deepcopy(self.G).eval().requires_grad_(False) if config.train.ema_decay > 0 else None
        )
        o = config.optim
        impl = self.fast.optimizer_kwargs()
        self.opt_g = make_optimizer(self.G.parameters(), o.name, o.lr_g, o, impl)
        self.opt_d = make_optimizer(self.D.parameters(), o.name, o.lr_d, o, impl)
        self.scaler_g, self.scaler_d = self.fast.grad_scaler(), self.fast.grad_scaler()
        # Forward passes of the training step; compiled when asked. Gradient penalties need double
        # backward, which compiled graphs do not support, so D stays eager with them.
        penalties = config.loss.kind == "wgan-gp" or config.loss.r1_gamma > 0
        self._g = CompiledOrEager(self.G) if self.fast.compile else self.G
        self._d = CompiledOrEager(self.D) if self.fast.compile and not penalties else self.D
        self.rng = torch.Generator(device=self.device).manual_seed(seed)
        draw_noise_from(self.D, self.rng)  # D's dropout masks and noise come from the run's stream too
        self.augment = Augmenter.for_run(config.train, self.device)  # what D sees; G's samples never pass it
        self.fixed_noise, self.fixed_labels = fixed_latents(
            seed, config.model.latent_dim, self.num_classes, self.device
        )
        self.step_count = 0
        self.last_step_seconds = 0.0  # wall time of the last step(), on the host
        self.ranks: RankGroup | None = None  # set by join(): one of many processes under torchrun
        self.local_batch = config.train.batch_size
        self._pending: list[torch.Tensor] = []
        self._pending_meta: list[tuple[int, float]] = []

    def join(self, ranks: RankGroup) -> None:
        """Trains as one rank of many: its share of the batch from its own shard of the images, and
        gradients averaged over ranks at every update. The random stream is the caller's to set."""
        from ganstudio.core.distributed import local_batch

        self.local_batch = local_batch(self.config.train.batch_size, ranks.world_size, self.config.model.pack)
        if isinstance(self.data, ImageSource):
            if len(self.data.images) < ranks.world_size:
                raise DataError(
                    f"{len(self.data.images)} training images cannot be shared by {ranks.world_size} processes "
                    "(each draws from its own share): use fewer processes or more images"
                )
            if self.class_names:
                self._check_every_shard_has_every_class(ranks.world_size)
            self.data.shard(ranks.rank, ranks.world_size)
        self.ranks = ranks
        self.augment.pool = ranks.total

    def _check_every_shard_has_every_class(self, world_size: int) -> None:
        """A class with no image on a rank would be drawn from another class's images there (wrong labels);
        every rank checks every shard, so all refuse alike, before any of them trains."""
        assert isinstance(self.data, ImageSource)
        for rank in range(world_size):
            self.data.shard(rank, world_size)
            empty = self.data.empty_classes()
            if empty:
                raise DataError(
                    f"class {empty[0]} has no images on rank {rank} of {world_size}: "
                    f"too few images of it for {world_size} processes"
                )

    def _networks(self) -> tuple[nn.Module, nn.Module]:
        """G and D as the config and the data's classes describe them (a semi-supervised trainer adds D's class logits)."""
        return build_models(self.config, num_classes=self.num_classes)

    @property
    def is_toy(self) -> bool:
        return self.config.data.is_toy

    @property
    def toy_data(self) -> ToyDistribution:
        """The data of a toy run, whose density and quantiles are known; an image run has none."""
        if not isinstance(self.data, ToyDistribution):
            raise TypeError("this run trains on images, not on a toy distribution")
        return self.data

    @property
    def image_data(self) -> ImageSource:
        """The data of an image run, which quality scores compare G with; a toy run has none."""
        if not isinstance(self.data, ImageSource):
            raise TypeError("this run trains on a toy distribution, not on images")
        return self.data

    @property
    def num_classes(self) -> int:
        """Classes the model is conditioned on; 0 for an unconditional model."""
        return len(self.class_names)

    @property
    def conditional(self) -> str:
        return self.config.model.conditional

    def noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.config.model.latent_dim, generator=self.rng, device=self.device)

    def _labels(self, n: int) -> torch.Tensor | None:
        """A class-balanced draw for one batch (None when unconditional); reals and fakes share it."""
        return balanced_labels(n, self.num_classes, self.rng, self.device) if self.num_classes else None

    def spread_labels(self, n: int) -> torch.Tensor | None:
        """n labels cycling through the classes (0, 1, ..., C-1, 0, ...), for evaluations that need
        every class equally and no random draw; None when unconditional."""
        return torch.arange(n, device=self.device) % self.num_classes if self.num_classes else None

    def _classes(self, labels: torch.Tensor | None) -> tuple[torch.Tensor, ...]:
        """G's extra arguments: the labels as one-hot class weights, or nothing."""
        return () if labels is None else (one_hot(labels, self.num_classes),)

    def _judge(
        self, D: Callable[..., torch.Tensor], x: torch.Tensor, labels: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """D's realness logits (float) and, for AC-GAN, its class logits."""
        logits, class_logits = split_judgement(D(x) if labels is None else D(x, labels))
        return logits.float(), None if class_logits is None else class_logits.float()

    LIVE_FIELDS = LIVE_FIELDS

    def apply_changes(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Changes hyperparameters between steps (learning rates, k, instance noise, EMA decay).

        Returns what was applied; raises ValueError naming a bad field, leaving everything as it was.
        """
        from ganstudio.core.config import check

        unknown = set(changes) - set(self.LIVE_FIELDS)
        if unknown:
            raise ValueError(f"cannot change {', '.join(sorted(unknown))} during a run")
        trial = self.config.copy()
        for name, value in changes.items():
            setattr(getattr(trial, LIVE_SECTIONS[name]), name, value)
        check(trial)
        self.config = trial
        self._set_learning_rates()
        self.match_ema_to_config()
        return dict(changes)

    def match_ema_to_config(self) -> None:
        """The averaged G exists exactly while the config's ema_decay asks for one: a live change turns it on or
        off, and a rewind to before such a change brings back the config and, with this, the average it had."""
        if self.config.train.ema_decay > 0 and self.G_ema is None:
            self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        elif self.config.train.ema_decay == 0:
            self.G_ema = None

    def _set_learning_rates(self) -> None:
        factor = schedules.learning_rate_factor(self.config.optim, self.config.train, self.step_count)
        for opt, lr in ((self.opt_g, self.config.optim.lr_g), (self.opt_d, self.config.optim.lr_d)):
            for group in opt.param_groups:
                group["lr"] = lr * factor

    def instance_noise_std(self) -> float:
        return schedules.instance_noise_std(self.config.train, self.step_count)

    def _d_input(self, x: torch.Tensor) -> torch.Tensor:
        """What D sees: DiffAugment's transforms (when on), instance noise added, then PacGAN packing of m
        samples into one (along dim 1)."""
        x = self.augment(x, self.rng)
        std = self.instance_noise_std()
        if std > 0:
            x = x + std * torch.randn(x.shape, generator=self.rng, device=x.device, dtype=x.dtype)
        m = self.config.model.pack
        if m > 1:
            x = x.reshape(x.shape[0] // m, m * x.shape[1], *x.shape[2:])
        return x

    def _real_batch(self, batch: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Real data and its labels: for a conditional run a class-balanced draw of labels first, then
        one real sample of each of those classes (G gets the same labels for the fakes)."""
        labels = self._labels(batch)
        real = self.data.sample(batch, self.rng) if labels is None else self.data.sample_classes(labels, self.rng)
        return (real.contiguous(memory_format=torch.channels_last) if self.fast.channels_last else real), labels

    def _d_loss(
        self,
        D: nn.Module,
        real: torch.Tensor,
        fake: torch.Tensor,
        forward: Callable[..., torch.Tensor] | None = None,
        labels: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """D's loss; forward is D's compiled form when there is one (the penalties use D itself).
        labels: the classes of both the real and the fake batch (the same ones), when conditional."""
        lo = self.config.loss
        real_in, fake_in = self._d_input(real), self._d_input(fake)
        judged = D if labels is None else (lambda x: split_judgement(D(x, labels))[0])
        with self.fast.autocast():
            real_logits, real_classes = self._judge(forward or D, real_in, labels)
            fake_logits, fake_classes = self._judge(forward or D, fake_in, labels)
            loss = losses.d_loss(lo.kind, real_logits, fake_logits, lo.label_smoothing)
            if real_classes is not None and fake_classes is not None and labels is not None:
                loss = loss + losses.auxiliary_class_loss(real_classes, fake_classes, labels)
            if lo.kind == "wgan-gp":
                loss = loss + lo.gp_weight * losses.gradient_penalty(judged, real_in, fake_in, self.rng)
            if lo.r1_gamma > 0:
                loss = loss + 0.5 * lo.r1_gamma * losses.r1_penalty(judged, real_in)
        return loss, real_logits, fake_logits

    def _update(
        self,
        loss: torch.Tensor,
        module: nn.Module,
        optimizer: torch.optim.Optimizer,
        scaler: torch.amp.GradScaler | None,
    ) -> torch.Tensor:
        """Backward and step (through the fp16 loss scaler when there is one); returns the gradient norm."""
        optimizer.zero_grad(set_to_none=True)
        if scaler is None:
            loss.backward()
            self._average(module)
            grad = grad_norm(module)
            optimizer.step()
            return grad
        scaler.scale(loss).backward()
        self._average(module)  # scaled: an overflow on any rank is inf on all, so every scaler skips alike
        scaler.unscale_(optimizer)
        grad = grad_norm(module)
        scaler.step(optimizer)
        scaler.update()
        # An overflowed step is skipped by the scaler (nothing was updated); report 0 rather than
        # the inf that would read as divergence, without syncing to ask.
        return torch.where(torch.isfinite(grad), grad, torch.zeros_like(grad))

    def _average(self, module: nn.Module) -> None:
        """Under torchrun: module's gradients, and G's and D's BatchNorm statistics, averaged over ranks."""
        if self.ranks is not None:
            self.ranks.average(module, buffers_of=(self.G, self.D))

    def discriminator_step(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """One update of D on a real and a generated minibatch: (loss, mean D(x), mean D(G(z)), grad norm)."""
        batch, kind = self.local_batch, self.config.loss.kind
        real, labels = self._real_batch(batch)
        with torch.no_grad(), self.fast.autocast():
            fake = self._g(self.noise(batch), *self._classes(labels))
        loss, real_logits, fake_logits = self._d_loss(self.D, real, fake, self._d, labels)
        self.augment.observe(real_logits, self.config.model.pack)
        grad = self._update(loss, self.D, self.opt_d, self.scaler_d)
        self._clip(self.D)
        with torch.no_grad():
            return (
                loss.detach(),
                losses.d_output(kind, real_logits).mean(),
                losses.d_output(kind, fake_logits).mean(),
                grad,
            )

    def _clip(self, D: nn.Module) -> None:
        """The weight clipping of a WGAN critic (Arjovsky et al. 2017), after each of its updates."""
        if self.config.loss.kind != "wgan":
            return
        with torch.no_grad():
            torch._foreach_clamp_min_(list(D.parameters()), -self.config.loss.clip_value)
            torch._foreach_clamp_max_(list(D.parameters()), self.config.loss.clip_value)

    def _unrolled_discriminator(self) -> nn.Module:
        """A copy of D (and its optimizer state) moved K steps ahead; D's own weights stay untouched.

        First-order unrolling: G's gradient flows through the unrolled copy, not through the
        K updates themselves (Metz et al. 2017 also back-propagate through them).
        """
        D = copy.deepcopy(self.D)
        draw_noise_from(D, self.rng)  # the deep copy's own copy of the stream would repeat the run's draws
        opt = type(self.opt_d)(D.parameters(), **self.opt_d.defaults)
        opt.load_state_dict(copy.deepcopy(self.opt_d.state_dict()))  # its moments must not alias D's
        batch = self.local_batch
        for _ in range(self.config.train.unrolled_steps):
            real, labels = self._real_batch(batch)
            with torch.no_grad(), self.fast.autocast():
                fake = self._g(self.noise(batch), *self._classes(labels))
            loss, _, _ = self._d_loss(D, real, fake, labels=labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if self.ranks is not None:
                self.ranks.average(D)
            opt.step()
            self._clip(D)
        return D

    def generator_step(self) -> tuple[torch.Tensor, torch.Tensor]:
        """One update of G through a frozen D (or an unrolled copy of it): (loss, grad norm)."""
        batch, kind = self.local_batch, self.config.loss.kind
        unrolled = self.config.train.unrolled_steps > 0
        D = self._unrolled_discriminator() if unrolled else self.D
        D.requires_grad_(False)  # G's update needs gradients through D, not for D
        labels = self._labels(batch)
        try:
            with self.fast.autocast():
                fake = self._g(self.noise(batch), *self._classes(labels))
                if self.config.loss.feature_matching:
                    loss = self._feature_matching(D, fake)
                else:
                    logits, class_logits = self._judge(D if unrolled else self._d, self._d_input(fake), labels)
                    loss = losses.g_loss(kind, logits)
                    if class_logits is not None and labels is not None:
                        loss = loss + losses.cross_entropy(class_logits, labels)
            grad = self._update(loss, self.G, self.opt_g, self.scaler_g)
        finally:
            D.requires_grad_(True)
        if self.G_ema is not None:
            self._update_ema(self.G_ema)
        return loss.detach(), grad

    def _feature_matching(self, D: nn.Module, fake: torch.Tensor) -> torch.Tensor:
        """G's feature-matching loss against a fresh real batch, as D sees both (augmented, noised)."""
        features = getattr(D, "features", None)  # the config's FEATURE_ARCHS: every D that has them
        if not callable(features):
            raise TypeError("feature matching needs a discriminator with hidden features (DCGAN, the 2016 MLP)")
        real = self.data.sample(fake.shape[0], self.rng)
        with torch.no_grad():
            real_features = features(self._d_input(real)).float()
        return losses.feature_matching(real_features, features(self._d_input(fake)).float())

    @torch.no_grad()
    def _update_ema(self, ema: nn.Module) -> None:
        """G_ema <- decay * G_ema + (1 - decay) * G; BatchNorm statistics are copied as they are."""
        ema_params: list[torch.Tensor] = list(ema.parameters())
        params: list[torch.Tensor] = list(self.G.parameters())
        torch._foreach_lerp_(ema_params, params, 1.0 - schedules.ema_decay(self.config.train, self.step_count))
        for ema_buf, buf in zip(ema.buffers(), self.G.buffers(), strict=True):
            ema_buf.copy_(buf)

    def step(self) -> None:
        """k discriminator updates, then one generator update (Algorithm 1), or train.g_steps of them."""
        started = time.perf_counter()
        if self.config.optim.lr_decay > 0:
            self._set_learning_rates()
        for _ in range(self.config.train.k):
            loss_d, d_real, d_fake, grad_d = self.discriminator_step()
        for _ in range(self.config.train.g_steps):
            loss_g, grad_g = self.generator_step()
        self.augment.end_step()
        row = torch.stack([loss_d, loss_g, d_real, d_fake, grad_d, grad_g, self.augment.reported_p()]).float()
        self._pending.append(row if self.ranks is None else self.ranks.mean(row))
        self.step_count += 1
        self.last_step_seconds = time.perf_counter() - started
        self._pending_meta.append((self.step_count, self.last_step_seconds))

    def drain_stats(self) -> list[StepStats]:
        """Stats of the steps since the last drain, with one device sync for all of them."""
        if not self._pending:
            return []
        values = torch.stack(self._pending).cpu().tolist()
        out = [
            StepStats(
                step,
                loss_d=row[0],
                loss_g=row[1],
                d_real=row[2],
                d_fake=row[3],
                grad_norm_d=row[4],
                grad_norm_g=row[5],
                seconds=secs,
                augment_p=row[6],
            )
            for (step, secs), row in zip(self._pending_meta, values, strict=True)
        ]
        self._pending.clear()
        self._pending_meta.clear()
        return out

    def weights_are_finite(self) -> bool:
        """Whether no weight of G, its EMA copy or D is NaN or Inf: a run that went NaN must not save them
        over a good checkpoint, nor a resume train on them."""
        nets = [self.G, self.D] + ([self.G_ema] if self.G_ema is not None else [])
        with torch.no_grad():
            return all(bool(torch.isfinite(p).all()) for net in nets for p in net.parameters())

    @property
    def sampling_generator(self) -> nn.Module:
        """The EMA generator when there is one (smoother samples), else G."""
        return self.G_ema if self.G_ema is not None else self.G

    @torch.no_grad()
    def sample(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """G(z) (or G(z, y): y the (N,) class indices, required when conditional) in eval mode (BatchNorm
        running statistics), on the CPU; training state is untouched."""
        if self.num_classes and y is None:
            raise ValueError("this model is class-conditional: sample(z, y) needs the class of each z")
        if y is not None and not self.num_classes:
            raise ValueError("this model is not class-conditional: sample(z) takes no classes")
        labels = None if y is None else torch.as_tensor(y).to(self.device, torch.long)
        with eval_mode(self.sampling_generator) as g:
            images: torch.Tensor = g(z.to(self.device), *self._classes(labels))
        return images.float().cpu()

    def sample_spread(self, z: torch.Tensor) -> torch.Tensor:
        """sample(z) with the classes cycling over the latents (every class equally), for views and
        metrics that look at the whole distribution; plain sample(z) for an unconditional model."""
        return self.sample(z, self.spread_labels(z.shape[0]))

    def realness(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """D's realness logits for x (with their labels when conditional), without AC-GAN's class logits,
        from D in eval mode: the lab's pictures and the 1D measures look at D between steps, and a look must
        not change the run (same seed, same run). A PacGAN D judges m samples at once: each x is judged as
        a pack of m copies of itself."""
        m = self.config.model.pack
        if m > 1:
            x = x.repeat(1, m, *([1] * (x.dim() - 2)))
        with eval_mode(self.D) as d:
            return self._judge(d, x, labels)[0]

    def fixed_samples(self) -> np.ndarray:
        """The fixed noise batch through G: uint8 (N, C, H, W) images, or float (N, dim) points for toy data.
        Conditional: row-major, one row of FIXED_COLUMNS per class, the same latents in every row."""
        out = self.sample(self.fixed_noise, self.fixed_labels)
        return out.numpy() if self.is_toy else to_uint8(out)

    def state_dict(self) -> dict[str, Any]:
        return trainer_state(self)

    def restore_problem(self, state: dict[str, Any]) -> str | None:
        """Why a checkpoint read from disk cannot go on training here, beyond its networks' shapes (which
        restore_trainer checks for every trainer); None when nothing is in the way."""
        return None

    def load_state_dict(self, state: dict[str, Any]) -> None:
        restore_trainer_state(self, state)
        self._set_learning_rates()  # the config's rates, which a resume may have changed, not the saved groups'
        self._pending.clear()
        self._pending_meta.clear()


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """[-1, 1] float images to a C-contiguous uint8 numpy copy (N, C, H, W)."""
    scaled = ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return np.ascontiguousarray(scaled.numpy())
