"""The setup form and the live panel come from the fields' metadata: every declared field has a
control named after it with its help as tooltip, values go in and come out unchanged, and the live
panel offers exactly the fields marked live."""

import pytest
from PySide6.QtWidgets import QComboBox, QLabel, QWidget
from superqt import QCollapsible

from ganstudio.core.config import CONFIG_FIELDS, LIVE_FIELDS, RunConfig, apply_override, preset, validate
from ganstudio.gui.widgets.live_changes import LiveChangesPanel
from ganstudio.gui.widgets.setup_form import SetupForm

# a valid config in which every field differs from fashion-dcgan's, so a field the form drops shows
CHANGED = [
    "data.dataset=cifar10",
    "data.path=/data/cifar",
    "data.image_size=32",
    "data.channels=3",
    "model.arch=mlp",
    "model.latent_components=3",
    "model.latent_dim=64",
    "model.width=32",
    "model.spectral_norm=true",
    "model.pack=2",
    "model.minibatch_std=true",
    "model.d_activation=relu",
    "loss.kind=least-squares",  # label smoothing: a critic loss has no target to smooth
    "loss.r1_gamma=0.5",
    "loss.gp_weight=5.0",
    "loss.clip_value=0.02",
    "loss.label_smoothing=0.1",
    "optim.name=sgd",
    "optim.lr_g=3e-4",
    "optim.lr_d=5e-4",
    "optim.beta1=0.1",
    "optim.beta2=0.99",
    "optim.momentum=0.9",
    "optim.lr_decay=0.25",
    "train.k=2",
    "train.g_steps=2",
    "train.batch_size=32",
    "train.steps=777",
    "train.seed=9",
    "train.device=cpu",
    "train.log_every=5",
    "train.sample_every=50",
    "train.checkpoint_every=70",
    "train.metrics_every=30",
    "train.ema_decay=0.99",
    "train.instance_noise=0.05",
    "train.noise_anneal_steps=300",
    "train.unrolled_steps=3",
    "data.limit=2000",
    "train.augment_translation=true",
    "train.augment_cutout=true",
    "train.augment_brightness=true",
    "train.augment_contrast=true",
    "train.augment_saturation=true",
    "train.augment_adaptive=true",
    "train.augment_target=0.5",
    "train.augment_cap=0.9",
    "quality.every=0",
    "quality.samples=100",
    "quality.keep_best=false",
    "quality.inception=false",
    "quality.inception_weights=/w/inception.pth",
    "perf.channels_last=on",
    "perf.autocast=bf16",
    "perf.optimizer_impl=foreach",
    "perf.compile=true",
    "perf.cudnn_benchmark=false",
    "perf.threads=2",
    "perf.processes=2",
]


def test_every_field_has_a_named_control_with_its_help_and_an_error_label(qtbot):
    form = SetupForm()
    qtbot.addWidget(form)
    for field in CONFIG_FIELDS:
        control = form.findChild(QWidget, field.path)
        assert control is not None, field.path
        assert field.spec.help and control.toolTip() in (field.spec.help, f"Unavailable: {form._inception_reason}")
        assert form.findChild(QLabel, f"error_{field.path.replace('.', '_')}") is not None or field.spec.beside


def test_a_config_goes_through_the_form_unchanged(qtbot):
    form = SetupForm()
    qtbot.addWidget(form)
    config = RunConfig()
    for assignment in CHANGED:
        apply_override(config, assignment)
    assert validate(config) == []
    default = RunConfig().to_dict()
    changed = {
        f"{s}.{k}"
        for s, values in config.to_dict().items()
        if isinstance(values, dict)
        for k, v in values.items()
        if default[s][k] != v
    }
    # quality.inception needs weights on disk; model.conditional cannot combine with PacGAN or latent pieces;
    # the semi-supervised fields, feature matching and D's dropout need an unconditional DCGAN (this is an MLP)
    semi = {"train.labelled_per_class", "loss.feature_matching", "loss.class_balance", "model.d_dropout"}
    assert changed == {f.path for f in CONFIG_FIELDS} - {"quality.inception", "model.conditional", *semi}
    form.set_config(config)
    assert form.config() == config
    assert form.preset_combo.currentData() == "custom"


def test_a_range_error_from_the_metadata_shows_beside_its_field(qtbot):
    form = SetupForm()
    qtbot.addWidget(form)
    form.widget("loss.label_smoothing").setText("0.7")
    error = form.findChild(QLabel, "error_loss_label_smoothing")
    assert error.text() == "must be in [0, 0.5) (0 = off), not 0.7" and form.problems()
    form.widget("loss.label_smoothing").setText("0.1")
    assert error.text() == "" and not form.problems()


def test_a_typo_in_one_field_does_not_hide_a_range_error_in_another(qtbot):
    form = SetupForm()
    qtbot.addWidget(form)
    form.widget("optim.lr_d").setText("abc")
    form.widget("optim.lr_g").setText("-0.1")
    assert form.findChild(QLabel, "error_optim_lr_d").text() == "must be a finite number, not 'abc'"
    assert "must be > 0" in form.findChild(QLabel, "error_optim_lr_g").text()
    assert {field for field, _ in form.problems()} == {"optim.lr_d", "optim.lr_g"}


@pytest.fixture
def desktop_locale():
    """Sets the locale Qt reads numbers in, as the desktop's would, for the test's length."""
    from PySide6.QtCore import QLocale

    before = QLocale()
    yield lambda language, country: QLocale.setDefault(QLocale(language, country))
    QLocale.setDefault(before)


def test_a_decimal_comma_is_read_where_the_desktop_writes_decimals_with_one(qtbot, desktop_locale):
    """ "0,0005" was refused as "must be a finite number" on a German desktop, whose spin boxes take "2.500" as 2500
    (trial X); a comma that cannot be a decimal one says to use a dot."""
    from PySide6.QtCore import QLocale

    desktop_locale(QLocale.Language.German, QLocale.Country.Germany)
    form = SetupForm()
    qtbot.addWidget(form)
    form.widget("optim.lr_g").setText("0,0005")
    assert form.config().optim.lr_g == 0.0005 and not form.problems()
    form.widget("optim.lr_g").setText("2,5e-4")
    assert form.config().optim.lr_g == 0.00025
    form.widget("optim.lr_g").setText("0,000,5")
    said = form.findChild(QLabel, "error_optim_lr_g").text()
    assert said == "must be a number with a dot for decimals (0.0002 or 2e-4), not '0,000,5'"


def test_a_comma_where_decimals_take_a_dot_is_refused_with_how_to_write_it(qtbot, desktop_locale):
    """On an English desktop 1,000 may mean a thousand: a comma is not guessed at, and the error says how to write it."""
    from PySide6.QtCore import QLocale

    desktop_locale(QLocale.Language.English, QLocale.Country.UnitedKingdom)
    form = SetupForm()
    qtbot.addWidget(form)
    form.widget("optim.lr_g").setText("0,0005")
    said = form.findChild(QLabel, "error_optim_lr_g").text()
    assert said == "must be a number with a dot for decimals (0.0002 or 2e-4), not '0,0005'" and form.problems()


def test_choices_show_their_labels(qtbot):
    form = SetupForm()
    qtbot.addWidget(form)
    combo = form.findChild(QComboBox, "model.arch")
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "DCGAN (convolutional)",
        "MLP (2014 paper)",
        "MLP (2016 paper)",
    ]


def test_only_the_chosen_optimizers_own_settings_are_shown(qtbot):
    """RMSprop has neither Adam's betas nor SGD's momentum: rows beside it that did nothing misled."""
    form = SetupForm()
    qtbot.addWidget(form)
    form.findChild(QCollapsible, "advancedOptions").expand(animate=False)  # where the settings are
    shown = {}
    for name in ("adam", "sgd", "rmsprop"):
        combo = form.widget("optim.name")
        combo.setCurrentIndex(combo.findData(name))
        shown[name] = {f for f in ("optim.beta1", "optim.beta2", "optim.momentum") if form.widget(f).isVisibleTo(form)}
    assert shown == {"adam": {"optim.beta1", "optim.beta2"}, "sgd": {"optim.momentum"}, "rmsprop": set()}


def test_the_live_panel_offers_exactly_the_live_fields(qtbot):
    panel = LiveChangesPanel()
    qtbot.addWidget(panel)
    live = [f for f in CONFIG_FIELDS if f.spec.live]
    assert tuple(f.name for f in live) == LIVE_FIELDS
    named = {w.objectName() for w in panel.findChildren(QWidget) if w.objectName().startswith("live.")}
    assert named == {f"live.{f.path}" for f in live}
    panel.load(preset("ring-8"))
    panel.widget("ema_decay").setText("0.5")
    with qtbot.waitSignal(panel.changes_requested, timeout=2000) as blocker:
        panel.apply_button.click()
    assert blocker.args == [{"ema_decay": 0.5}]
