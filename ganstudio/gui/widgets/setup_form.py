"""The setup panel: every field of a RunConfig, validated as the user types.

The form never holds an invalid config silently: each problem from core.config.validate
is shown in red beside its field and `config_changed` carries whether the config can run.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from superqt import QCollapsible
from superqt.utils import create_worker

from ganstudio.core.config import (
    AUTOCAST_MODES,
    FAST_PATH_AUTO,
    OPTIMIZER_IMPLS,
    PRESET_SUMMARIES,
    PRESETS,
    TOY_DATASETS,
    DataConfig,
    LossConfig,
    ModelConfig,
    OptimConfig,
    PerfConfig,
    QualityConfig,
    RunConfig,
    TrainConfig,
    preset,
    validate,
)
from ganstudio.core.quality.inception_weights import find_inception_weights

DATASET_LABELS = {
    "fashion-mnist": "Fashion-MNIST (bundled, 10,000 images)",
    "fashion-mnist-full": "Fashion-MNIST full (idx files)",
    "mnist": "MNIST (torchvision)",
    "fashion-mnist-torchvision": "Fashion-MNIST (torchvision)",
    "cifar10": "CIFAR-10 (torchvision)",
    "image-folder": "Image folder...",
    "gaussian-1d": "Toy: 1D Gaussian (2014 paper)",
    "ring-8": "Toy: ring of 8 Gaussians",
    "grid-25": "Toy: grid of 25 Gaussians",
    "spiral": "Toy: spiral",
    "two-moons": "Toy: two moons",
    "drawn": "Toy: drawn in the Distribution tab",
}
FOLDER_DATASETS = ("fashion-mnist-full", "mnist", "fashion-mnist-torchvision", "cifar10", "image-folder", "drawn")
LOSS_LABELS = {"non-saturating": "Non-saturating (-log D(G(z)))", "minimax": "Minimax (log(1 - D(G(z))), 2014)",
               "least-squares": "Least squares (LSGAN)", "hinge": "Hinge", "wgan": "Wasserstein, weight clipping (WGAN)",
               "wgan-gp": "Wasserstein, gradient penalty (WGAN-GP)"}
CUSTOM = "custom"
COMBO_MIN_CHARS = 10
FOLDER_COUNT_LIMIT = 100  # readable images counted before a chosen folder is accepted
CHECKING_FOLDER = "checking the folder for images..."
FOLDER_CHECK_DELAY_MS = 300  # after the last keystroke in the folder field


def _count_folder(path: str) -> tuple[str, str, int]:
    """Runs on a pool thread: (path, why it cannot train or "", readable images found). The import
    is here because images.py loads torch, which the window must not wait for."""
    from ganstudio.core.data.errors import DataError
    from ganstudio.core.data.images import count_readable_images

    try:
        count = count_readable_images(path, FOLDER_COUNT_LIMIT)
    except DataError as exc:
        return path, str(exc), 0
    except Exception as exc:  # noqa: BLE001 - whatever stops the count would stop training: say it, never hang
        return path, f"cannot read {path}: {exc}", 0
    return path, count.problem(), count.readable


def _error_label() -> QLabel:
    label = QLabel()
    label.setStyleSheet("color: #c0392b;")
    label.setWordWrap(True)
    # a reason naming a long folder must wrap inside the panel, not widen it
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.hide()
    return label


def _breakable(text: str) -> str:
    """Lets a path wrap after each separator (a zero-width space), as a word-wrapped label cannot
    break "/a/long/folder/name" otherwise."""
    return text.replace("/", "/\u200b").replace("\\", "\\\u200b")


class VerticalScrollArea(QScrollArea):
    """Scrolls up and down only: it asks for the width its content needs plus the scroll bar, so
    the content is never narrower than its minimum and focus moving along the fields never
    scrolls sideways (which had cut the labels to "reset" and "ataset"). The mouse wheel scrolls
    the panel even over a spin box or a list: only a field that has focus takes the wheel, so
    scrolling past the Seed never changes it."""

    def __init__(self, content: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWidget(content)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._wheel_fields = {*content.findChildren(QAbstractSpinBox), *content.findChildren(QComboBox)}
        for field in self._wheel_fields:
            field.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # a wheel turn no longer focuses it
            field.installEventFilter(self)

    def minimumSizeHint(self) -> QSize:
        content = self.widget().minimumSizeHint().width()
        chrome = self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()
        return QSize(content + chrome, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(max(hint.width(), self.minimumSizeHint().width()), hint.height())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # a fold opened or a row appeared: the needed width may have changed
        if event.type() == QEvent.Type.Wheel and watched in self._wheel_fields and not watched.hasFocus():
            QApplication.sendEvent(self.verticalScrollBar(), event)
            return True
        return super().eventFilter(watched, event)


class SetupForm(QWidget):
    config_changed = Signal(bool)  # whether the current config is valid

    def __init__(self, parent: QWidget | None = None, fashion_full_found: bool = False):
        super().__init__(parent)
        self._loading = False
        self._inception_reason = ""
        self._errors: dict[str, QLabel] = {}
        self._rows: dict[str, tuple[QFormLayout, QWidget]] = {}
        self._folder_checks: dict[str, tuple[str, int]] = {}  # image folder -> (problem or "", images found)
        self._folder_checking: set[str] = set()
        self._folder_timer = QTimer(self, singleShot=True, interval=FOLDER_CHECK_DELAY_MS)
        self._folder_timer.timeout.connect(self._start_folder_count)
        outer = QVBoxLayout(self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        outer.addLayout(form)

        self.preset_combo = QComboBox(objectName="presetCombo")
        for name in PRESETS:
            self.preset_combo.addItem(name, name)
            self.preset_combo.setItemData(self.preset_combo.count() - 1, PRESET_SUMMARIES[name], Qt.ItemDataRole.ToolTipRole)
        self.preset_combo.addItem("(custom)", CUSTOM)
        self.preset_combo.setToolTip("Start from a named, tested configuration; editing any field makes it custom")
        form.addRow("Preset", self.preset_combo)

        self.dataset_combo = QComboBox(objectName="datasetCombo")
        for key, label in DATASET_LABELS.items():
            if key == "fashion-mnist-full" and not fashion_full_found:
                continue
            self.dataset_combo.addItem(label, key)
        self.dataset_combo.setToolTip("What the generator learns to imitate. Toy distributions train in seconds; "
                                      "you can also drop an image folder onto the window")
        self._add(form, "Dataset", self.dataset_combo, "data.dataset")

        self.path_edit = QLineEdit(objectName="datasetPathEdit")
        self.path_edit.setPlaceholderText("folder")
        self.path_edit.setToolTip("Folder holding the dataset's files (image folder, idx files or torchvision data)")
        self.browse_button = QPushButton("Browse...", objectName="browseButton")
        self.browse_button.setToolTip("Choose the folder")
        path_row = QWidget()
        path_layout = QHBoxLayout(path_row)
        path_layout.setContentsMargins(0, 0, 0, 0)
        path_layout.addWidget(self.path_edit)
        path_layout.addWidget(self.browse_button)
        self.path_row = path_row
        self.folder_note = QLabel(objectName="folderNote")
        self.folder_note.setStyleSheet("color: #666;")
        self.folder_note.setWordWrap(True)
        self.folder_note.setToolTip("How many readable images the chosen image folder holds (counted up to "
                                    f"{FOLDER_COUNT_LIMIT}); Start waits for the count")
        self.folder_note.hide()
        self._add(form, "Folder", path_row, "data.path", note=self.folder_note)

        self.arch_combo = QComboBox(objectName="archCombo")
        self.arch_combo.addItem("DCGAN (convolutional)", "dcgan")
        self.arch_combo.addItem("MLP (2014 paper)", "mlp")
        self.arch_combo.setToolTip("DCGAN for images; the MLP for toy data or flattened images as in the 2014 paper")
        self._add(form, "Model", self.arch_combo, "model.arch")

        self.size_combo = QComboBox(objectName="imageSizeCombo")
        for size in (28, 32, 64):
            self.size_combo.addItem(f"{size} px", size)
        self.size_combo.setToolTip("Images are resized to this side; DCGAN supports 28, 32 and 64 px")
        self.channels_combo = QComboBox(objectName="channelsCombo")
        self.channels_combo.addItem("Grayscale", 1)
        self.channels_combo.addItem("RGB", 3)
        self.channels_combo.setToolTip("Colour channels the generator produces")
        size_row = QWidget()
        size_layout = QHBoxLayout(size_row)
        size_layout.setContentsMargins(0, 0, 0, 0)
        size_layout.addWidget(self.size_combo)
        size_layout.addWidget(self.channels_combo)
        self.size_row = size_row
        self._add(form, "Images", size_row, "data.image_size", extra_fields=("data.channels",))

        self.latent_spin = self._spin(1, 1024, "latentSpin", "Size of the noise vector z the generator starts from")
        self._add(form, "Latent size", self.latent_spin, "model.latent_dim")
        self.width_spin = self._spin(4, 2048, "widthSpin", "Base channel count (DCGAN) or hidden units (MLP)")
        self._add(form, "Width", self.width_spin, "model.width")

        self.loss_combo = QComboBox(objectName="lossCombo")
        for key, label in LOSS_LABELS.items():
            self.loss_combo.addItem(label, key)
        self.loss_combo.setToolTip("Minimax is the 2014 game; non-saturating gives G strong gradients early "
                                   "(the paper's practical advice); least squares is LSGAN (Mao et al. 2017); hinge "
                                   "(Lim & Ye 2017; Miyato et al. 2018); WGAN with weight clipping (Arjovsky et al. "
                                   "2017) and with gradient penalty (Gulrajani et al. 2017): use k = 5 (n_critic)")
        self._add(form, "Loss", self.loss_combo, "loss.kind")

        self.optim_combo = QComboBox(objectName="optimizerCombo")
        self.optim_combo.addItem("Adam", "adam")
        self.optim_combo.addItem("SGD with momentum", "sgd")
        self.optim_combo.setToolTip("The optimizer used for both networks, each with its own learning rate")
        self._add(form, "Optimizer", self.optim_combo, "optim.name")

        self.lr_g_edit = self._number_edit("lrGEdit", "Generator learning rate, e.g. 2e-4")
        self._add(form, "lr G", self.lr_g_edit, "optim.lr_g")
        self.lr_d_edit = self._number_edit("lrDEdit", "Discriminator learning rate, e.g. 2e-4")
        self._add(form, "lr D", self.lr_d_edit, "optim.lr_d")

        self.k_spin = self._spin(1, 100, "kSpin", "Discriminator steps per generator step (k in Algorithm 1)")
        self._add(form, "k (D steps)", self.k_spin, "train.k")
        self.batch_spin = self._spin(1, 65536, "batchSpin", "Minibatch size m")
        self._add(form, "Batch size", self.batch_spin, "train.batch_size")
        self.steps_spin = self._spin(1, 10_000_000, "stepsSpin", "Total generator steps of the run")
        self.steps_spin.setSingleStep(100)
        self._add(form, "Steps", self.steps_spin, "train.steps")
        self.seed_spin = self._spin(0, 2_000_000_000, "seedSpin", "Random seed: the same seed gives the same run (CPU)")
        self._add(form, "Seed", self.seed_spin, "train.seed")

        self.device_combo = QComboBox(objectName="deviceCombo")
        self.device_combo.addItem("Auto", "auto")
        self.device_combo.addItem("CPU", "cpu")
        self.device_combo.setToolTip("Where training runs: Auto picks CUDA, then Apple MPS, then the CPU")
        self._add(form, "Device", self.device_combo, "train.device")

        advanced = QCollapsible("Advanced")
        advanced.setObjectName("advancedOptions")
        adv_widget = QWidget()
        adv = QFormLayout(adv_widget)
        self.beta1_edit = self._number_edit("beta1Edit", "Adam's beta1 (0.5 in DCGAN)")
        self._add(adv, "Adam beta1", self.beta1_edit, "optim.beta1")
        self.beta2_edit = self._number_edit("beta2Edit", "Adam's beta2")
        self._add(adv, "Adam beta2", self.beta2_edit, "optim.beta2")
        self.momentum_edit = self._number_edit("momentumEdit", "SGD momentum (the 2014 paper used 0.5 rising to 0.7)")
        self._add(adv, "SGD momentum", self.momentum_edit, "optim.momentum")
        self.lr_decay_edit = self._number_edit("lrDecayEdit", "Over this last fraction of the run both learning "
                                               "rates fall linearly towards 0 (0.5 = the second half); 0 = constant")
        self._add(adv, "LR decay", self.lr_decay_edit, "optim.lr_decay")
        self.log_spin = self._spin(1, 100000, "logEverySpin", "Steps between device syncs for statistics")
        self._add(adv, "Log every", self.log_spin, "train.log_every")
        self.sample_spin = self._spin(1, 1_000_000, "sampleEverySpin", "Steps between sample grids saved to samples/")
        self._add(adv, "Save grid every", self.sample_spin, "train.sample_every")
        self.ckpt_spin = self._spin(1, 10_000_000, "checkpointEverySpin", "Steps between kept checkpoints")
        self._add(adv, "Checkpoint every", self.ckpt_spin, "train.checkpoint_every")
        self.metrics_spin = self._spin(1, 10_000_000, "metricsEverySpin",
                                       "Steps between mode-collapse measurements (ring-8 and grid-25)")
        self._add(adv, "Mode metrics every", self.metrics_spin, "train.metrics_every")
        self.ema_edit = self._number_edit("emaEdit", "Exponential moving average of G's weights, used for samples "
                                          "and the explorer (0 = off; 0.999 is typical). Karras et al. 2018, "
                                          "Yazici et al. 2019")
        self._add(adv, "EMA decay", self.ema_edit, "train.ema_decay")
        advanced.addWidget(adv_widget)
        outer.addWidget(advanced)

        remedies = QCollapsible("Stabilisation")
        remedies.setObjectName("stabilisationOptions")
        rem_widget = QWidget()
        rem = QFormLayout(rem_widget)
        self.sn_check = self._check("spectralNormCheck", "Spectral normalisation on D's layers (Miyato et al. 2018)")
        self._add(rem, "Spectral norm", self.sn_check, "model.spectral_norm")
        self.r1_edit = self._number_edit("r1Edit", "R1 penalty weight gamma on real data (Mescheder et al. 2018); 0 = off")
        self._add(rem, "R1 gamma", self.r1_edit, "loss.r1_gamma")
        self.gp_edit = self._number_edit("gpEdit", "WGAN-GP's gradient-penalty weight lambda (Gulrajani et al. 2017)")
        self._add(rem, "GP weight", self.gp_edit, "loss.gp_weight")
        self.clip_edit = self._number_edit("clipEdit", "WGAN's weight clipping range c (Arjovsky et al. 2017)")
        self._add(rem, "WGAN clip", self.clip_edit, "loss.clip_value")
        self.noise_edit = self._number_edit("instanceNoiseEdit", "Std of Gaussian noise added to D's inputs "
                                            "(instance noise, Sønderby et al. 2017; Arjovsky & Bottou 2017); 0 = off")
        self._add(rem, "Instance noise", self.noise_edit, "train.instance_noise")
        self.anneal_spin = self._spin(0, 10_000_000, "noiseAnnealSpin", "Steps over which instance noise falls "
                                      "linearly to zero; 0 keeps it constant")
        self._add(rem, "Noise anneal steps", self.anneal_spin, "train.noise_anneal_steps")
        self.smooth_edit = self._number_edit("labelSmoothingEdit", "One-sided label smoothing: D's real target is "
                                             "1 - s (Salimans et al. 2016); 0 = off")
        self._add(rem, "Label smoothing", self.smooth_edit, "loss.label_smoothing")
        self.unroll_spin = self._spin(0, 50, "unrolledSpin", "Unrolled GAN: G's loss through K unrolled D steps "
                                      "(Metz et al. 2017), D's own weights untouched; 0 = off")
        self._add(rem, "Unrolled D steps", self.unroll_spin, "train.unrolled_steps")
        self.pack_spin = self._spin(1, 16, "packSpin", "PacGAN: D judges m samples at once (Lin et al. 2018); 1 = off")
        self._add(rem, "PacGAN pack", self.pack_spin, "model.pack")
        self.components_spin = self._spin(0, 1024, "latentComponentsSpin", "MLP generator only: the first latent "
                                          "number also picks one of N pieces, so G can leave the gaps between "
                                          "separate modes empty (Khayatkhoei et al. 2018); 0 = off")
        self._add(rem, "Latent pieces", self.components_spin, "model.latent_components")
        self.mbstd_check = self._check("minibatchStdCheck", "Minibatch standard-deviation layer in D "
                                       "(Karras et al. 2018): D sees how varied the batch is")
        self._add(rem, "Minibatch std", self.mbstd_check, "model.minibatch_std")
        self.act_combo = QComboBox(objectName="activationCombo")
        self.act_combo.addItem("LeakyReLU (0.2)", "leaky_relu")
        self.act_combo.addItem("ReLU", "relu")
        self.act_combo.setToolTip("D's hidden activation: LeakyReLU keeps gradients flowing for negative inputs "
                                  "(Radford et al. 2016)")
        self._add(rem, "D activation", self.act_combo, "model.d_activation")
        remedies.addWidget(rem_widget)
        outer.addWidget(remedies)

        quality = QCollapsible("Quality metrics")
        quality.setObjectName("qualityOptions")
        q_widget = QWidget()
        q = QFormLayout(q_widget)
        self.quality_every_spin = self._spin(0, 10_000_000, "qualityEverySpin",
                                             "Steps between sample-quality evaluations (Fréchet distance, KID, "
                                             "precision/recall, density/coverage) in the shipped feature space; "
                                             "0 = off. Image datasets only")
        self.quality_every_spin.setSpecialValueText("off")
        self._add(q, "Score every", self.quality_every_spin, "quality.every")
        self.quality_samples_spin = self._spin(50, 50_000, "qualitySamplesSpin",
                                               "Generated (and real) images per evaluation: more is steadier and slower")
        self._add(q, "Images scored", self.quality_samples_spin, "quality.samples")
        self.keep_best_check = self._check("keepBestCheck", "Save checkpoints/best.pt whenever the Fréchet "
                                           "distance reaches a new low")
        self._add(q, "Keep best checkpoint", self.keep_best_check, "quality.keep_best")
        self.inception_check = self._check("inceptionCheck", "")
        self._add(q, "Inception FID", self.inception_check, "quality.inception")
        self.inception_edit = QLineEdit(objectName="inceptionWeightsEdit")
        self.inception_edit.setPlaceholderText("torch hub cache")
        self.inception_edit.setToolTip("An inception_v3_google-*.pth file; empty looks in torch hub's cache. "
                                       "Nothing is ever downloaded during training")
        self._add(q, "Inception weights", self.inception_edit, "quality.inception_weights")
        quality.addWidget(q_widget)
        outer.addWidget(quality)

        perf = QCollapsible("Performance")
        perf.setObjectName("performanceOptions")
        p_widget = QWidget()
        pf = QFormLayout(p_widget)
        self.channels_last_combo = self._choice("channelsLastCombo", FAST_PATH_AUTO,
                                                "NHWC memory format for the DCGAN's convolutions. Auto: on for CUDA "
                                                "and for fp32 runs on the CPU (no gain on top of bf16)")
        self._add(pf, "Channels-last", self.channels_last_combo, "perf.channels_last")
        self.autocast_combo = self._choice("autocastCombo", AUTOCAST_MODES,
                                           "Mixed precision. Auto: bf16 for image models on GPUs and on CPUs "
                                           "with native bf16 (AVX512-BF16, AMX); toy data stays fp32. fp16 adds "
                                           "loss scaling and cannot carry gradient penalties")
        self._add(pf, "Autocast", self.autocast_combo, "perf.autocast")
        self.optimizer_impl_combo = self._choice("optimizerImplCombo", OPTIMIZER_IMPLS,
                                                 "How Adam/SGD update the weights: fused kernels (auto on CUDA and "
                                                 "the CPU), foreach over all tensors at once, or a plain loop")
        self._add(pf, "Optimizer kernels", self.optimizer_impl_combo, "perf.optimizer_impl")
        self.compile_check = self._check("compileCheck", "torch.compile G and D: the first step takes a minute or "
                                         "more to compile; falls back to normal execution if compiling fails")
        self._add(pf, "torch.compile", self.compile_check, "perf.compile")
        self.cudnn_check = self._check("cudnnBenchmarkCheck", "Let cuDNN time its convolution algorithms on the "
                                       "first steps and keep the fastest (CUDA only)")
        self._add(pf, "cuDNN autotune", self.cudnn_check, "perf.cudnn_benchmark")
        self.threads_spin = self._spin(0, 1024, "threadsSpin", "CPU threads for training. Auto: every core; with "
                                       "4 or more, one is left to the window so plots and sliders stay smooth")
        self.threads_spin.setSpecialValueText("auto")
        self._add(pf, "CPU threads", self.threads_spin, "perf.threads")
        perf.addWidget(p_widget)
        outer.addWidget(perf)
        self.general_error = _error_label()
        outer.addWidget(self.general_error)
        outer.addStretch(1)
        for combo in self.findChildren(QComboBox):
            # long item texts ("Fashion-MNIST (bundled, 10,000 images)") would otherwise set the panel's
            # minimum width; the closed box elides them and its popup still shows them whole
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            longest = max((len(combo.itemText(i)) for i in range(combo.count())), default=0)
            combo.setMinimumContentsLength(min(COMBO_MIN_CHARS, longest))

        self.preset_combo.currentIndexChanged.connect(self._on_preset)
        self.browse_button.clicked.connect(self.browse_folder)
        self.dataset_combo.currentIndexChanged.connect(self._on_dataset)
        for widget in self._inputs():
            signal = widget.textChanged if isinstance(widget, QLineEdit) else (
                widget.valueChanged if isinstance(widget, QSpinBox) else
                widget.toggled if isinstance(widget, QCheckBox) else widget.currentIndexChanged)
            signal.connect(self._on_edit)
        self.set_config(preset("fashion-dcgan"))

    # --- building helpers --------------------------------------------------------------------
    def _spin(self, lo: int, hi: int, name: str, tip: str) -> QSpinBox:
        spin = QSpinBox(objectName=name)
        spin.setRange(lo, hi)
        spin.setToolTip(tip)
        spin.setKeyboardTracking(False)
        return spin

    def _choice(self, name: str, values: tuple[str, ...], tip: str) -> QComboBox:
        combo = QComboBox(objectName=name)
        for value in values:
            combo.addItem(value, value)
        combo.setToolTip(tip)
        return combo

    def _check(self, name: str, tip: str) -> QCheckBox:
        check = QCheckBox(objectName=name)
        check.setToolTip(tip)
        return check

    def _number_edit(self, name: str, tip: str) -> QLineEdit:
        edit = QLineEdit(objectName=name)
        edit.setToolTip(tip)
        return edit

    def _add(self, form: QFormLayout, label: str, widget: QWidget, field: str, extra_fields=(),
             note: QLabel | None = None) -> None:
        error = _error_label()
        error.setObjectName(f"error_{field.replace('.', '_')}")
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(widget)
        if note is not None:
            layout.addWidget(note)
        layout.addWidget(error)
        form.addRow(label, box)
        self._rows[field] = (form, box)
        for name in (field, *extra_fields):
            self._errors[name] = error

    def _inputs(self) -> list[QWidget]:
        return [self.dataset_combo, self.path_edit, self.arch_combo, self.size_combo, self.channels_combo,
                self.latent_spin, self.width_spin, self.loss_combo, self.optim_combo, self.lr_g_edit, self.lr_d_edit,
                self.k_spin, self.batch_spin, self.steps_spin, self.seed_spin, self.device_combo, self.beta1_edit,
                self.beta2_edit, self.momentum_edit, self.lr_decay_edit, self.log_spin, self.sample_spin,
                self.ckpt_spin, self.metrics_spin,
                self.ema_edit, self.sn_check, self.r1_edit, self.gp_edit, self.clip_edit, self.noise_edit,
                self.anneal_spin, self.smooth_edit, self.unroll_spin, self.pack_spin, self.components_spin,
                self.mbstd_check, self.act_combo,
                self.quality_every_spin, self.quality_samples_spin, self.keep_best_check, self.inception_check,
                self.inception_edit, self.channels_last_combo, self.autocast_combo, self.optimizer_impl_combo,
                self.compile_check, self.cudnn_check, self.threads_spin]

    # --- reading and writing the config ------------------------------------------------------
    def set_config(self, config: RunConfig) -> None:
        self._loading = True
        try:
            self._select(self.preset_combo, config.preset if config.preset in PRESETS else CUSTOM)
            self._select(self.dataset_combo, config.data.dataset)
            self.path_edit.setText(config.data.path or "")
            self._select(self.arch_combo, config.model.arch)
            self._select(self.size_combo, config.data.image_size)
            self._select(self.channels_combo, config.data.channels)
            self.latent_spin.setValue(config.model.latent_dim)
            self.width_spin.setValue(config.model.width)
            self._select(self.loss_combo, config.loss.kind)
            self._select(self.optim_combo, config.optim.name)
            self.lr_g_edit.setText(_fmt(config.optim.lr_g))
            self.lr_d_edit.setText(_fmt(config.optim.lr_d))
            self.beta1_edit.setText(_fmt(config.optim.beta1))
            self.beta2_edit.setText(_fmt(config.optim.beta2))
            self.momentum_edit.setText(_fmt(config.optim.momentum))
            self.lr_decay_edit.setText(_fmt(config.optim.lr_decay))
            t = config.train
            self.k_spin.setValue(t.k)
            self.batch_spin.setValue(t.batch_size)
            self.steps_spin.setValue(t.steps)
            self.seed_spin.setValue(t.seed)
            if self.device_combo.findData(t.device) < 0:
                self.device_combo.addItem(t.device, t.device)
            self._select(self.device_combo, t.device)
            self.log_spin.setValue(t.log_every)
            self.sample_spin.setValue(t.sample_every)
            self.ckpt_spin.setValue(t.checkpoint_every)
            self.metrics_spin.setValue(t.metrics_every)
            self.ema_edit.setText(_fmt(t.ema_decay))
            self.sn_check.setChecked(config.model.spectral_norm)
            self.r1_edit.setText(_fmt(config.loss.r1_gamma))
            self.gp_edit.setText(_fmt(config.loss.gp_weight))
            self.clip_edit.setText(_fmt(config.loss.clip_value))
            self.noise_edit.setText(_fmt(t.instance_noise))
            self.anneal_spin.setValue(t.noise_anneal_steps)
            self.smooth_edit.setText(_fmt(config.loss.label_smoothing))
            self.unroll_spin.setValue(t.unrolled_steps)
            self.pack_spin.setValue(config.model.pack)
            self.components_spin.setValue(config.model.latent_components)
            self.mbstd_check.setChecked(config.model.minibatch_std)
            qc = config.quality
            self.quality_every_spin.setValue(qc.every)
            self.quality_samples_spin.setValue(qc.samples)
            self.keep_best_check.setChecked(qc.keep_best)
            self.inception_check.setChecked(qc.inception)
            self.inception_edit.setText(qc.inception_weights or "")
            pc = config.perf
            self._select(self.channels_last_combo, pc.channels_last)
            self._select(self.autocast_combo, pc.autocast)
            self._select(self.optimizer_impl_combo, pc.optimizer_impl)
            self.compile_check.setChecked(pc.compile)
            self.cudnn_check.setChecked(pc.cudnn_benchmark)
            self.threads_spin.setValue(pc.threads)
            self._select(self.act_combo, config.model.d_activation)
        finally:
            self._loading = False
        self._refresh()

    def config(self) -> RunConfig:
        """The config the fields describe (possibly invalid: see problems())."""
        name = self.preset_combo.currentData()
        return RunConfig(
            data=DataConfig(dataset=self.dataset_combo.currentData(),
                            path=self.path_edit.text().strip() or None,
                            image_size=self.size_combo.currentData(), channels=self.channels_combo.currentData()),
            model=ModelConfig(arch=self.arch_combo.currentData(), latent_dim=self.latent_spin.value(),
                              width=self.width_spin.value(), d_activation=self.act_combo.currentData(),
                              spectral_norm=self.sn_check.isChecked(), minibatch_std=self.mbstd_check.isChecked(),
                              pack=self.pack_spin.value(), latent_components=self.components_spin.value()),
            loss=LossConfig(kind=self.loss_combo.currentData(), gp_weight=_num(self.gp_edit),
                            clip_value=_num(self.clip_edit), r1_gamma=_num(self.r1_edit),
                            label_smoothing=_num(self.smooth_edit)),
            optim=OptimConfig(name=self.optim_combo.currentData(), lr_g=_num(self.lr_g_edit), lr_d=_num(self.lr_d_edit),
                              beta1=_num(self.beta1_edit), beta2=_num(self.beta2_edit),
                              momentum=_num(self.momentum_edit), lr_decay=_num(self.lr_decay_edit)),
            train=TrainConfig(steps=self.steps_spin.value(), batch_size=self.batch_spin.value(), k=self.k_spin.value(),
                              seed=self.seed_spin.value(), device=self.device_combo.currentData(),
                              log_every=self.log_spin.value(), sample_every=self.sample_spin.value(),
                              checkpoint_every=self.ckpt_spin.value(), metrics_every=self.metrics_spin.value(),
                              ema_decay=_num(self.ema_edit), instance_noise=_num(self.noise_edit),
                              noise_anneal_steps=self.anneal_spin.value(), unrolled_steps=self.unroll_spin.value()),
            quality=QualityConfig(every=self.quality_every_spin.value(), samples=self.quality_samples_spin.value(),
                                  keep_best=self.keep_best_check.isChecked(), inception=self.inception_check.isChecked(),
                                  inception_weights=self.inception_edit.text().strip() or None),
            perf=PerfConfig(channels_last=self.channels_last_combo.currentData(),
                            autocast=self.autocast_combo.currentData(),
                            optimizer_impl=self.optimizer_impl_combo.currentData(), compile=self.compile_check.isChecked(),
                            cudnn_benchmark=self.cudnn_check.isChecked(), threads=self.threads_spin.value()),
            preset=None if name == CUSTOM else name,
        )

    def problems(self) -> list[tuple[str, str]]:
        config = self.config()
        problems = validate(config)
        if config.quality.inception and self._inception_reason:
            problems.append(("quality.inception", self._inception_reason))
        if config.data.dataset == "image-folder" and config.data.path:
            reason, _ = self._folder_checks.get(config.data.path, (CHECKING_FOLDER, 0))
            if reason:
                problems.append(("data.path", reason))
        return problems

    def is_valid(self) -> bool:
        return not self.problems()

    def set_devices(self, devices: list[tuple[str, str]]) -> None:
        current = self.device_combo.currentData()
        self.device_combo.blockSignals(True)
        self.device_combo.clear()
        for value, label in devices:
            self.device_combo.addItem(label, value)
        index = self.device_combo.findData(current)
        self.device_combo.setCurrentIndex(max(0, index))
        self.device_combo.blockSignals(False)
        self._refresh()

    def set_image_folder(self, path: str) -> None:
        self._folder_checks.pop(path, None)  # chosen again: its files may have changed since the last count
        self.path_edit.setText(path)  # first, so choosing the dataset does not open the folder picker
        self._select(self.dataset_combo, "image-folder")
        self._refresh()

    def set_drawn(self, path: str) -> None:
        self.path_edit.setText(path)
        self._select(self.dataset_combo, "drawn")
        self._select(self.arch_combo, "mlp")

    def browse_folder(self) -> None:
        start = self.path_edit.text() or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Choose the dataset folder", start)
        if folder:
            self._folder_checks.pop(folder, None)
            self.path_edit.setText(folder)
            self._refresh()

    # --- reactions ---------------------------------------------------------------------------
    def _on_preset(self) -> None:
        name = self.preset_combo.currentData()
        if self._loading or name == CUSTOM:
            return
        keep_device = self.device_combo.currentData()
        cfg = preset(name)
        cfg.train.device = keep_device
        self.set_config(cfg)

    def _on_dataset(self) -> None:
        if self._loading:
            return
        key = self.dataset_combo.currentData()
        toy = key in TOY_DATASETS
        if toy and self.arch_combo.currentData() == "dcgan":
            self._select(self.arch_combo, "mlp")
        if key == "cifar10":
            self._select(self.channels_combo, 3)
            if self.size_combo.currentData() == 28:
                self._select(self.size_combo, 32)
        if key == "image-folder" and not self.path_edit.text():
            self.browse_folder()

    def _on_edit(self) -> None:
        if self._loading:
            return
        name = self.preset_combo.currentData()
        if name != CUSTOM:
            current, reference = self.config(), preset(name)
            reference.train.device = current.train.device  # the device is a machine choice, not part of a preset
            if current != reference:
                self._loading = True
                self._select(self.preset_combo, CUSTOM)
                self._loading = False
        self._refresh()

    def _check_inception(self) -> None:
        """The Inception FID box is usable only when its weights are on disk; the tooltip says why not."""
        _, reason = find_inception_weights(self.inception_edit.text().strip() or None)
        self._inception_reason = reason
        self.inception_check.setEnabled(not reason or self.inception_check.isChecked())
        self.inception_check.setToolTip(
            "Also compute standard FID with torchvision's Inception v3 (2048-d pool features; slow on a CPU)"
            if not reason else f"Unavailable: {reason}")

    def _check_folder(self) -> None:
        """Counts the chosen image folder's readable images on a pool thread (a folder of a million
        files must not freeze the window); Start stays disabled until the count is in."""
        path = self.path_edit.text().strip()
        checking = self.dataset_combo.currentData() == "image-folder" and bool(path)
        if checking and path not in self._folder_checks and path not in self._folder_checking:
            self._folder_timer.start()  # again on every keystroke: a half-typed path is never counted
        reason, found = self._folder_checks.get(path, (CHECKING_FOLDER, 0))
        if checking and reason == CHECKING_FOLDER:
            self.folder_note.setText("Counting readable images...")
        elif checking and not reason:
            more = "+" if found >= FOLDER_COUNT_LIMIT else ""
            self.folder_note.setText("1 readable image" if found == 1 else f"{found:,}{more} readable images")
        self.folder_note.setVisible(checking and (reason == CHECKING_FOLDER or not reason))

    def _start_folder_count(self) -> None:
        path = self.path_edit.text().strip()
        if self.dataset_combo.currentData() != "image-folder" or not path or path in self._folder_checking:
            return
        self._folder_checking.add(path)
        create_worker(_count_folder, path, _start_thread=True, _connect={"returned": self._on_folder_counted})

    def _on_folder_counted(self, result: tuple[str, str, int]) -> None:
        path, reason, found = result
        self._folder_checking.discard(path)
        self._folder_checks[path] = (reason, found)
        self._refresh()

    def _refresh(self) -> None:
        self._check_inception()
        key = self.dataset_combo.currentData()
        toy = key in TOY_DATASETS
        self._set_row_visible("data.path", key in FOLDER_DATASETS)
        self._set_row_visible("data.image_size", not toy)
        self._check_folder()
        problems = self.problems()
        shown: dict[QLabel, list[str]] = {}
        for field, reason in problems:
            if reason == CHECKING_FOLDER:
                continue  # said in grey by the folder note: waiting is not an error
            label = self._errors.get(field, self.general_error)
            shown.setdefault(label, []).append(reason if label is not self.general_error else f"{field}: {reason}")
        for label in {*self._errors.values(), self.general_error}:
            reasons = shown.get(label)
            label.setVisible(bool(reasons))
            label.setText(_breakable("\n".join(reasons or [])))
        self.config_changed.emit(not problems)

    def _set_row_visible(self, field: str, visible: bool) -> None:
        form, box = self._rows[field]
        form.setRowVisible(box, visible)

    @staticmethod
    def _select(combo: QComboBox, value) -> None:
        index = combo.findData(value)
        if index >= 0:
            combo.setCurrentIndex(index)


def _num(edit: QLineEdit) -> float:
    try:
        return float(edit.text().strip())
    except ValueError:
        return math.nan


def _fmt(value: float) -> str:
    return f"{value:g}"
