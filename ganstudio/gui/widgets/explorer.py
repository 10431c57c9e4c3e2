"""The latent-space explorer: drag sliders and see what the generator learned.

It works on a GeneratorSnapshot, an eval-mode copy of G (from the running training's
worker, or from a checkpoint file), never the live model. Slider changes only mark the view
dirty; one zero-delay timer renders the latest values, so a fast drag never builds a backlog.
"""

from __future__ import annotations

import time
from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledDoubleSlider

from ganstudio.core.latent import MAX_DIRECTIONS, Directions, LatentEdit, compose_latent, neighbours, seeded_z, slerp
from ganstudio.gui.widgets.direction_finder import DirectionFinder

if TYPE_CHECKING:  # the engine (and torch) load after the window is painted
    from ganstudio.core.export import ImageSetSpec
    from ganstudio.core.sampling import GeneratorSnapshot

NEIGHBOURS = 8
SIGMA_RANGE = 3.0
INTERP_STEPS = 100
TOY_CLOUD = 1500
TRAINING_RENDER_INTERVAL_MS = 33  # about 30 renders a second while training shares the CPU
STRIP_DELAY_MS = 200


class _ResetOnDoubleClick(QObject):
    def __init__(self, slider: QLabeledDoubleSlider, value: float):
        super().__init__(slider)
        self.slider, self.value = slider, value

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.MouseButtonDblClick:
            self.slider.setValue(self.value)
            return True
        return False


def _slider(name: str, lo: float, hi: float, value: float, tip: str) -> QLabeledDoubleSlider:
    slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
    slider.setObjectName(name)
    slider.setRange(lo, hi)
    slider.setDecimals(2)
    slider.setValue(value)
    slider.setToolTip(tip + " (double-click to reset)")
    slider._slider.installEventFilter(_ResetOnDoubleClick(slider, value))
    return slider


def _model_of(snapshot: GeneratorSnapshot) -> tuple:
    """What the latents, directions and views depend on: another run of the same model can reuse them."""
    return snapshot.config.model, snapshot.config.data


class ExplorerPanel(QWidget):
    snapshot_wanted = Signal()  # ask the running training for a fresh generator copy
    rendered = Signal(float)  # milliseconds from the first unrendered change to pixels set

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.snapshot: GeneratorSnapshot | None = None
        self.checkpoint_path: str | None = None
        self.default_folder = str(Path.home())
        self.run_folder: str | None = None  # the window's current run: where Open checkpoint... looks first
        self.error_dialog: QMessageBox | None = None
        self.directions: Directions | None = None
        self.directions_step: int | None = None  # the generator step the directions were found on
        self._source = ""  # "from the running training", "from latest.pt", ...
        self._status = ""  # what the directions are doing
        self.point_a: np.ndarray | None = None
        self.point_b: np.ndarray | None = None
        self.interp_t: float | None = None
        self.current_z: np.ndarray | None = None
        self.current_image: np.ndarray | None = None
        self._dirty_since: float | None = None
        self._last_render = 0.0
        self.min_interval_ms = 0  # set while training runs (see MainWindow)
        self._directions_wanted = False
        self._loading = False
        self.finder = DirectionFinder(self)
        self.finder.searching.connect(self._on_searching)
        self.finder.found.connect(self._on_directions)

        self._build()
        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(0)
        self._render_timer.timeout.connect(self.render)
        self._strip_timer = QTimer(self)
        self._strip_timer.setSingleShot(True)
        self._strip_timer.setInterval(STRIP_DELAY_MS)
        self._strip_timer.timeout.connect(self.render_neighbours)
        self._play_timer = QTimer(self)
        self._play_timer.setInterval(40)
        self._play_timer.timeout.connect(self._advance_play)
        self._set_enabled(False)

    # --- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.view = pg.PlotWidget()
        self.view.setObjectName("explorerView")
        self.view.setBackground("w")
        self.view.setAspectLocked(True)
        self.view.setMinimumSize(320, 320)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.cloud_item = pg.ScatterPlotItem(size=3, pen=None, brush=pg.mkBrush(120, 120, 120, 120))
        self.point_item = pg.ScatterPlotItem(size=14, pen=pg.mkPen("k"), brush=pg.mkBrush(220, 40, 40))
        for item in (self.image_item, self.cloud_item, self.point_item):
            self.view.addItem(item)
        self.strip = pg.PlotWidget()
        self.strip.setObjectName("neighbourStrip")
        self.strip.setBackground("w")
        self.strip.setAspectLocked(True)
        self.strip.setFixedHeight(90)
        self.strip.setToolTip("Neighbours: images for latents close to the current one")
        for plot in (self.view, self.strip):
            plot.hideAxis("left")
            plot.hideAxis("bottom")
            plot.invertY(True)
            plot.setMouseEnabled(False, False)
            plot.hideButtons()
        self.strip_item = pg.ImageItem(axisOrder="row-major")
        self.strip.addItem(self.strip_item)
        self.info = QLabel("Open a checkpoint, or start training, to explore its generator", objectName="explorerInfo")
        self.info.setWordWrap(True)

        left = QVBoxLayout()
        left.addWidget(self.view, 1)
        left.addWidget(self.strip)
        left.addWidget(self.info)

        self.open_button = QPushButton("Open checkpoint...", objectName="openCheckpointButton")
        self.open_button.setToolTip("Explore the generator in a checkpoint file (.pt)")
        self.open_button.clicked.connect(self.ask_checkpoint)
        self.refresh_button = QPushButton("Refresh from training", objectName="refreshSnapshotButton")
        self.refresh_button.setToolTip("Take a fresh copy of the generator being trained (also every few seconds), "
                                       "or of the run's latest checkpoint once it has stopped")
        self.refresh_button.clicked.connect(self.snapshot_wanted)
        self.find_button = QPushButton("Find directions", objectName="findDirectionsButton")
        self.find_button.setToolTip("Recompute the 16 principal directions now (GANSpace: PCA of an early layer); "
                                    "a newer generator gets them by itself every few seconds")
        self.find_button.clicked.connect(self.find_directions)
        self.save_button = QPushButton("Save image set...", objectName="saveImageSetButton")
        self.save_button.setToolTip("Save PNGs, a contact sheet, latents and a manifest that regenerates them exactly")
        self.save_button.clicked.connect(self.ask_save)
        top = QGridLayout()
        for i, b in enumerate((self.open_button, self.refresh_button, self.find_button, self.save_button)):
            top.addWidget(b, i // 2, i % 2)

        self.seed_spin = QSpinBox(objectName="seedSpin")
        self.seed_spin.setRange(0, 2_000_000_000)
        self.seed_spin.setToolTip("The seed of the base latent: the same seed always gives the same image")
        self.seed_spin.valueChanged.connect(self._on_seed)
        self.randomize_button = QPushButton("Randomise", objectName="randomizeButton")
        self.randomize_button.setToolTip("A new random seed")
        self.randomize_button.clicked.connect(self.randomize)
        self.reset_button = QPushButton("Reset all", objectName="resetButton")
        self.reset_button.setToolTip("Put every slider back to zero and truncation to 1")
        self.reset_button.clicked.connect(self.reset_all)
        self.truncation_slider = _slider("truncationSlider", 0.0, 1.5, 1.0,
                                         "Truncation: scales z toward the mean; lower is more typical, less varied")
        self.truncation_slider.valueChanged.connect(self._on_slider)
        seed_row = QHBoxLayout()
        seed_row.addWidget(QLabel("Seed"))
        seed_row.addWidget(self.seed_spin)
        seed_row.addWidget(self.randomize_button)
        seed_row.addWidget(self.reset_button)
        trunc_row = QHBoxLayout()
        trunc_row.addWidget(QLabel("Truncation"))
        trunc_row.addWidget(self.truncation_slider, 1)

        directions_box = QGroupBox("Principal directions (+-3 sigma)")
        grid = QGridLayout(directions_box)
        self.direction_sliders: list[QLabeledDoubleSlider] = []
        self.direction_labels: list[QLabel] = []
        for i in range(MAX_DIRECTIONS):
            label = QLabel(f"{i}")
            slider = _slider(f"directionSlider_{i}", -SIGMA_RANGE, SIGMA_RANGE, 0.0,
                             f"Move along principal direction {i} (0 varies the output most)")
            slider.valueChanged.connect(self._on_slider)
            grid.addWidget(label, i, 0)
            grid.addWidget(slider, i, 1)
            self.direction_sliders.append(slider)
            self.direction_labels.append(label)

        raw_box = QGroupBox("Raw latent coordinates")
        self.raw_layout = QGridLayout(raw_box)
        self.raw_dim_spin = QSpinBox(objectName="rawDimSpin")
        self.raw_dim_spin.setToolTip("Which latent coordinate z[i] to control with a slider")
        self.add_raw_button = QPushButton("Add slider", objectName="addRawButton")
        self.add_raw_button.setToolTip("Add a slider that sets this coordinate directly")
        self.add_raw_button.clicked.connect(lambda: self.add_raw_slider(self.raw_dim_spin.value()))
        self.raw_layout.addWidget(self.raw_dim_spin, 0, 0)
        self.raw_layout.addWidget(self.add_raw_button, 0, 1)
        self.raw_sliders: dict[int, QLabeledDoubleSlider] = {}
        self._raw_labels: list[QLabel] = []

        interp_box = QGroupBox("Interpolation A -> B (spherical)")
        interp = QGridLayout(interp_box)
        self.set_a_button = QPushButton("Set A", objectName="setAButton")
        self.set_a_button.setToolTip("Use the current latent as A")
        self.set_a_button.clicked.connect(lambda: self.set_endpoint("a"))
        self.set_b_button = QPushButton("Set B", objectName="setBButton")
        self.set_b_button.setToolTip("Use the current latent as B")
        self.set_b_button.clicked.connect(lambda: self.set_endpoint("b"))
        self.interp_slider = QSlider(Qt.Orientation.Horizontal, objectName="interpSlider")
        self.interp_slider.setRange(0, INTERP_STEPS)
        self.interp_slider.setToolTip("t from A (left) to B (right)")
        self.interp_slider.valueChanged.connect(self._on_interp)
        self.play_button = QPushButton("Play", objectName="playButton")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Loop from A to B and back")
        self.play_button.toggled.connect(self._on_play)
        interp.addWidget(self.set_a_button, 0, 0)
        interp.addWidget(self.set_b_button, 0, 1)
        interp.addWidget(self.play_button, 0, 2)
        interp.addWidget(self.interp_slider, 1, 0, 1, 3)

        controls = QWidget()
        right = QVBoxLayout(controls)
        right.addLayout(top)
        right.addLayout(seed_row)
        right.addLayout(trunc_row)
        right.addWidget(directions_box)
        right.addWidget(raw_box)
        right.addWidget(interp_box)
        right.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(controls)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(440)
        controls.setMaximumWidth(440)

        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addWidget(scroll)

    # --- sources -----------------------------------------------------------------------------
    def checkpoint_folder(self) -> str:
        """Where Open checkpoint... starts: the current run's checkpoints, else the folder last used."""
        if self.run_folder:
            folder = Path(self.run_folder) / "checkpoints"
            return str(folder if folder.is_dir() else self.run_folder)
        return self.default_folder

    def ask_checkpoint(self) -> None:
        from ganstudio.core.checkpoint import CheckpointError

        path, _ = QFileDialog.getOpenFileName(self, "Open checkpoint", self.checkpoint_folder(),
                                              "GAN Studio checkpoints (*.pt)")
        if not path:
            return
        try:
            self.open_checkpoint(path)
        except CheckpointError as exc:
            self._show_error("checkpointError", "Cannot open checkpoint", str(exc))

    def open_checkpoint(self, path: str | Path) -> None:
        """Raises CheckpointError for a file that is not a usable checkpoint."""
        from ganstudio.core.sampling import load_generator

        snapshot = load_generator(path, device="cpu")
        self.set_snapshot(snapshot, checkpoint=str(Path(path).resolve()))

    def set_snapshot(self, snapshot: GeneratorSnapshot, checkpoint: str | None = None,
                     source: str | None = None) -> None:
        """A new generator copy. Another model (an image run after a toy run) starts the explorer afresh:
        latents, endpoints and raw sliders of the old one would not fit it. A newer copy of the same
        model keeps them, and its directions are refreshed in the background."""
        new_model = self.snapshot is None or _model_of(self.snapshot) != _model_of(snapshot)
        if new_model:
            self._reset_for_model()
        self.snapshot = snapshot
        self.checkpoint_path = checkpoint
        self.raw_dim_spin.setRange(0, snapshot.latent_dim - 1)
        self._set_enabled(True)
        self._source = source or (f"from {Path(checkpoint).name}" if checkpoint else "from the running training")
        self._show_info()
        if snapshot.is_toy:
            from ganstudio.core.sampling import seeded_latents

            self._toy_cloud = snapshot.generate(seeded_latents(0, TOY_CLOUD, snapshot.latent_dim)).numpy()
        if new_model or checkpoint:
            self.directions = None
            self.directions_step = None
        self._directions_wanted = True
        if self.isVisible():  # otherwise on first show: the PCA costs a training run seconds of CPU
            self._want_directions()
        self.request_render()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._directions_wanted and self.snapshot is not None:
            self._want_directions()

    def set_live_state(self, payload: dict) -> None:
        """A generator copy from the worker; its last one, when the run ends, says so."""
        from ganstudio.core.sampling import snapshot_from_state

        source = "where the run ended" if payload.get("final") else "from the running training"
        self.set_snapshot(snapshot_from_state(payload, device="cpu"), source=source)

    def _want_directions(self) -> None:
        """At once when there are none for this model; for a newer generator, on the finder's schedule."""
        self._directions_wanted = False
        if self.directions is None:
            self.finder.find(self.snapshot)
        elif self.snapshot.step != self.directions_step:
            self.finder.refresh(self.snapshot)

    def find_directions(self) -> None:
        if self.snapshot is not None:
            self._directions_wanted = False
            self.finder.find(self.snapshot)

    def _on_searching(self, snapshot: GeneratorSnapshot) -> None:
        if self.directions is None:  # sliders along directions of another generator would mislead
            for slider in self.direction_sliders:
                slider.setEnabled(False)
        self.find_button.setEnabled(False)
        self._status = f"finding principal directions at step {snapshot.step:,}..."
        self._show_info()

    def _on_directions(self, snapshot: GeneratorSnapshot, directions: Directions) -> None:
        self.find_button.setEnabled(self.snapshot is not None)
        if self.snapshot is None or _model_of(snapshot) != _model_of(self.snapshot):
            return
        self.directions = directions
        self.directions_step = snapshot.step
        count = len(directions.vectors)
        total = float(directions.variances.sum()) or 1.0
        for i, (slider, label) in enumerate(zip(self.direction_sliders, self.direction_labels)):
            slider.setEnabled(i < count)
            slider.setVisible(i < count)
            label.setVisible(i < count)
            if i < count:
                label.setText(f"{i} ({100 * directions.variances[i] / total:.0f}%)")
        self._status = f"{count} direction{'s' if count != 1 else ''} from step {snapshot.step:,}"
        self._show_info()
        self.request_render()

    def _show_info(self) -> None:
        if self.snapshot is not None:
            text = f"Generator at step {self.snapshot.step:,} {self._source}"
            self.info.setText(f"{text} - {self._status}" if self._status else text)

    def _reset_for_model(self) -> None:
        """Forgets everything tied to the previous model's latent space and picture."""
        self._loading = True
        try:
            self.play_button.setChecked(False)
            self.interp_slider.setValue(0)
            for slider in self.direction_sliders:
                slider.setValue(0.0)
                slider.setEnabled(False)  # until this model's directions are found
        finally:
            self._loading = False
        self.point_a = self.point_b = None
        self.interp_t = None
        self.set_a_button.setText("Set A")
        self.set_b_button.setText("Set B")
        for widget in [*self.raw_sliders.values(), *self._raw_labels]:
            self.raw_layout.removeWidget(widget)
            widget.deleteLater()
        self.raw_sliders.clear()
        self._raw_labels.clear()
        self.directions = None
        self.directions_step = None
        self._status = ""
        self.current_z = self.current_image = None
        for item in (self.image_item, self.strip_item, self.cloud_item, self.point_item):
            item.clear()

    # --- edits -------------------------------------------------------------------------------
    def _on_slider(self) -> None:
        if self._loading:
            return
        self.interp_t = None
        self.request_render()

    def _on_seed(self) -> None:
        if not self._loading:
            self.interp_t = None
            self.request_render()

    def randomize(self) -> None:
        self.seed_spin.setValue(int(np.random.default_rng().integers(0, 2_000_000_000)))

    def reset_all(self) -> None:
        self._loading = True
        try:
            for slider in self.direction_sliders:
                slider.setValue(0.0)
            for slider in self.raw_sliders.values():
                slider.setValue(0.0)
            self.truncation_slider.setValue(1.0)
        finally:
            self._loading = False
        self.interp_t = None
        self.request_render()

    def add_raw_slider(self, index: int) -> QLabeledDoubleSlider:
        if index in self.raw_sliders:
            return self.raw_sliders[index]
        base = self._base_z()
        start = float(base[index]) if base is not None else 0.0
        slider = _slider(f"rawSlider_{index}", -SIGMA_RANGE, SIGMA_RANGE, 0.0, f"Sets z[{index}] directly")
        slider.setValue(float(np.clip(start, -SIGMA_RANGE, SIGMA_RANGE)))
        slider.valueChanged.connect(self._on_slider)
        row = len(self.raw_sliders) + 1
        label = QLabel(f"z[{index}]")
        self.raw_layout.addWidget(label, row, 0)
        self.raw_layout.addWidget(slider, row, 1)
        self.raw_sliders[index] = slider
        self._raw_labels.append(label)
        self.request_render()
        return slider

    def current_edit(self) -> LatentEdit:
        count = len(self.directions.vectors) if self.directions is not None else 0
        return LatentEdit(
            seed=self.seed_spin.value(),
            direction_values=[self.direction_sliders[i].value() for i in range(count)],
            raw_values={i: s.value() for i, s in self.raw_sliders.items()},
            truncation=self.truncation_slider.value(),
        )

    def set_endpoint(self, which: str) -> None:
        z = self.latent()
        if z is None:
            return
        if which == "a":
            self.point_a = z
        else:
            self.point_b = z
        self.set_a_button.setText("A set" if self.point_a is not None else "Set A")
        self.set_b_button.setText("B set" if self.point_b is not None else "Set B")

    def _on_interp(self, value: int) -> None:
        if self.point_a is None or self.point_b is None:
            return
        self.interp_t = value / INTERP_STEPS
        self.request_render()

    def _on_play(self, on: bool) -> None:
        self.play_button.setText("Pause" if on else "Play")
        if on and self.point_a is not None and self.point_b is not None:
            self._direction = 1
            self._play_timer.start()
        else:
            self._play_timer.stop()
            if on:
                self.play_button.setChecked(False)
                self.info.setText("Set A and B first")

    def _advance_play(self) -> None:
        value = self.interp_slider.value() + 2 * self._direction
        if value >= INTERP_STEPS or value <= 0:
            self._direction *= -1
        self.interp_slider.setValue(max(0, min(INTERP_STEPS, value)))

    # --- saving ------------------------------------------------------------------------------
    def current_spec(self) -> ImageSetSpec:
        from ganstudio.core.export import ImageSetSpec

        return ImageSetSpec(
            edit=self.current_edit(),
            directions=self.directions.vectors.tolist() if self.directions is not None else None,
            a=self.point_a.tolist() if self.point_a is not None else None,
            b=self.point_b.tolist() if self.point_b is not None else None,
        )

    def ask_save(self) -> None:
        if self.snapshot is None:
            return
        from ganstudio.gui.widgets.image_set_dialog import ImageSetDialog

        dialog = ImageSetDialog(self.default_folder, self.point_a is not None and self.point_b is not None,
                                len(self.directions.vectors) if self.directions is not None else 0, self)
        if dialog.exec():
            self.save_image_set(dialog.destination(), dialog.fill(self.current_spec()))

    def save_image_set(self, dest: str | Path, spec: ImageSetSpec) -> Path | None:
        """Writes the set; a failure shows an error and leaves nothing behind."""
        from ganstudio.core.export import ExportError, write_image_set

        try:
            path = write_image_set(self.snapshot, spec, dest, checkpoint=self.checkpoint_path)
        except ExportError as exc:
            self._show_error("imageSetError", "Image set not saved", str(exc))
            return None
        self.info.setText(f"Saved {spec.mode} set to {path}")
        return path

    def _show_error(self, name: str, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName(name)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.error_dialog = box
        box.open()

    # --- rendering ---------------------------------------------------------------------------
    def _base_z(self) -> np.ndarray | None:
        return None if self.snapshot is None else seeded_z(self.seed_spin.value(), self.snapshot.latent_dim)

    def latent(self) -> np.ndarray | None:
        if self.snapshot is None:
            return None
        if self.interp_t is not None and self.point_a is not None and self.point_b is not None:
            return slerp(self.point_a, self.point_b, self.interp_t)
        dirs = self.directions.vectors if self.directions is not None else None
        return compose_latent(self._base_z(), self.current_edit(), dirs)

    def request_render(self) -> None:
        """Schedules one render of the latest state: at once, or, while a training run shares the CPU,
        no sooner than min_interval_ms after the previous one (so a drag costs training less)."""
        now = time.perf_counter()
        if self._dirty_since is None:
            self._dirty_since = now
        if not self._render_timer.isActive():
            wait_ms = self.min_interval_ms - (now - self._last_render) * 1000
            self._render_timer.start(max(0, int(wait_ms)))

    def render(self) -> None:
        """Draws the latest latent only; earlier slider positions that were never drawn are skipped.

        The main image is drawn at once; the neighbour strip (8 more images) waits until the
        sliders rest, so a drag costs one generator forward per frame.
        """
        since, self._dirty_since = self._dirty_since, None
        self._last_render = time.perf_counter()
        z = self.latent()
        if z is None:
            return
        snap = self.snapshot
        out = snap.generate(z[None].astype(np.float32))
        self.current_z = z
        if snap.is_toy:
            self._draw_point(out.numpy())
        else:
            from ganstudio.core.trainer import to_uint8

            main = to_uint8(out)[0]
            self.current_image = np.ascontiguousarray(main[0] if main.shape[0] == 1 else main.transpose(1, 2, 0))
            self.image_item.setImage(self.current_image, autoLevels=False, levels=(0, 255))
            self._strip_timer.start()
        if since is not None:
            self.rendered.emit((time.perf_counter() - since) * 1000)

    def render_neighbours(self) -> None:
        if self.current_z is None or self.snapshot is None or self.snapshot.is_toy:
            return
        from ganstudio.core.imaging import image_grid
        from ganstudio.core.trainer import to_uint8

        batch = neighbours(self.current_z, NEIGHBOURS).astype(np.float32)
        images = to_uint8(self.snapshot.generate(batch))
        self.strip_item.setImage(image_grid(images, nrow=NEIGHBOURS, fill=255), autoLevels=False, levels=(0, 255))

    def _draw_point(self, points: np.ndarray) -> None:
        cloud = self._toy_cloud
        if points.shape[1] == 1:
            points = np.concatenate([points, np.zeros_like(points)], axis=1)
            cloud = np.concatenate([cloud, np.zeros_like(cloud)], axis=1)
        self.current_image = None
        self.cloud_item.setData(cloud[:, 0], cloud[:, 1])
        self.point_item.setData(points[:1, 0], points[:1, 1])

    def _set_enabled(self, on: bool) -> None:
        toy = self.snapshot is not None and self.snapshot.is_toy
        for widget in (self.seed_spin, self.randomize_button, self.reset_button, self.truncation_slider,
                       self.add_raw_button, self.raw_dim_spin, self.set_a_button, self.set_b_button,
                       self.interp_slider, self.play_button, self.find_button):
            widget.setEnabled(on)
        self.save_button.setEnabled(on and not toy)
        self.image_item.setVisible(not toy)
        self.strip.setVisible(not toy)
        self.cloud_item.setVisible(toy)
        self.point_item.setVisible(toy)
        if toy:
            self.view.invertY(False)
            self.view.showAxis("left")
            self.view.showAxis("bottom")
            self.view.setMouseEnabled(True, True)
        else:
            self.view.invertY(True)
            self.view.hideAxis("left")
            self.view.hideAxis("bottom")
        self.view.enableAutoRange()
