"""Run configuration: every field declared once with its metadata, validation, presets and JSON io.

Each field's `setting(...)` carries what the setup form, the live-changes panel, `ganstudio config
--fields` and the simple range checks need, so a new field is one line in its section (core/sections/). Deliberately free of torch
imports so the GUI can build its setup form (and paint its first window) before the heavy engine loads.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Collection
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ganstudio.core.field_spec import ConfigField
from ganstudio.core.presets import PRESET_TABLE
from ganstudio.core.sections import MAX_STEPS as MAX_STEPS
from ganstudio.core.sections.data import DATASET_LABELS as DATASET_LABELS
from ganstudio.core.sections.data import DCGAN_IMAGE_SIZES as DCGAN_IMAGE_SIZES
from ganstudio.core.sections.data import IMAGE_DATASETS as IMAGE_DATASETS
from ganstudio.core.sections.data import LABELLED_TOY_DATASETS as LABELLED_TOY_DATASETS
from ganstudio.core.sections.data import PATH_DATASETS as PATH_DATASETS
from ganstudio.core.sections.data import TOY_DATASETS as TOY_DATASETS
from ganstudio.core.sections.data import DataConfig as DataConfig
from ganstudio.core.sections.loss import CRITIC_LOSSES
from ganstudio.core.sections.loss import LOSS_LABELS as LOSS_LABELS
from ganstudio.core.sections.loss import LOSSES as LOSSES
from ganstudio.core.sections.loss import LossConfig as LossConfig
from ganstudio.core.sections.model import ModelConfig as ModelConfig
from ganstudio.core.sections.optim import OptimConfig as OptimConfig
from ganstudio.core.sections.perf import PerfConfig as PerfConfig
from ganstudio.core.sections.quality import QualityConfig as QualityConfig
from ganstudio.core.sections.train import TrainConfig as TrainConfig

MAX_CONFIG_BYTES = 1 << 20


class ConfigError(ValueError):
    """A configuration value that cannot be used, naming the field and why."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in problems))


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

    def copy(self) -> RunConfig:
        return copy.deepcopy(self)


SECTIONS: dict[str, type] = {
    "data": DataConfig,
    "model": ModelConfig,
    "loss": LossConfig,
    "optim": OptimConfig,
    "train": TrainConfig,
    "quality": QualityConfig,
    "perf": PerfConfig,
}


CONFIG_FIELDS = tuple(
    ConfigField(section, f.name, str(f.type), f.default, f.metadata["spec"])
    for section, cls in SECTIONS.items()
    for f in fields(cls)
)
FIELDS_BY_PATH = {f.path: f for f in CONFIG_FIELDS}  # "train.steps" -> its field: one lookup for an override
# What may change during a run (Trainer.apply_changes), by its name in a change: kept here, torch-free, so a
# control file can be checked against it by a process that never trains.
LIVE_SECTIONS = {f.name: f.section for f in CONFIG_FIELDS if f.spec.live}
LIVE_FIELDS = tuple(LIVE_SECTIONS)
MAX_TEXT = 4096  # longest string field (a path); longer is a mistake or an attack, not a folder name
PRESET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # a run folder is named after it: no separators


class _RepeatedKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json.loads keeps the last of two equal keys without a word; an edited config that sets a field twice
    would then run with whichever came last."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _RepeatedKey(key)
        seen[key] = value
    return seen


def parse_json(text: str, what: str) -> Any:
    """json.loads whose every failure is a ConfigError: bad syntax, a key given twice in one object, a
    5,000-digit integer (ValueError) and nesting deep enough to exhaust the stack (RecursionError) alike."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except _RepeatedKey as exc:
        raise ConfigError([(what, f"the key {str(exc)[:80]!r} is given twice in one object")]) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            [(what, f"not valid JSON ({exc.msg.removesuffix(' at')} at line {exc.lineno}, column {exc.colno})")]
        ) from None
    except RecursionError:  # Python's own words spoke of its recursion limit
        raise ConfigError([(what, "its JSON is nested too deeply")]) from None
    except ValueError as exc:
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


_TYPE_WORDS = {
    "int": "an integer",
    "float": "a finite number",
    "bool": "true or false",
    "str": "text",
    "str | None": "text or null",
}


def type_problems(config: RunConfig) -> list[tuple[str, str]]:
    """Each field against its declared type; the range checks after it may then compare safely."""
    problems = []
    for f in CONFIG_FIELDS:
        value = f.value_in(config)
        if not _type_ok(f.kind, value):
            shown = repr(value) if len(repr(value)) <= 40 else f"a {type(value).__name__}"
            words = _TYPE_WORDS[f.kind]
            if f.kind == "int" and _is_int(value):  # an integer, too large to be one of ours: say the range
                words = f.spec.allowed(f.kind) or "an integer below 2**63"
            problems.append((f.path, f"must be {words}, not {shown}"))
    if config.preset is not None and not (isinstance(config.preset, str) and PRESET_NAME.fullmatch(config.preset)):
        problems.append(("preset", "must be a plain name (letters, digits, '.', '_', '-'), as it names the run folder"))
    return problems


FEATURE_ARCHS = ("dcgan", "improved-mlp")  # the discriminators with a features() layer
SEMI_LOSSES = ("non-saturating", "minimax")  # D(x) = Z / (Z + 1) is a probability: the BCE families only


HELD_OUT_SHARE = 0.2  # of each class, held out by a semi-supervised run: the bundled 10,000 split 8,000 / 2,000
# A semi-supervised run's training images a class, where they are fixed: known before the data is read, so the
# form can say it beside the field (other sets are counted when they are loaded). The bundled 1,000 a class
# less the share held out; fashion-mnist-full's 6,000 (its test split is the held-out one).
TRAINING_IMAGES_PER_CLASS = {"fashion-mnist": 1000 - round(1000 * HELD_OUT_SHARE), "fashion-mnist-full": 6000}


def semi_supervised_problems(config: RunConfig) -> list[tuple[str, str]]:
    """The combinations a semi-supervised run (train.labelled_per_class > 0), feature matching or D's
    dropout cannot work with, each one line."""
    d, m, lo, t = config.data, config.model, config.loss, config.train
    problems: list[tuple[str, str]] = []
    feature_images = m.arch in FEATURE_ARCHS and not d.is_toy
    if lo.feature_matching and not (feature_images and m.conditional == "off"):
        problems.append(
            ("loss.feature_matching", "needs an unconditional DCGAN or 2016 MLP on images (D's hidden features)")
        )
    if m.d_dropout and m.arch != "dcgan":
        problems.append(("model.d_dropout", "is built into the DCGAN discriminator; set 0 for the MLPs"))
    if lo.class_balance and not t.labelled_per_class:
        problems.append(
            (
                "loss.class_balance",
                "spreads a semi-supervised D's class guesses: set it to 0 for an ordinary GAN "
                "(train.labelled_per_class 0), or give labels per class",
            )
        )
    if not t.labelled_per_class:
        return problems
    name = "train.labelled_per_class"
    known_per_class = TRAINING_IMAGES_PER_CLASS.get(d.dataset, t.labelled_per_class)
    rules = (
        (
            feature_images,
            "a semi-supervised run needs DCGAN or the 2016 MLP on an image dataset (not the 2014 MLP or toy data)",
        ),
        (m.conditional == "off", "a semi-supervised D names the classes itself; set model.conditional off"),
        (
            lo.kind in SEMI_LOSSES,
            f"D(x) = Z/(Z+1) is a probability: use loss.kind non-saturating or minimax, not {lo.kind}",
        ),
        (not lo.r1_gamma, "R1 is not defined on D's class logits; set loss.r1_gamma 0"),
        (m.pack == 1, "PacGAN would classify packs of images, not images; set model.pack 1"),
        (not d.limit, "a semi-supervised run keeps its own fixed held-out split; set data.limit 0"),
        (t.unrolled_steps == 0, "unrolled D steps are not built for D's class logits; set train.unrolled_steps 0"),
        (config.perf.processes == 1, "a semi-supervised run trains in one process; set perf.processes 1"),
        (
            t.labelled_per_class <= known_per_class,
            f"the {d.dataset} training images are {known_per_class:,} a class; give at most that many",
        ),
    )
    problems += [(name, reason) for ok, reason in rules if not ok]
    return problems


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate(config: RunConfig) -> list[tuple[str, str]]:
    """Every problem with the config as (field, reason); empty when it can run. Each field's type, or else
    its declared range or choices; then, once all of those hold, the rules that tie fields together."""
    problems = type_problems(config)
    mistyped = {field for field, _ in problems}
    for f in CONFIG_FIELDS:
        if f.path in mistyped:
            continue  # each field's range is its own: one field's typo must not hide another's range error
        reason = f.spec.range_error(f.kind, f.value_in(config))
        if reason:
            problems.append((f.path, reason))
    if problems:
        return problems  # the rules below divide by and index with these fields

    def need(ok: bool, name: str, reason: str) -> None:
        if not ok:
            problems.append((name, reason))

    d, m, lo, t = config.data, config.model, config.loss, config.train
    need(d.dataset != "image-folder" or bool(d.path), "data.path", "an image folder needs a path")
    need(d.dataset != "drawn" or bool(d.path), "data.path", "a drawn distribution needs its .npy file of points")
    if m.arch == "dcgan":
        need(not d.is_toy, "model.arch", "DCGAN needs an image dataset; use the MLP for toy distributions")
        need(
            d.image_size in DCGAN_IMAGE_SIZES,
            "data.image_size",
            f"DCGAN supports {', '.join(map(str, DCGAN_IMAGE_SIZES))} px, not {d.image_size}",
        )
    need(
        m.arch == "mlp" or not m.latent_components,
        "model.latent_components",
        "latent pieces are built into the 2014 MLP generator; set 0 for the other models",
    )
    if m.arch == "improved-mlp":
        need(m.conditional == "off", "model.conditional", "the 2016 MLP is unconditional; use DCGAN or the 2014 MLP")
        need(m.pack == 1, "model.pack", "PacGAN is built for DCGAN and the 2014 MLP; set pack 1")
        need(not m.minibatch_std, "model.minibatch_std", "is built for DCGAN and the 2014 MLP; set it off")
        need(not m.spectral_norm, "model.spectral_norm", "the 2016 MLP normalises its weights itself; set it off")
    processes = config.perf.processes
    need(  # one rule, said once: a batch split over the processes splits each share into packs
        t.batch_size % (processes * m.pack) == 0,
        "train.batch_size",
        f"must be a multiple of the PacGAN pack size ({m.pack})"
        if processes == 1
        else f"must split evenly over the {processes} processes (a multiple of processes x pack size, "
        f"{processes * m.pack})",
    )
    if m.conditional != "off":
        need(
            not d.is_toy or d.dataset in LABELLED_TOY_DATASETS,
            "model.conditional",
            f"{d.dataset} has no classes; conditional toy models need one of {', '.join(LABELLED_TOY_DATASETS)}",
        )
        need(
            m.pack == 1,
            "model.conditional",
            "PacGAN (model.pack > 1) would pack samples of different classes into one judgement; set pack 1",
        )
        need(
            not m.latent_components,
            "model.conditional",
            "latent pieces and classes both split the generator; set model.latent_components 0",
        )
    need(
        m.arch == "mlp" or t.batch_size // max(1, m.pack) >= 2,
        "train.batch_size",
        "batch normalisation (DCGAN, the 2016 MLP's G) needs at least 2 samples per batch (batch / pack)",
    )
    need(
        t.device in ("auto", "cpu", "mps", "cuda") or re.fullmatch(r"cuda:\d+", t.device) is not None,
        "train.device",
        "must be auto, cpu, mps, cuda or cuda:N",
    )
    if t.augment_policies or t.augment_adaptive:
        need(
            not d.is_toy,
            f"train.augment_{t.augment_policies[0]}" if t.augment_policies else "train.augment_adaptive",
            "augmentation transforms images; toy distributions have none",
        )
    need(
        not t.augment_saturation or d.channels == 3,
        "train.augment_saturation",
        "saturation changes nothing on grayscale images (one channel); use it with RGB data",
    )
    need(
        not t.augment_adaptive or bool(t.augment_policies) or d.is_toy,  # toy data: said above, once
        "train.augment_adaptive",
        "the adaptive strength needs at least one augmentation switched on (translation, cutout, ...)",
    )
    need(
        not lo.label_smoothing or lo.kind not in CRITIC_LOSSES,
        "loss.label_smoothing",
        f"softens D's target for real images, and a {lo.kind} critic has none (it scores images, it does not "
        "classify them); set 0",
    )
    need(
        config.perf.autocast != "fp16" or (lo.kind != "wgan-gp" and not lo.r1_gamma),
        "perf.autocast",
        "fp16 cannot carry the gradient penalties (wgan-gp, R1) through its loss scaling; use bf16",
    )
    problems += semi_supervised_problems(config)
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
    """The config, valid, with a whole number given for a float field (`optim.beta1=0`) made a float: torch
    refuses Adam's betas as one int and one float."""
    problems = validate(config)
    if problems:
        raise ConfigError(problems)
    for f in CONFIG_FIELDS:
        section = getattr(config, f.section)
        if f.kind == "float" and _is_int(getattr(section, f.name)):
            setattr(section, f.name, float(getattr(section, f.name)))
    return config


def override_field(assignment: str) -> str:
    """The `section.field` an assignment sets, as written (not yet checked against the sections)."""
    return assignment.split("=", 1)[0].strip()


def parse_override(assignment: str) -> tuple[str, str, Any]:
    """`section.field=value` as (section, field, value); only declared fields, never attributes such as
    properties or dunders. The value is read as JSON when it parses, else as a number the way Python and
    the shell's tools write one (.001, +10: JSON has neither), else as text."""
    key, sep, text = assignment.partition("=")
    field = FIELDS_BY_PATH.get(override_field(assignment)) if sep else None
    if field is None:
        reason = (
            f"expected section.field=value with a declared field (sections: {', '.join(SECTIONS)}; see "
            "`ganstudio config --fields`)"
        )
        raise ConfigError([(key.strip()[:80] or assignment[:80], reason)])
    try:
        value = parse_json(text, field.path)
    except ConfigError:
        value = _as_kind(text, field.kind)
    return field.section, field.name, value


def _as_kind(text: str, kind: str) -> Any:
    """Not JSON: a number field's value read as Python reads one (.001, +10, 1_000), anything else as text."""
    convert = {"int": int, "float": float}.get(kind)
    try:
        return convert(text) if convert is not None else text
    except ValueError:
        return text


def apply_override(config: RunConfig, assignment: str) -> None:
    section_name, field_name, value = parse_override(assignment)
    setattr(getattr(config, section_name), field_name, value)


def load_config(path: str | Path) -> RunConfig:
    path = Path(path)
    try:
        if path.exists() and not path.is_file():
            raise ConfigError([("config", f"{path} is not a regular file")])
        with open(path, "rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError([("config", f"file not found: {path}")]) from None
    except OSError as exc:
        raise ConfigError([("config", f"cannot read {path}: {exc.strerror}")]) from None
    return check(RunConfig.from_dict(config_json(raw, str(path))))


def config_json(raw: bytes, name: str) -> Any:
    """A config file's first MAX_CONFIG_BYTES + 1 bytes as parsed JSON, not yet a config: a `--config` file and a
    run's config.json (see saved_config) alike. A byte-order mark (Notepad's "UTF-8") is no JSON error."""
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError([("config", f"{name} is over {MAX_CONFIG_BYTES // 1024} KiB; a config is a few KiB")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError([("config", f"{name} is not UTF-8 text")]) from None
    return parse_json(text, "config")


def saved_config(raw: Any) -> RunConfig:
    """A config a run saved (its config.json, a checkpoint's), checked as a new one is once the settings an older
    version took and never used are dropped: label smoothing with a critic loss, which has no target to smooth.
    The run trains as it did; refusing the setting there would leave it unable to open, continue or sample."""
    config = RunConfig.from_dict(raw)
    if config.loss.kind in CRITIC_LOSSES:
        config.loss.label_smoothing = 0.0
    return check(config)


PRESETS = tuple(PRESET_TABLE)
DEFAULT_PRESET = "fashion-fast"
PRESET_SUMMARIES = {name: summary for name, (summary, _) in PRESET_TABLE.items()}


def preset_ingredients(name: str) -> tuple[str, ...]:
    """A preset's ingredients: each one `--set` assignment, or several joined by spaces that only make
    sense together (Adam's two betas); `bench quality --ablation` leaves out one at a time."""
    if name not in PRESET_TABLE:
        raise ConfigError([("preset", f"unknown preset {name!r} (one of {', '.join(PRESETS)})")])
    return PRESET_TABLE[name][1]


def ingredient_fields(ingredient: str) -> tuple[str, ...]:
    return tuple(map(override_field, ingredient.split()))


def preset(name: str, without: Collection[str] = ()) -> RunConfig:
    """A fresh copy of a named preset, built as `--set` would build it; unknown names raise ConfigError.
    `without`: fields (section.field) whose ingredient is left out, so the value stays the default."""
    ingredients = preset_ingredients(name)
    known = {field for ingredient in ingredients for field in ingredient_fields(ingredient)}
    unset = [field for field in without if field not in known]
    if unset:
        sets = f"it sets {', '.join(sorted(known))}" if known else "it is the defaults"
        raise ConfigError([("preset", f"{name} does not set {', '.join(unset)} ({sets})")])
    config = RunConfig(preset=name)
    for ingredient in ingredients:
        if not set(ingredient_fields(ingredient)) & set(without):
            for assignment in ingredient.split():
                apply_override(config, assignment)
    return check(config)


def live_values(config: RunConfig) -> dict[str, Any]:
    """What a run can change while it trains (learning rates, k, instance noise, EMA decay), as it is now."""
    return {name: getattr(getattr(config, section), name) for name, section in LIVE_SECTIONS.items()}
