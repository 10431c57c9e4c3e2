"""Presets are data applied as `--set` applies overrides: each one must build exactly the config it built
when presets were code (frozen below from that code: the defaults, and what each preset changes)."""

import pytest

from ganstudio.core.config import CONFIG_FIELDS, LIVE_FIELDS, PRESETS, RunConfig, preset, validate

DEFAULTS = {
    "data.dataset": "fashion-mnist",
    "data.path": None,
    "data.image_size": 28,
    "data.channels": 1,
    "model.arch": "dcgan",
    "model.latent_dim": 100,
    "model.width": 64,
    "model.d_activation": "leaky_relu",
    "model.spectral_norm": False,
    "model.minibatch_std": False,
    "model.pack": 1,
    "model.latent_components": 0,
    "loss.kind": "non-saturating",
    "loss.gp_weight": 10.0,
    "loss.clip_value": 0.01,
    "loss.r1_gamma": 0.0,
    "loss.label_smoothing": 0.0,
    "optim.name": "adam",
    "optim.lr_g": 0.0002,
    "optim.lr_d": 0.0002,
    "optim.beta1": 0.5,
    "optim.beta2": 0.999,
    "optim.momentum": 0.5,
    "optim.lr_decay": 0.0,
    "train.steps": 5000,
    "train.batch_size": 64,
    "train.k": 1,
    "train.g_steps": 1,
    "train.seed": 0,
    "train.device": "auto",
    "train.log_every": 10,
    "train.sample_every": 250,
    "train.checkpoint_every": 1000,
    "train.metrics_every": 250,
    "train.ema_decay": 0.0,
    "train.instance_noise": 0.0,
    "train.noise_anneal_steps": 0,
    "train.unrolled_steps": 0,
    "quality.every": 1000,
    "quality.samples": 2000,
    "quality.keep_best": True,
    "quality.inception": False,
    "quality.inception_weights": None,
    "perf.channels_last": "auto",
    "perf.autocast": "auto",
    "perf.optimizer_impl": "auto",
    "perf.compile": False,
    "perf.cudnn_benchmark": True,
    "perf.threads": 0,
    "data.limit": 0,
    "train.augment_translation": False,
    "train.augment_cutout": False,
    "train.augment_brightness": False,
    "train.augment_contrast": False,
    "train.augment_saturation": False,
    "train.augment_adaptive": False,
    "train.augment_target": 0.6,
    "train.augment_cap": 0.8,
    "model.conditional": "off",
    "perf.processes": 1,
    "train.labelled_per_class": 0,
    "loss.feature_matching": False,
    "loss.class_balance": 0.0,
    "model.d_dropout": 0.0,
}
SEMI = {
    "model.arch": "improved-mlp",
    "model.width": 250,
    "model.d_activation": "relu",
    "loss.feature_matching": True,
    "loss.class_balance": 1.0,
    "train.instance_noise": 0.6,
    "optim.lr_g": 0.003,
    "optim.lr_d": 0.003,
    "optim.lr_decay": 0.3,
    "train.batch_size": 100,
    "train.g_steps": 2,
    "train.steps": 6000,
    "quality.every": 500,
    "quality.samples": 1000,
    "train.sample_every": 250,
}
PRESET_CHANGES = {
    "fashion-fast": {"model.width": 32, "optim.lr_g": 0.001, "optim.lr_d": 0.001, "train.ema_decay": 0.99},
    "fashion-dcgan": {},
    "paper-mlp-fashion": {
        "model.arch": "mlp",
        "model.width": 512,
        "optim.name": "sgd",
        "optim.lr_g": 0.02,
        "optim.lr_d": 0.02,
        "optim.momentum": 0.7,
        "train.batch_size": 100,
    },
    "ring-8": {
        "data.dataset": "ring-8",
        "model.arch": "mlp",
        "model.latent_dim": 8,
        "model.width": 128,
        "optim.lr_g": 0.001,
        "optim.lr_d": 0.001,
        "train.steps": 3000,
        "train.batch_size": 256,
        "train.sample_every": 100,
    },
    "grid-25": {
        "data.dataset": "grid-25",
        "model.arch": "mlp",
        "model.latent_dim": 8,
        "model.width": 128,
        "optim.lr_g": 0.001,
        "optim.lr_d": 0.001,
        "train.batch_size": 256,
        "train.sample_every": 100,
    },
    "gaussian-1d": {
        "data.dataset": "gaussian-1d",
        "model.arch": "mlp",
        "model.latent_dim": 1,
        "model.width": 32,
        "model.spectral_norm": True,
        "optim.lr_g": 0.0005,
        "optim.lr_d": 0.002,
        "optim.lr_decay": 0.5,
        "train.steps": 1200,
        "train.batch_size": 256,
        "train.k": 5,
        "train.sample_every": 100,
        "perf.threads": 1,
    },
    "ring-8-ema": {
        "data.dataset": "ring-8",
        "model.arch": "mlp",
        "model.latent_dim": 8,
        "model.width": 128,
        "optim.lr_g": 0.001,
        "optim.lr_d": 0.001,
        "train.steps": 12000,
        "train.batch_size": 256,
        "train.sample_every": 100,
        "train.ema_decay": 0.999,
    },
    "toy-pieces": {
        "data.dataset": "grid-25",
        "model.arch": "mlp",
        "model.latent_dim": 8,
        "model.width": 128,
        "model.latent_components": 100,
        "loss.r1_gamma": 0.01,
        "optim.lr_g": 0.001,
        "optim.lr_d": 0.001,
        "optim.lr_decay": 0.5,
        "train.steps": 12000,
        "train.batch_size": 256,
        "train.sample_every": 100,
        "train.ema_decay": 0.99,
        "train.instance_noise": 0.1,
    },
    "fashion-minimax": {
        "loss.kind": "minimax",
    },
    "fashion-ttur": {
        "optim.lr_g": 0.0001,
        "optim.lr_d": 0.0004,
    },
    "fashion-wgan-gp": {
        "loss.kind": "wgan-gp",
        "optim.lr_g": 0.0001,
        "optim.lr_d": 0.0001,
        "optim.beta1": 0.0,
        "optim.beta2": 0.9,
        "train.k": 5,
    },
    "fashion-hinge-sn": {
        "model.spectral_norm": True,
        "loss.kind": "hinge",
        "optim.beta1": 0.0,
        "optim.beta2": 0.9,
        "train.ema_decay": 0.999,
    },
    "fashion-cdcgan": {
        "model.conditional": "projection",
        "model.width": 32,
        "loss.kind": "hinge",
        "model.spectral_norm": True,
        "optim.beta1": 0.0,
        "optim.beta2": 0.9,
        "optim.lr_d": 4e-4,
    },
    "ring-8-conditional": {
        "data.dataset": "ring-8",
        "model.arch": "mlp",
        "model.latent_dim": 8,
        "model.width": 128,
        "optim.lr_g": 0.001,
        "optim.lr_d": 0.001,
        "optim.lr_decay": 0.5,
        "train.steps": 4000,
        "train.batch_size": 256,
        "train.sample_every": 100,
        "train.ema_decay": 0.99,
        "model.conditional": "projection",
    },
    "fashion-semi-100": {**SEMI, "train.labelled_per_class": 10},
    "fashion-semi-1000": {**SEMI, "train.labelled_per_class": 100},
}


def flat(config: RunConfig) -> dict[str, tuple[type, object]]:
    return {
        f"{section}.{name}": (type(value), value)
        for section, values in config.to_dict().items()
        if isinstance(values, dict)
        for name, value in values.items()
    }


def test_the_frozen_table_names_every_preset():
    assert tuple(PRESET_CHANGES) == PRESETS


@pytest.mark.parametrize("name", PRESETS)
def test_each_preset_builds_the_config_it_always_built(name):
    built = flat(preset(name))
    expected = {**DEFAULTS, **PRESET_CHANGES[name]}
    assert {key: built[key] for key in DEFAULTS} == {key: (type(value), value) for key, value in expected.items()}
    assert preset(name).preset == name


def test_every_field_has_metadata_that_validate_accepts_at_its_default():
    for f in CONFIG_FIELDS:
        assert f.spec.label and len(f.spec.help) > 10, f.path
        assert f.spec.range_error(f.kind, f.default) is None, f.path
    assert validate(RunConfig()) == []
    assert set(LIVE_FIELDS) == {"lr_g", "lr_d", "k", "instance_noise", "ema_decay"}


@pytest.mark.parametrize(
    "assignment, reason",
    [
        ("optim.lr_g=0", "learning rate must be > 0, not 0"),
        ("optim.beta1=1.0", "must be in [0, 1), not 1"),
        ("loss.label_smoothing=0.5", "must be in [0, 0.5) (0 = off), not 0.5"),
        ("loss.label_smoothing=0.50000001", "must be in [0, 0.5) (0 = off), not 0.50000001"),  # not rounded to 0.5
        ("train.k=101", "discriminator steps per generator step must be an integer from 1 to 100, not 101"),
        ("quality.every=-1", "must be an integer from 0 (off) to 100,000,000, not -1"),
        ("train.steps=200000000", "must be an integer from 1 to 100,000,000, not 200,000,000"),
        ("model.arch=vae", "must be one of dcgan, mlp, improved-mlp, not 'vae'"),
        ("data.channels=2", "must be one of 1, 3, not 2"),
    ],
)
def test_range_and_choice_errors_come_from_the_metadata(assignment, reason):
    from ganstudio.core.config import apply_override

    config = preset("fashion-dcgan")
    apply_override(config, assignment)
    assert (assignment.split("=")[0], reason) in validate(config)


def test_an_mlp_takes_any_image_size_in_range_and_dcgan_only_its_own():
    from ganstudio.core.config import apply_override

    config = preset("paper-mlp-fashion")
    apply_override(config, "data.image_size=16")
    assert validate(config) == []
    apply_override(config, "model.arch=dcgan")
    assert ("data.image_size", "DCGAN supports 28, 32, 64 px, not 16") in validate(config)


def test_a_preset_without_an_ingredient_keeps_that_field_at_its_default_and_the_rest_as_set():
    from ganstudio.core.config import ingredient_fields, preset_ingredients

    whole, without = flat(preset("fashion-wgan-gp")), flat(preset("fashion-wgan-gp", without=("train.k",)))
    assert whole["train.k"] == (int, 5) and without["train.k"] == (int, DEFAULTS["train.k"])
    assert {key: value for key, value in without.items() if key != "train.k"} == {
        key: value for key, value in whole.items() if key != "train.k"
    }
    grouped = [ingredient for ingredient in preset_ingredients("fashion-fast") if len(ingredient.split()) > 1]
    assert grouped, "fashion-fast's two learning rates are one ingredient"
    fields = ingredient_fields(grouped[0])
    left = flat(preset("fashion-fast", without=fields[:1]))  # naming one field of a group leaves out the group
    assert all(left[field] == (type(DEFAULTS[field]), DEFAULTS[field]) for field in fields)


def test_leaving_out_a_field_the_preset_does_not_set_is_refused_by_name():
    from ganstudio.core.config import ConfigError

    with pytest.raises(ConfigError, match=r"fashion-dcgan does not set train\.ema_decay"):
        preset("fashion-dcgan", without=("train.ema_decay",))


def test_every_preset_has_a_row_in_readmes_presets_table():
    """Three presets the window offers had no row: a person could not look up what they do."""
    from pathlib import Path

    from ganstudio.core.config import PRESET_SUMMARIES

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("\n### Presets\n", 1)[1].split("\n### ", 1)[0]
    assert [name for name in PRESET_SUMMARIES if f"| `{name}`" not in table] == []
