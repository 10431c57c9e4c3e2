"""Run configuration: every field declared once with its metadata, validation, presets and JSON io.

Each field's `setting(...)` carries what the setup form, the live-changes panel, `ganstudio config
--fields` and the simple range checks need, so a new field is one line here. Deliberately free of torch
imports so the GUI can build its setup form (and paint its first window) before the heavy engine loads.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ganstudio.core.field_spec import ADVANCED, AUGMENTATION, PERFORMANCE, QUALITY, STABILISATION, ConfigField, setting
from ganstudio.core.presets import PRESET_TABLE

TOY_DATASETS = ("gaussian-1d", "ring-8", "grid-25", "spiral", "two-moons", "drawn")
# fashion-mnist is the bundled 10,000-image split, fashion-mnist-full idx files on disk (Debian's
# dataset-fashion-mnist or a chosen folder), mnist and fashion-mnist-torchvision come through torchvision
IMAGE_DATASETS = ("fashion-mnist", "fashion-mnist-full", "mnist", "fashion-mnist-torchvision", "cifar10", "image-folder")
DCGAN_IMAGE_SIZES = (28, 32, 64)
# Toy sets whose samples carry a class: the mode index (ring-8, grid-25) or the moon (two-moons).
# spiral, gaussian-1d and drawn points have no natural classes and are refused by name.
LABELLED_TOY_DATASETS = ("ring-8", "grid-25", "two-moons")
MAX_STEPS = 100_000_000
MAX_CONFIG_BYTES = 1 << 20


class ConfigError(ValueError):
    """A configuration value that cannot be used, naming the field and why."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in problems))


DATASET_LABELS = {
    "fashion-mnist": "Fashion-MNIST (bundled, 10,000 images)", "fashion-mnist-full": "Fashion-MNIST full (idx files)",
    "mnist": "MNIST (torchvision)", "fashion-mnist-torchvision": "Fashion-MNIST (torchvision)",
    "cifar10": "CIFAR-10 (torchvision)", "image-folder": "Image folder...",
    "gaussian-1d": "Toy: 1D Gaussian (2014 paper)", "ring-8": "Toy: ring of 8 Gaussians",
    "grid-25": "Toy: grid of 25 Gaussians", "spiral": "Toy: spiral", "two-moons": "Toy: two moons",
    "drawn": "Toy: drawn in the Distribution tab",
}
LOSS_LABELS = {"non-saturating": "Non-saturating (-log D(G(z)))", "minimax": "Minimax (log(1 - D(G(z))), 2014)",
               "least-squares": "Least squares (LSGAN)", "hinge": "Hinge", "wgan": "Wasserstein, weight clipping (WGAN)",
               "wgan-gp": "Wasserstein, gradient penalty (WGAN-GP)"}
LOSSES = tuple(LOSS_LABELS)


@dataclass
class DataConfig:
    dataset: str = setting("fashion-mnist", "Dataset", "What the generator learns to imitate. Toy distributions "
                           "train in seconds; you can also drop an image folder onto the window", choices=DATASET_LABELS)
    path: str | None = setting(None, "Folder", "Folder holding the dataset's files (image folder, idx files or "
                               "torchvision data), or the .npy file of a drawn distribution")
    image_size: int = setting(28, "Images", "Images are resized to this side; DCGAN supports 28, 32 and 64 px, the "
                              "MLP 8 to 64", at_least=8, at_most=64, choices={s: f"{s} px" for s in DCGAN_IMAGE_SIZES},
                              choices_checked=False)
    channels: int = setting(1, "Channels", "Colour channels the generator produces",
                            choices={1: "Grayscale", 3: "RGB"}, beside=True)
    limit: int = setting(0, "Image limit", "Train on a fixed, class-balanced subset of this many images, chosen by "
                         "the seed (the same subset for a seed), to see how a method copes with little data; "
                         "0 = all", at_least=0, at_most=MAX_STEPS, zero="all", fold=AUGMENTATION, step=1000)

    @property
    def is_toy(self) -> bool:
        return self.dataset in TOY_DATASETS

    @property
    def toy_dim(self) -> int:
        return 1 if self.dataset == "gaussian-1d" else 2


@dataclass
class ModelConfig:
    arch: str = setting("dcgan", "Model", "DCGAN for images; the MLP for toy data or flattened images as in the "
                        "2014 paper", choices={"dcgan": "DCGAN (convolutional)", "mlp": "MLP (2014 paper)"})
    latent_dim: int = setting(100, "Latent size", "Size of the noise vector z the generator starts from",
                              at_least=1, at_most=1024)
    width: int = setting(64, "Width", "Base channel count (DCGAN) or hidden units (MLP)", at_least=4, at_most=2048)
    spectral_norm: bool = setting(False, "Spectral norm", "Spectral normalisation on D's layers (Miyato et al. "
                                  "2018)", fold=STABILISATION)
    pack: int = setting(1, "PacGAN pack", "PacGAN: D judges m samples at once (Lin et al. 2018); 1 = off",
                        at_least=1, at_most=16, fold=STABILISATION)
    latent_components: int = setting(0, "Latent pieces", "MLP generator only: the first latent number also picks "
                                     "one of N pieces, so G can leave the gaps between separate modes empty "
                                     "(Khayatkhoei et al. 2018); 0 = off", at_least=0, at_most=1024, zero="off",
                                     fold=STABILISATION)
    minibatch_std: bool = setting(False, "Minibatch std", "Minibatch standard-deviation layer in D (Karras et al. "
                                  "2018): D sees how varied the batch is", fold=STABILISATION)
    d_activation: str = setting("leaky_relu", "D activation", "D's hidden activation: LeakyReLU keeps gradients "
                                "flowing for negative inputs (Radford et al. 2016)", fold=STABILISATION,
                                choices={"leaky_relu": "LeakyReLU (0.2)", "relu": "ReLU"})
    conditional: str = setting("off", "Conditional", "Generate p(x | class); the class count and names come from the "
                               "data. Projection (recommended): G's BatchNorms take a per-class scale and shift, D "
                               "adds <embed(class), features> to its score (Miyato & Koyama 2018). Concatenation: "
                               "the class joins G's noise and D's input as a one-hot vector (Mirza & Osindero "
                               "2014). AC-GAN: D also classifies every image (Odena et al. 2017); known to lose "
                               "diversity within a class",
                               choices={"off": "Off", "projection": "Projection", "concat": "Concatenation",
                                        "acgan": "AC-GAN"})

    @property
    def is_conditional(self) -> bool:
        return self.conditional != "off"


@dataclass
class LossConfig:
    kind: str = setting("non-saturating", "Loss", "Minimax is the 2014 game; non-saturating gives G strong gradients "
                        "early (the paper's practical advice); least squares is LSGAN (Mao et al. 2017); hinge (Lim & "
                        "Ye 2017; Miyato et al. 2018); WGAN with weight clipping (Arjovsky et al. 2017) and with "
                        "gradient penalty (Gulrajani et al. 2017): use k = 5 (n_critic)", choices=LOSS_LABELS)
    r1_gamma: float = setting(0.0, "R1 gamma", "R1 penalty weight gamma on real data (Mescheder et al. 2018); "
                              "0 = off", at_least=0, zero="off", fold=STABILISATION)
    gp_weight: float = setting(10.0, "GP weight", "WGAN-GP's gradient-penalty weight lambda (Gulrajani et al. "
                               "2017)", more_than=0, fold=STABILISATION)
    clip_value: float = setting(0.01, "WGAN clip", "WGAN's weight clipping range c (Arjovsky et al. 2017)",
                                more_than=0, fold=STABILISATION)
    label_smoothing: float = setting(0.0, "Label smoothing", "One-sided label smoothing: D's real target is 1 - s "
                                     "(Salimans et al. 2016); 0 = off", at_least=0, below=0.5, zero="off",
                                     fold=STABILISATION)


@dataclass
class OptimConfig:
    name: str = setting("adam", "Optimizer", "The optimizer used for both networks, each with its own learning "
                        "rate", choices={"adam": "Adam", "sgd": "SGD with momentum"})
    lr_g: float = setting(2e-4, "lr G", "Generator learning rate, e.g. 2e-4", more_than=0, what="learning rate",
                          live=True)
    lr_d: float = setting(2e-4, "lr D", "Discriminator learning rate, e.g. 2e-4 (TTUR: often 4x G's)", more_than=0,
                          what="learning rate", live=True)
    beta1: float = setting(0.5, "Adam beta1", "Adam's beta1 (0.5 in DCGAN)", at_least=0, below=1, fold=ADVANCED)
    beta2: float = setting(0.999, "Adam beta2", "Adam's beta2", at_least=0, below=1, fold=ADVANCED)
    momentum: float = setting(0.5, "SGD momentum", "SGD momentum (the 2014 paper used 0.5 rising to 0.7)",
                              at_least=0, below=1, fold=ADVANCED)
    lr_decay: float = setting(0.0, "LR decay", "Over this last fraction of the run both learning rates fall linearly "
                              "towards 0 (0.5 = the second half); 0 = constant", at_least=0, at_most=1,
                              zero="constant", fold=ADVANCED)


@dataclass
class TrainConfig:
    k: int = setting(1, "k (D steps)", "Discriminator steps per generator step (k in Algorithm 1)", at_least=1,
                     at_most=100, what="discriminator steps per generator step", live=True)
    batch_size: int = setting(64, "Batch size", "Minibatch size m", at_least=1, at_most=65536)
    steps: int = setting(5000, "Steps", "Total generator steps of the run", at_least=1, at_most=MAX_STEPS, step=100)
    seed: int = setting(0, "Seed", "Random seed: the same seed gives the same run (CPU)", at_least=0)
    device: str = setting("auto", "Device", "Where training runs: auto picks CUDA, then Apple MPS, then the CPU; "
                          "or cpu, mps, cuda, cuda:N")
    log_every: int = setting(10, "Log every", "Steps between device syncs for statistics", at_least=1,
                             at_most=MAX_STEPS, fold=ADVANCED)
    sample_every: int = setting(250, "Save grid every", "Steps between sample grids saved to samples/", at_least=1,
                                at_most=MAX_STEPS, fold=ADVANCED)
    checkpoint_every: int = setting(1000, "Checkpoint every", "Steps between kept checkpoints", at_least=1,
                                    at_most=MAX_STEPS, fold=ADVANCED)
    metrics_every: int = setting(250, "Mode metrics every", "Steps between mode-collapse measurements (ring-8 and "
                                 "grid-25)", at_least=1, at_most=MAX_STEPS, fold=ADVANCED)
    instance_noise: float = setting(0.0, "Instance noise", "Std of Gaussian noise added to D's inputs (instance "
                                    "noise, Sønderby et al. 2017; Arjovsky & Bottou 2017); 0 = off", at_least=0,
                                    zero="off", fold=STABILISATION, live=True)
    ema_decay: float = setting(0.0, "EMA decay", "Exponential moving average of G's weights, used for samples and "
                               "the explorer (0 = off; 0.999 is typical). Karras et al. 2018, Yazici et al. 2019",
                               at_least=0, below=1, zero="off", fold=ADVANCED, live=True)
    noise_anneal_steps: int = setting(0, "Noise anneal steps", "Steps over which instance noise falls linearly to "
                                      "zero; 0 keeps it constant", at_least=0, at_most=MAX_STEPS, zero="constant",
                                      fold=STABILISATION)
    unrolled_steps: int = setting(0, "Unrolled D steps", "Unrolled GAN: G's loss through K unrolled D steps (Metz "
                                  "et al. 2017), D's own weights untouched; 0 = off", at_least=0, at_most=50,
                                  zero="off", fold=STABILISATION)
    augment_translation: bool = setting(False, "Translation", "DiffAugment (Zhao et al. 2020): every image D sees, "
                                        "real and generated, shifted by up to 1/8 of its side", fold=AUGMENTATION)
    augment_cutout: bool = setting(False, "Cutout", "DiffAugment: a square hole of half the side at a random place "
                                   "in every image D sees", fold=AUGMENTATION)
    augment_brightness: bool = setting(False, "Brightness", "DiffAugment: every image D sees brightened or darkened "
                                       "by up to 0.5", fold=AUGMENTATION)
    augment_contrast: bool = setting(False, "Contrast", "DiffAugment: every image D sees with its contrast scaled by "
                                     "0.5 to 1.5", fold=AUGMENTATION)
    augment_saturation: bool = setting(False, "Saturation", "DiffAugment: colour saturation scaled by 0 to 2. RGB "
                                       "only: on grayscale it changes nothing and is refused", fold=AUGMENTATION)
    augment_adaptive: bool = setting(False, "Adaptive strength", "Adaptive augmentation in the spirit of ADA "
                                     "(Karras et al. 2020): each image is augmented with probability p, raised while "
                                     "D is sure of the real images (E[sign D(x)] above the target) and lowered "
                                     "otherwise; p is plotted with D's outputs", fold=AUGMENTATION)
    augment_target: float = setting(0.6, "Target r_t", "The adaptive strength's target for E[sign D(real)]: 0 = D "
                                    "unsure, 1 = sure of every real image (0.6 in ADA)", more_than=0, below=1,
                                    fold=AUGMENTATION)
    augment_cap: float = setting(0.8, "Cap on p", "The highest augmentation probability the adaptive strength may "
                                 "reach, so p cannot run away and let augmentations leak into G's images",
                                 more_than=0, at_most=1, fold=AUGMENTATION)

    @property
    def augment_policies(self) -> tuple[str, ...]:
        """The DiffAugment transforms switched on, in the order they are applied."""
        names = ("translation", "cutout", "brightness", "contrast", "saturation")
        return tuple(name for name in names if getattr(self, f"augment_{name}"))


@dataclass
class QualityConfig:
    """Sample-quality scoring in the shipped feature space while training (image datasets only)."""

    every: int = setting(1000, "Score every", "Steps between sample-quality evaluations (Fréchet distance, KID, "
                         "precision/recall, density/coverage) in the shipped feature space; 0 = off. Image datasets "
                         "only", at_least=0, at_most=MAX_STEPS, zero="off", fold=QUALITY)
    samples: int = setting(2000, "Images scored", "Generated (and real) images per evaluation: more is steadier and "
                           "slower", at_least=50, at_most=50000, fold=QUALITY)
    keep_best: bool = setting(True, "Keep best checkpoint", "Save checkpoints/best.pt whenever the Fréchet distance "
                              "reaches a new low", fold=QUALITY)
    inception: bool = setting(False, "Inception FID", "Also compute standard FID with torchvision's Inception v3 "
                              "(2048-d pool features; slow on a CPU)", fold=QUALITY)
    inception_weights: str | None = setting(None, "Inception weights", "An inception_v3_google-*.pth file; empty "
                                            "looks in torch hub's cache. Nothing is ever downloaded during training",
                                            fold=QUALITY)


@dataclass
class PerfConfig:
    """The fast path. Each switch keeps results equal to the plain path within float tolerance;
    "auto" picks what measured fastest for the device (see core/fast_path.py)."""

    channels_last: str = setting("auto", "Channels-last", "NHWC memory format for the DCGAN's convolutions. Auto: on "
                                 "for CUDA and for fp32 runs on the CPU (no gain on top of bf16)",
                                 choices=("auto", "on", "off"), fold=PERFORMANCE)
    autocast: str = setting("auto", "Autocast", "Mixed precision. Auto: bf16 for image models on GPUs and on CPUs "
                            "with native bf16 (AVX512-BF16, AMX); toy data stays fp32. fp16 adds loss scaling and "
                            "cannot carry gradient penalties", choices=("auto", "off", "bf16", "fp16"),
                            fold=PERFORMANCE)
    optimizer_impl: str = setting("auto", "Optimizer kernels", "How Adam/SGD update the weights: fused kernels (auto "
                                  "on CUDA and the CPU), foreach over all tensors at once, or a plain loop",
                                  choices=("auto", "fused", "foreach", "for-loop"), fold=PERFORMANCE)
    compile: bool = setting(False, "torch.compile", "torch.compile G and D: the first step takes a minute or more to "
                            "compile; falls back to normal execution if compiling fails", fold=PERFORMANCE)
    cudnn_benchmark: bool = setting(True, "cuDNN autotune", "Let cuDNN time its convolution algorithms on the first "
                                    "steps and keep the fastest (CUDA only)", fold=PERFORMANCE)
    threads: int = setting(0, "CPU threads", "CPU threads for training. Auto: every core; with 4 or more, one is left "
                           "to the window so plots and sliders stay smooth", at_least=0, at_most=1024, zero="auto",
                           fold=PERFORMANCE)
    processes: int = setting(1, "Processes", "Train on this many processes through torchrun: one per GPU, or CPU "
                             "processes; the global batch is split between them. With more than one, Start "
                             "launches torchrun and the window watches the run folder", at_least=1, at_most=1024,
                             fold=PERFORMANCE)


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


CONFIG_FIELDS = tuple(ConfigField(section, f.name, str(f.type), f.default, f.metadata["spec"])
                      for section, cls in SECTIONS.items() for f in fields(cls))
# What may change during a run (Trainer.apply_changes), by its name in a change: kept here, torch-free, so a
# control file can be checked against it by a process that never trains.
LIVE_SECTIONS = {f.name: f.section for f in CONFIG_FIELDS if f.spec.live}
LIVE_FIELDS = tuple(LIVE_SECTIONS)
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
    for f in CONFIG_FIELDS:
        value = getattr(getattr(config, f.section), f.name)
        if not _type_ok(f.kind, value):
            shown = repr(value) if len(repr(value)) <= 40 else f"a {type(value).__name__}"
            problems.append((f.path, f"must be {_TYPE_WORDS[f.kind]}, not {shown}"))
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


def validate(config: RunConfig) -> list[tuple[str, str]]:
    """Every problem with the config as (field, reason); empty when it can run. Types first, then each
    field's declared range or choices, then the rules that tie fields together."""
    problems = type_problems(config)
    if problems:
        return problems
    for f in CONFIG_FIELDS:
        reason = f.spec.range_error(f.kind, getattr(getattr(config, f.section), f.name))
        if reason:
            problems.append((f.path, reason))

    def need(ok: bool, name: str, reason: str) -> None:
        if not ok:
            problems.append((name, reason))

    d, m, lo, t = config.data, config.model, config.loss, config.train
    need(d.dataset != "image-folder" or bool(d.path), "data.path", "an image folder needs a path")
    need(d.dataset != "drawn" or bool(d.path), "data.path", "a drawn distribution needs its .npy file of points")
    if m.arch == "dcgan":
        need(not d.is_toy, "model.arch", "DCGAN needs an image dataset; use the MLP for toy distributions")
        need(d.image_size in DCGAN_IMAGE_SIZES, "data.image_size",
             f"DCGAN supports {', '.join(map(str, DCGAN_IMAGE_SIZES))} px, not {d.image_size}")
    need(m.arch == "mlp" or not m.latent_components, "model.latent_components",
         "latent pieces are built into the MLP generator; set 0 for DCGAN")
    need(t.batch_size % m.pack == 0, "train.batch_size", f"must be a multiple of the PacGAN pack size ({m.pack})")
    if m.conditional != "off":
        need(not d.is_toy or d.dataset in LABELLED_TOY_DATASETS, "model.conditional",
             f"{d.dataset} has no classes; conditional toy models need one of {', '.join(LABELLED_TOY_DATASETS)}")
        need(m.pack == 1, "model.conditional",
             "PacGAN (model.pack > 1) would pack samples of different classes into one judgement; set pack 1")
        need(not m.latent_components, "model.conditional",
             "latent pieces and classes both split the generator; set model.latent_components 0")
    need(m.arch != "dcgan" or t.batch_size // max(1, m.pack) >= 2, "train.batch_size",
         "DCGAN's batch normalisation needs at least 2 samples per discriminator batch (batch / pack)")
    need(t.device in ("auto", "cpu", "mps", "cuda") or re.fullmatch(r"cuda:\d+", t.device) is not None,
         "train.device", "must be auto, cpu, mps, cuda or cuda:N")
    if t.augment_policies or t.augment_adaptive:
        need(not d.is_toy, f"train.augment_{t.augment_policies[0]}" if t.augment_policies else "train.augment_adaptive",
             "augmentation transforms images; toy distributions have none")
    need(not t.augment_saturation or d.channels == 3, "train.augment_saturation",
         "saturation changes nothing on grayscale images (one channel); use it with RGB data")
    need(not t.augment_adaptive or bool(t.augment_policies), "train.augment_adaptive",
         "the adaptive strength needs at least one augmentation switched on (translation, cutout, ...)")
    need(config.perf.autocast != "fp16" or (lo.kind != "wgan-gp" and not lo.r1_gamma), "perf.autocast",
         "fp16 cannot carry the gradient penalties (wgan-gp, R1) through its loss scaling; use bf16")
    need(t.batch_size % (config.perf.processes * m.pack) == 0, "train.batch_size",
         f"must split evenly over the {config.perf.processes} processes (a multiple of processes x pack size)")
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
        reason = (f"expected section.field=value with a declared field (sections: {', '.join(SECTIONS)}; see "
                  "`ganstudio config --fields`)")
        raise ConfigError([(key.strip()[:80] or assignment[:80], reason)])
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


PRESETS = tuple(PRESET_TABLE)
DEFAULT_PRESET = "fashion-dcgan"
PRESET_SUMMARIES = {name: summary for name, (summary, _) in PRESET_TABLE.items()}


def preset(name: str) -> RunConfig:
    """A fresh copy of a named preset, built as `--set` would build it; unknown names raise ConfigError."""
    if name not in PRESET_TABLE:
        raise ConfigError([("preset", f"unknown preset {name!r} (one of {', '.join(PRESETS)})")])
    config = RunConfig(preset=name)
    for assignment in PRESET_TABLE[name][1]:
        apply_override(config, assignment)
    return check(config)
