"""Run configuration: dataclasses, validation, presets and JSON io.

Deliberately free of torch imports so the GUI can build its setup form (and
paint its first window) before the heavy engine is loaded.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

TOY_DATASETS = ("gaussian-1d", "ring-8", "grid-25", "spiral", "two-moons", "drawn")
IMAGE_DATASETS = (
    "fashion-mnist",  # the bundled 10,000-image split
    "fashion-mnist-full",  # idx files on disk (Debian's dataset-fashion-mnist or a chosen folder)
    "mnist",  # torchvision
    "fashion-mnist-torchvision",
    "cifar10",
    "image-folder",
)
DATASETS = TOY_DATASETS + IMAGE_DATASETS
ARCHITECTURES = ("mlp", "dcgan")
DCGAN_IMAGE_SIZES = (28, 32, 64)
LOSSES = ("minimax", "non-saturating", "least-squares", "hinge", "wgan", "wgan-gp")
ACTIVATIONS = ("leaky_relu", "relu")
OPTIMIZERS = ("adam", "sgd")
# Class-conditional models p(x | c): off, the projection discriminator (Miyato & Koyama 2018) with a
# conditional-BatchNorm generator, input concatenation (Mirza & Osindero 2014), or an auxiliary
# classifier head (AC-GAN, Odena et al. 2017). The class count comes from the data, never the config.
CONDITIONAL_KINDS = ("off", "projection", "concat", "acgan")
CONDITIONAL_HELP = {  # the setup form's tooltip for each choice
    "off": "Unconditional: G draws from the whole dataset; labels are ignored",
    "projection": "Recommended. G's BatchNorms take a per-class scale and shift; D adds <embed(class), features> "
                  "to its score (Miyato & Koyama 2018)",
    "concat": "The first conditional GAN: the class joins G's noise and D's input as a one-hot vector "
              "(Mirza & Osindero 2014)",
    "acgan": "D also classifies every image and G is rewarded when its fakes are classified as their class "
             "(AC-GAN, Odena et al. 2017); known to lose diversity within a class",
}
# Toy sets whose samples carry a class: the mode index (ring-8, grid-25) or the moon (two-moons).
# spiral, gaussian-1d and drawn points have no natural classes and are refused by name.
LABELLED_TOY_DATASETS = ("ring-8", "grid-25", "two-moons")


MAX_STEPS = 100_000_000
MAX_CONFIG_BYTES = 1 << 20
# What may change during a run (Trainer.apply_changes): kept here, torch-free, so a control file
# can be checked against it by a process that never trains.
LIVE_FIELDS = ("lr_g", "lr_d", "k", "instance_noise", "ema_decay")


class ConfigError(ValueError):
    """A configuration value that cannot be used, naming the field and why."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in problems))


@dataclass
class DataConfig:
    dataset: str = "fashion-mnist"
    path: str | None = None  # folder (image-folder, fashion-mnist-full, torchvision sets) or .npy (drawn)
    image_size: int = 28
    channels: int = 1

    @property
    def is_toy(self) -> bool:
        return self.dataset in TOY_DATASETS

    @property
    def toy_dim(self) -> int:
        return 1 if self.dataset == "gaussian-1d" else 2


@dataclass
class ModelConfig:
    arch: str = "dcgan"
    latent_dim: int = 100
    width: int = 64  # base channel count (DCGAN) or hidden units (MLP)
    d_activation: str = "leaky_relu"  # D's hidden activation: leaky_relu or relu
    spectral_norm: bool = False  # on D's layers (Miyato et al. 2018)
    minibatch_std: bool = False  # D sees the batch's spread (Karras et al. 2018)
    pack: int = 1  # PacGAN: D judges this many samples at once (Lin et al. 2018)
    latent_components: int = 0  # MLP G: z's first coordinate picks one of this many pieces (0 = off)
    # off, projection, concat or acgan (CONDITIONAL_HELP); the classes and their names come from the data
    conditional: str = "off"

    @property
    def is_conditional(self) -> bool:
        return self.conditional != "off"


@dataclass
class LossConfig:
    kind: str = "non-saturating"
    gp_weight: float = 10.0  # wgan-gp's lambda (Gulrajani et al. 2017)
    clip_value: float = 0.01  # wgan's weight clipping (Arjovsky et al. 2017)
    r1_gamma: float = 0.0  # R1 penalty on real data (Mescheder et al. 2018); 0 = off
    label_smoothing: float = 0.0  # one-sided: real target 1 - s (Salimans et al. 2016); 0 = off


@dataclass
class OptimConfig:
    name: str = "adam"
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    momentum: float = 0.5  # SGD only
    lr_decay: float = 0.0  # over this last fraction of the run both learning rates fall linearly towards 0


@dataclass
class TrainConfig:
    steps: int = 5000
    batch_size: int = 64
    k: int = 1  # discriminator steps per generator step (Algorithm 1)
    seed: int = 0
    device: str = "auto"
    log_every: int = 10
    sample_every: int = 250
    checkpoint_every: int = 1000
    metrics_every: int = 250  # mode-collapse metrics on ring-8 / grid-25
    ema_decay: float = 0.0  # exponential moving average of G's weights for samples (0 = off), e.g. 0.999
    instance_noise: float = 0.0  # std of Gaussian noise on D's inputs (Sønderby et al. 2017); 0 = off
    noise_anneal_steps: int = 0  # instance noise falls linearly to 0 over these steps; 0 = constant
    unrolled_steps: int = 0  # unrolled GAN: G's loss through K unrolled D steps (Metz et al. 2017); 0 = off


@dataclass
class QualityConfig:
    """Sample-quality scoring in the shipped feature space while training (image datasets only)."""

    every: int = 1000  # steps between evaluations; 0 = off. ~3 s each: about 4 % of a fashion-dcgan run on a CPU
    samples: int = 2000  # generated (and real) images per evaluation
    keep_best: bool = True  # save checkpoints/best.pt whenever the Fréchet distance improves
    inception: bool = False  # also torchvision-Inception FID (needs its weights on disk; slow on a CPU)
    inception_weights: str | None = None  # inception_v3_google-*.pth; None = look in torch hub's cache


FAST_PATH_AUTO = ("auto", "on", "off")
AUTOCAST_MODES = ("auto", "off", "bf16", "fp16")
OPTIMIZER_IMPLS = ("auto", "fused", "foreach", "for-loop")


@dataclass
class PerfConfig:
    """The fast path. Each switch keeps results equal to the plain path within float tolerance;
    "auto" picks what measured fastest for the device (see core/fast_path.py)."""

    channels_last: str = "auto"  # NHWC memory format for conv models; auto = on for CUDA and fp32 CPU runs
    autocast: str = "auto"  # mixed precision; auto = bf16 for image models on GPUs and CPUs with native bf16
    optimizer_impl: str = "auto"  # auto = fused on CUDA and the CPU, foreach elsewhere
    compile: bool = False  # torch.compile G and D (opt-in; falls back to eager when compiling fails)
    cudnn_benchmark: bool = True  # let cuDNN pick the fastest conv algorithms (CUDA only)
    threads: int = 0  # CPU intra-op threads; 0 = auto (all cores; one fewer with the window open on >= 4 cores)


@dataclass
class RunConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    perf: PerfConfig = field(default_factory=PerfConfig)
    preset: str | None = None

    def sections(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in SECTIONS}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> RunConfig:
        if not isinstance(raw, dict):
            raise ConfigError([("config", "must be a JSON object")])
        problems: list[tuple[str, str]] = []
        built: dict[str, Any] = {}
        for key in raw:
            if key not in SECTIONS and key != "preset":
                problems.append((key, "unknown section"))
        for name, section_cls in SECTIONS.items():
            values = raw.get(name, {})
            if not isinstance(values, dict):
                problems.append((name, "must be an object"))
                continue
            known = {f.name for f in fields(section_cls)}
            for key in values:
                if key not in known:
                    problems.append((f"{name}.{key}", "unknown field"))
            built[name] = section_cls(**{k: v for k, v in values.items() if k in known})
        if problems:
            raise ConfigError(problems)
        return cls(preset=raw.get("preset"), **built)

    @classmethod
    def from_json(cls, text: str) -> RunConfig:
        return cls.from_dict(parse_json(text, "config"))

    def copy(self) -> RunConfig:
        return copy.deepcopy(self)


SECTIONS: dict[str, type] = {"data": DataConfig, "model": ModelConfig, "loss": LossConfig, "optim": OptimConfig,
                             "train": TrainConfig, "quality": QualityConfig, "perf": PerfConfig}
MAX_TEXT = 4096  # longest string field (a path); longer is a mistake or an attack, not a folder name
PRESET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # a run folder is named after it: no separators


def parse_json(text: str, what: str) -> Any:
    """json.loads whose every failure is a ConfigError: bad syntax, a 5,000-digit integer (ValueError)
    and nesting deep enough to exhaust the stack (RecursionError) alike."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError([(what, f"not valid JSON ({exc.msg} at line {exc.lineno})")]) from None
    except (ValueError, RecursionError) as exc:
        raise ConfigError([(what, f"not usable JSON ({type(exc).__name__}: {str(exc)[:120]})")]) from None


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "int":
        return _is_int(value) and abs(value) < 2**63
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and _finite(value)
    if kind == "bool":
        return isinstance(value, bool)
    text_ok = isinstance(value, str) and len(value) <= MAX_TEXT and "\0" not in value
    return text_ok or (kind == "str | None" and value is None)


_TYPE_WORDS = {"int": "an integer", "float": "a finite number", "bool": "true or false", "str": "text",
               "str | None": "text or null"}


def type_problems(config: RunConfig) -> list[tuple[str, str]]:
    """Each field against its declared type; the range checks after it may then compare safely."""
    problems = []
    for name, section in config.sections().items():
        for f in fields(section):
            value = getattr(section, f.name)
            if not _type_ok(f.type, value):
                shown = repr(value) if len(repr(value)) <= 40 else f"a {type(value).__name__}"
                problems.append((f"{name}.{f.name}", f"must be {_TYPE_WORDS[f.type]}, not {shown}"))
    if config.preset is not None and not (isinstance(config.preset, str) and PRESET_NAME.fullmatch(config.preset)):
        problems.append(("preset", "must be a plain name (letters, digits, '.', '_', '-'), as it names the run folder"))
    return problems


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _positive_finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def validate(config: RunConfig) -> list[tuple[str, str]]:
    """Every problem with the config as (field, reason); empty when it can run."""
    problems = type_problems(config)
    if problems:
        return problems

    def need(ok: bool, name: str, reason: str) -> None:
        if not ok:
            problems.append((name, reason))

    d, m, lo, o, t = config.data, config.model, config.loss, config.optim, config.train
    need(d.dataset in DATASETS, "data.dataset", f"unknown dataset {d.dataset!r} (one of {', '.join(DATASETS)})")
    need(d.dataset != "image-folder" or bool(d.path), "data.path", "an image folder needs a path")
    need(d.dataset != "drawn" or bool(d.path), "data.path", "a drawn distribution needs its .npy file of points")
    need(_is_int(d.channels) and d.channels in (1, 3), "data.channels", "must be 1 (grayscale) or 3 (RGB)")
    need(m.arch in ARCHITECTURES, "model.arch", f"must be one of {', '.join(ARCHITECTURES)}")
    if m.arch == "dcgan":
        need(not d.is_toy, "model.arch", "DCGAN needs an image dataset; use the MLP for toy distributions")
        need(d.image_size in DCGAN_IMAGE_SIZES, "data.image_size",
             f"DCGAN supports {', '.join(map(str, DCGAN_IMAGE_SIZES))} px, not {d.image_size}")
    else:
        need(_is_int(d.image_size) and 8 <= d.image_size <= 64, "data.image_size", "must be between 8 and 64 px")
    need(_is_int(m.latent_dim) and 1 <= m.latent_dim <= 1024, "model.latent_dim", "must be an integer from 1 to 1024")
    need(_is_int(m.width) and 4 <= m.width <= 2048, "model.width", "must be an integer from 4 to 2048")
    need(lo.kind in LOSSES, "loss.kind", f"must be one of {', '.join(LOSSES)}")
    need(_positive_finite(lo.gp_weight), "loss.gp_weight", "must be finite and > 0")
    need(_positive_finite(lo.clip_value), "loss.clip_value", "must be finite and > 0")
    need(isinstance(lo.r1_gamma, (int, float)) and math.isfinite(lo.r1_gamma) and lo.r1_gamma >= 0, "loss.r1_gamma",
         "must be finite and >= 0 (0 turns R1 off)")
    need(isinstance(lo.label_smoothing, (int, float)) and 0 <= lo.label_smoothing < 0.5, "loss.label_smoothing",
         "must be in [0, 0.5)")
    need(m.d_activation in ACTIVATIONS, "model.d_activation", f"must be one of {', '.join(ACTIVATIONS)}")
    need(_is_int(m.pack) and 1 <= m.pack <= 16, "model.pack", "must be an integer from 1 to 16")
    need(_is_int(m.latent_components) and 0 <= m.latent_components <= 1024, "model.latent_components",
         "must be an integer from 0 (off) to 1024")
    need(m.arch == "mlp" or not m.latent_components, "model.latent_components",
         "latent pieces are built into the MLP generator; set 0 for DCGAN")
    need(not _is_int(m.pack) or not _is_int(t.batch_size) or t.batch_size % m.pack == 0, "train.batch_size",
         f"must be a multiple of the PacGAN pack size ({m.pack})")
    need(m.conditional in CONDITIONAL_KINDS, "model.conditional", f"must be one of {', '.join(CONDITIONAL_KINDS)}")
    if m.conditional != "off":
        need(not d.is_toy or d.dataset in LABELLED_TOY_DATASETS, "model.conditional",
             f"{d.dataset} has no classes; conditional toy models need one of {', '.join(LABELLED_TOY_DATASETS)}")
        need(m.pack == 1, "model.conditional",
             "PacGAN (model.pack > 1) would pack samples of different classes into one judgement; set pack 1")
        need(not m.latent_components, "model.conditional",
             "latent pieces and classes both split the generator; set model.latent_components 0")
    need(o.name in OPTIMIZERS, "optim.name", f"must be one of {', '.join(OPTIMIZERS)}")
    need(_positive_finite(o.lr_g), "optim.lr_g", "learning rate must be finite and > 0")
    need(_positive_finite(o.lr_d), "optim.lr_d", "learning rate must be finite and > 0")
    for name in ("beta1", "beta2", "momentum"):
        value = getattr(o, name)
        need(isinstance(value, (int, float)) and 0 <= value < 1, f"optim.{name}", "must be in [0, 1)")
    need(isinstance(o.lr_decay, (int, float)) and 0 <= o.lr_decay <= 1, "optim.lr_decay",
         "must be from 0 (constant learning rates) to 1 (falling over the whole run)")
    need(_is_int(t.steps) and 1 <= t.steps <= MAX_STEPS, "train.steps", f"must be an integer from 1 to {MAX_STEPS:,}")
    need(_is_int(t.batch_size) and 1 <= t.batch_size <= 65536, "train.batch_size", "must be an integer from 1 to 65536")
    need(m.arch != "dcgan" or not _is_int(t.batch_size) or t.batch_size // max(1, m.pack) >= 2, "train.batch_size",
         "DCGAN's batch normalisation needs at least 2 samples per discriminator batch (batch / pack)")
    need(_is_int(t.k) and 1 <= t.k <= 100, "train.k", "discriminator steps per generator step must be from 1 to 100")
    need(_is_int(t.seed) and 0 <= t.seed < 2**63, "train.seed", "must be a non-negative integer")
    need(isinstance(t.device, str) and (t.device in ("auto", "cpu", "mps", "cuda") or t.device.startswith("cuda:")),
         "train.device", "must be auto, cpu, mps, cuda or cuda:N")
    need(isinstance(t.ema_decay, (int, float)) and 0 <= t.ema_decay < 1, "train.ema_decay",
         "must be in [0, 1) (0 turns the EMA generator off)")
    need(isinstance(t.instance_noise, (int, float)) and math.isfinite(t.instance_noise) and t.instance_noise >= 0,
         "train.instance_noise", "must be finite and >= 0")
    need(_is_int(t.noise_anneal_steps) and t.noise_anneal_steps >= 0, "train.noise_anneal_steps", "must be >= 0")
    need(_is_int(t.unrolled_steps) and 0 <= t.unrolled_steps <= 50, "train.unrolled_steps", "must be from 0 to 50")
    for name in ("log_every", "sample_every", "checkpoint_every", "metrics_every"):
        need(1 <= getattr(t, name) <= MAX_STEPS, f"train.{name}", f"must be an integer from 1 to {MAX_STEPS:,}")
    need(t.noise_anneal_steps <= MAX_STEPS, "train.noise_anneal_steps", f"must be at most {MAX_STEPS:,}")
    q = config.quality
    need(_is_int(q.every) and 0 <= q.every <= MAX_STEPS, "quality.every", "must be an integer >= 0 (0 turns scoring off)")
    need(_is_int(q.samples) and 50 <= q.samples <= 50000, "quality.samples", "must be an integer from 50 to 50,000")
    need(isinstance(q.keep_best, bool), "quality.keep_best", "must be true or false")
    need(isinstance(q.inception, bool), "quality.inception", "must be true or false")
    p = config.perf
    need(p.channels_last in FAST_PATH_AUTO, "perf.channels_last", f"must be one of {', '.join(FAST_PATH_AUTO)}")
    need(p.autocast in AUTOCAST_MODES, "perf.autocast", f"must be one of {', '.join(AUTOCAST_MODES)}")
    need(p.autocast != "fp16" or (lo.kind != "wgan-gp" and not lo.r1_gamma), "perf.autocast",
         "fp16 cannot carry the gradient penalties (wgan-gp, R1) through its loss scaling; use bf16")
    need(p.optimizer_impl in OPTIMIZER_IMPLS, "perf.optimizer_impl", f"must be one of {', '.join(OPTIMIZER_IMPLS)}")
    need(isinstance(p.compile, bool), "perf.compile", "must be true or false")
    need(isinstance(p.cudnn_benchmark, bool), "perf.cudnn_benchmark", "must be true or false")
    need(_is_int(p.threads) and 0 <= p.threads <= 1024, "perf.threads", "must be an integer from 0 (auto) to 1024")
    return problems


def check_data(data: DataConfig) -> DataConfig:
    """An image dataset named on its own (eval's --dataset): known, and with a folder where it needs one."""
    problems = []
    if data.dataset not in IMAGE_DATASETS:
        problems.append(("--dataset", f"must be an image dataset: one of {', '.join(IMAGE_DATASETS)}"))
    elif data.dataset == "image-folder" and not data.path:
        problems.append(("--data-path", "an image folder needs a path"))
    if problems:
        raise ConfigError(problems)
    return data


def check(config: RunConfig) -> RunConfig:
    problems = validate(config)
    if problems:
        raise ConfigError(problems)
    return config


def parse_override(assignment: str) -> tuple[str, str, Any]:
    """`section.field=value` as (section, field, value); only declared fields, never attributes such as
    properties or dunders. The value is read as JSON when it parses, else as text."""
    key, sep, text = assignment.partition("=")
    section_name, dot, field_name = key.strip().partition(".")
    section_cls = SECTIONS.get(section_name) if dot else None
    if not sep or section_cls is None or field_name not in {f.name for f in fields(section_cls)}:
        raise ConfigError([(key.strip()[:80] or assignment[:80], "expected section.field=value with a declared field "
                            "(sections: data, model, loss, optim, train, quality, perf; see README)")])
    try:
        value = parse_json(text, key.strip())
    except ConfigError:
        value = text
    return section_name, field_name, value


def apply_override(config: RunConfig, assignment: str) -> None:
    section_name, field_name, value = parse_override(assignment)
    setattr(getattr(config, section_name), field_name, value)


def load_config(path: str | Path) -> RunConfig:
    path = Path(path)
    try:
        if path.exists() and not path.is_file():
            raise ConfigError([("config", f"{path} is not a regular file")])
        if path.is_file() and path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError([("config", f"{path} is over {MAX_CONFIG_BYTES // 1024} KiB; a config is a few KiB")])
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([("config", f"file not found: {path}")]) from None
    except UnicodeDecodeError:
        raise ConfigError([("config", f"{path} is not UTF-8 text")]) from None
    except OSError as exc:
        raise ConfigError([("config", f"cannot read {path}: {exc.strerror}")]) from None
    return check(RunConfig.from_json(text))


def _toy_preset(name: str, dataset: str, steps: int) -> RunConfig:
    return RunConfig(
        data=DataConfig(dataset=dataset, image_size=28, channels=1),
        model=ModelConfig(arch="mlp", latent_dim=8, width=128),
        loss=LossConfig(kind="non-saturating"),
        optim=OptimConfig(name="adam", lr_g=1e-3, lr_d=1e-3, beta1=0.5, beta2=0.999),
        train=TrainConfig(steps=steps, batch_size=256, k=1, log_every=10, sample_every=100, checkpoint_every=1000),
        preset=name,
    )


PRESET_SUMMARIES = {
    "fashion-dcgan": "DCGAN 28 px on the bundled Fashion-MNIST, non-saturating loss, Adam 2e-4 (beta1 0.5), batch 64",
    "paper-mlp-fashion": "The 2014 paper's MLP on flattened 28x28 Fashion-MNIST, SGD with momentum, k = 1",
    "ring-8": "MLP on 8 Gaussians in a ring (mode-collapse test bed), Adam 1e-3, batch 256",
    "grid-25": "MLP on a 5x5 grid of Gaussians (harder mode-collapse test), Adam 1e-3, batch 256",
    "gaussian-1d": "MLP on the 2014 paper's 1D Gaussian, the picture of G and D moving along one axis: k = 5, "
                   "spectral norm in D, lr D 2e-3, lr G 5e-4 falling over the second half, 1,200 steps, one "
                   "thread; ends with G on the data",
    "ring-8-ema": "ring-8 trained 4x longer with an EMA generator (0.999)",
    "toy-pieces": "The recommended toy preset: MLP whose latent picks one of 100 pieces, EMA 0.99, instance noise "
                  "0.1, R1 0.01, learning rates falling over the last half, 12,000 steps (ring-8 and grid-25)",
    "fashion-minimax": "fashion-dcgan with the 2014 paper's minimax generator loss log(1 - D(G(z))), which saturates",
    "fashion-ttur": "fashion-dcgan with the two time-scale update rule: lr D 4e-4, lr G 1e-4 (Heusel et al. 2017)",
    "fashion-wgan-gp": "DCGAN 28 px, WGAN-GP (lambda 10, n_critic k = 5), Adam 1e-4, betas (0, 0.9) (Gulrajani et al.)",
    "fashion-hinge-sn": "DCGAN 28 px, hinge loss with spectral normalisation in D and an EMA generator",
    "fashion-cdcgan": "The recommended conditional preset: fashion-dcgan drawing one of the ten classes, a "
                      "conditional-BatchNorm generator and a projection discriminator (Miyato & Koyama 2018)",
    "ring-8-conditional": "ring-8 with the mode index as the class: a conditional MLP puts each class on its mode; "
                          "EMA 0.99, learning rates falling over the last half, 4,000 steps",
}


def preset(name: str) -> RunConfig:
    """A fresh copy of a named preset; unknown names raise ConfigError."""
    if name == "fashion-dcgan":
        cfg = RunConfig(preset=name)
    elif name == "paper-mlp-fashion":
        cfg = RunConfig(
            data=DataConfig(dataset="fashion-mnist"),
            model=ModelConfig(arch="mlp", latent_dim=100, width=512),
            loss=LossConfig(kind="non-saturating"),
            optim=OptimConfig(name="sgd", lr_g=0.02, lr_d=0.02, momentum=0.7),
            train=TrainConfig(steps=5000, batch_size=100, k=1),
            preset=name,
        )
    elif name == "ring-8":
        cfg = _toy_preset(name, "ring-8", 3000)
    elif name == "grid-25":
        cfg = _toy_preset(name, "grid-25", 5000)
    elif name == "ring-8-ema":
        cfg = _toy_preset(name, "ring-8", 12000)
        cfg.train.ema_decay = 0.999
    elif name == "toy-pieces":
        cfg = _toy_preset(name, "grid-25", 12000)
        cfg.model.latent_components = 100
        cfg.train.ema_decay = 0.99
        cfg.train.instance_noise = 0.1
        cfg.loss.r1_gamma = 0.01
        cfg.optim.lr_decay = 0.5
    elif name == "gaussian-1d":
        # With k = 1 and equal rates D's kinks all gathered at one sharp edge of G's density (a fold of
        # z's line): linear across the data, D saw only the mean and sat at 1/2 (README, Distribution lab).
        cfg = _toy_preset(name, "gaussian-1d", 1200)
        cfg.model.latent_dim = 1
        cfg.model.width = 32
        cfg.model.spectral_norm = True  # a Lipschitz D cannot pile every kink onto one sharp edge
        cfg.train.k = 5
        cfg.optim.lr_d, cfg.optim.lr_g = 2e-3, 5e-4
        cfg.optim.lr_decay = 0.5  # the last half settles G on the data instead of circling it
        cfg.perf.threads = 1  # 32-wide layers: a second thread only adds hand-offs (README, Distribution lab)
    elif name == "fashion-minimax":
        cfg = RunConfig(preset=name, loss=LossConfig(kind="minimax"))
    elif name == "fashion-ttur":
        cfg = RunConfig(preset=name)
        cfg.optim.lr_d, cfg.optim.lr_g = 4e-4, 1e-4
    elif name == "fashion-wgan-gp":
        cfg = RunConfig(preset=name, loss=LossConfig(kind="wgan-gp", gp_weight=10.0),
                        optim=OptimConfig(name="adam", lr_g=1e-4, lr_d=1e-4, beta1=0.0, beta2=0.9))
        cfg.train.k = 5
    elif name == "fashion-hinge-sn":
        cfg = RunConfig(preset=name, loss=LossConfig(kind="hinge"),
                        optim=OptimConfig(name="adam", lr_g=2e-4, lr_d=2e-4, beta1=0.0, beta2=0.9))
        cfg.model.spectral_norm = True
        cfg.train.ema_decay = 0.999
    elif name == "fashion-cdcgan":
        cfg = RunConfig(preset=name)
        cfg.model.conditional = "projection"
    elif name == "ring-8-conditional":
        # Each class is one Gaussian of std 0.01: G need only be precise, and the falling learning
        # rates and the EMA are what make it so (toy-pieces' lesson); no remedy against collapse is needed.
        cfg = _toy_preset(name, "ring-8", 4000)
        cfg.model.conditional = "projection"
        cfg.train.ema_decay = 0.99
        cfg.optim.lr_decay = 0.5
    else:
        raise ConfigError([("preset", f"unknown preset {name!r} (one of {', '.join(PRESET_SUMMARIES)})")])
    return check(cfg)


PRESETS = tuple(PRESET_SUMMARIES)
DEFAULT_PRESET = "fashion-dcgan"
