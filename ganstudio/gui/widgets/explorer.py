"""The latent-space explorer: drag sliders and see what the generator learned.

It works on a GeneratorSnapshot, an eval-mode copy of G (from the running training's
worker, or from a checkpoint file), never the live model. What it looks at lives in a Qt-free
ExplorerState; the sliders, the interpolation and class controls and the canvas only mirror it. Edits
reach the generator through a throttled render, so a fast drag draws only the latest latent
and never builds a backlog.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledDoubleSlider
from superqt.utils import qdebounced, qthrottled

from ganstudio.core.explorer_state import Endpoint, ExplorerState
from ganstudio.core.latent import neighbours
from ganstudio.core.runlog import RunDirectory
from ganstudio.gui.widgets.class_panel import ClassPanel
from ganstudio.gui.widgets.direction_finder import DirectionFinder
from ganstudio.gui.widgets.explorer_canvas import ExplorerCanvas
from ganstudio.gui.widgets.image_set_saver import ImageSetSaver
from ganstudio.gui.widgets.interpolation_panel import InterpolationPanel
from ganstudio.gui.widgets.latent_sliders import LatentSliders
from ganstudio.gui.widgets.vertical_scroll_area import VerticalScrollArea

if TYPE_CHECKING:  # the engine (and torch) load after the window is painted
    import torch

    from ganstudio.core.export import ImageSetSpec
    from ganstudio.core.latent import Directions
    from ganstudio.core.sampling import GeneratorSnapshot

NEIGHBOURS = 8
TOY_CLOUD = 1500
TRAINING_RENDER_INTERVAL_MS = 33  # about 30 renders a second while training shares the CPU
STRIP_DELAY_MS = 200
CONTROLS_WIDTH = 420
SAVE_TIP = "Save PNGs, a contact sheet, latents and a manifest that regenerates them exactly"
TOY_SAVE_TIP = "A toy run's generator draws points, not images: there is no image set to save (`ganstudio sample` writes its points)"


class ExplorerPanel(QWidget):
    snapshot_wanted = Signal()  # ask the running training for a fresh generator copy
    rendered = Signal(float)  # milliseconds from the first unrendered change to pixels set

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = ExplorerState()
        self.default_folder = str(Path.home())
        self.run_folder: str | None = None  # the window's current run: where Open checkpoint... looks first
        self.current_z: np.ndarray | None = None  # the latent last drawn
        self.current_image: np.ndarray | None = None  # its pixels (None for a toy model)
        self._source = ""  # "from the running training", "from latest.pt", ...
        self._status = ""  # what the directions are doing
        self._dirty_since: float | None = None
        self._directions_wanted = False
        self.finder = DirectionFinder(self)
        self.finder.searching.connect(self._on_searching)
        self.finder.found.connect(self._on_directions)
        self.saver = ImageSetSaver(self.state, self)
        # trailing edge only: a burst of edits in one event-loop pass draws once, with the last values
        self._render_soon = qthrottled(self.draw, timeout=0, leading=False)
        self._render_strip_later = qdebounced(self.render_neighbours, timeout=STRIP_DELAY_MS)
        self.canvas = ExplorerCanvas()
        self.info = QLabel("Open a checkpoint, or start training, to explore its generator", objectName="explorerInfo")
        self.info.setWordWrap(True)
        self.saver.saved.connect(self.info.setText)
        self.open_button = QPushButton("Open checkpoint...", objectName="openCheckpointButton")
        self.open_button.setToolTip("Explore the generator in a checkpoint file (.pt)")
        self.open_button.clicked.connect(self.ask_checkpoint)
        self.refresh_button = QPushButton("Refresh from training", objectName="refreshSnapshotButton")
        self.refresh_button.setToolTip(
            "Take a fresh copy of the generator being trained (also every few seconds), "
            "or of the run's latest checkpoint once it has stopped"
        )
        self.refresh_button.clicked.connect(self.snapshot_wanted)
        self.find_button = QPushButton("Find directions", objectName="findDirectionsButton")
        self.find_button.setToolTip(
            "Recompute the 16 principal directions now (GANSpace: PCA of an early layer); "
            "a newer generator gets them by itself every few seconds"
        )
        self.find_button.clicked.connect(self.find_directions)
        self.save_button = QPushButton("Save image set...", objectName="saveImageSetButton")
        self.save_button.setToolTip(SAVE_TIP)
        self.save_button.clicked.connect(self.ask_save)
        self.sliders = LatentSliders(self.state)
        self.sliders.edited.connect(self.request_render)
        self.sliders.reset_button.clicked.connect(self.reset_all)
        self.sliders.add_raw_button.clicked.connect(lambda: self.add_raw_slider(self.sliders.raw_dim_spin.value()))
        self.interpolation = InterpolationPanel()
        self.interpolation.endpoint_wanted.connect(self.set_endpoint)
        self.interpolation.moved.connect(self._on_interp)
        self.interpolation.play_refused.connect(lambda: self.info.setText("Set A and B first"))
        self.classes = ClassPanel(self.state)
        self.classes.edited.connect(self.request_render)
        column = self.sliders.layout()
        assert isinstance(column, QBoxLayout)
        column.insertWidget(1, self.classes.selector_row)  # beside the seed

        self._lay_out()
        self._set_enabled(False)

    def _lay_out(self) -> None:
        left = QVBoxLayout()
        left.addWidget(self.canvas, 1)
        left.addWidget(self.info)

        top = QGridLayout()
        for i, b in enumerate((self.open_button, self.refresh_button, self.find_button, self.save_button)):
            top.addWidget(b, i // 2, i % 2)

        controls = QWidget()
        right = QVBoxLayout(controls)
        right.addLayout(top)
        right.addWidget(self.sliders)
        right.addWidget(self.interpolation)
        right.addWidget(self.classes)
        right.addStretch(1)
        self.controls_scroll = VerticalScrollArea(controls)
        self.controls_scroll.setMinimumWidth(CONTROLS_WIDTH)
        controls.setMaximumWidth(CONTROLS_WIDTH)

        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addWidget(self.controls_scroll)

    # --- sources -----------------------------------------------------------------------------
    def checkpoint_folder(self) -> str:
        """Where Open checkpoint... starts: the current run's checkpoints, else the folder last used."""
        if self.run_folder:
            folder = RunDirectory(self.run_folder).checkpoints_dir
            return str(folder if folder.is_dir() else self.run_folder)
        return self.default_folder

    def ask_checkpoint(self) -> None:
        from ganstudio.core.checkpoint import CheckpointError

        path, _ = QFileDialog.getOpenFileName(
            self, "Open checkpoint", self.checkpoint_folder(), "GAN Studio checkpoints (*.pt)"
        )
        if not path:
            return
        try:
            self.open_checkpoint(path)
        except CheckpointError as exc:
            self.saver.show_error("checkpointError", "Cannot open checkpoint", str(exc))

    def open_checkpoint(self, path: str | Path) -> None:
        """Raises CheckpointError for a file that is not a usable checkpoint."""
        from ganstudio.core.export import held_by_a_run, sets_folder_for, sha256_file
        from ganstudio.core.fast_path import serial_torch_here
        from ganstudio.core.sampling import load_generator

        serial_torch_here()  # the GUI thread's renders must not slow a training run (see serial_torch_here)
        try:  # before the read: a set saved later names the file only while it is still what was read
            digest = sha256_file(path) if Path(path).is_file() and not held_by_a_run(path) else None
        except OSError:
            digest = None  # load_generator says why the file cannot be read
        snapshot = load_generator(path, device="cpu")
        self.set_snapshot(snapshot, checkpoint=str(Path(path).resolve()), checkpoint_sha256=digest)
        self.default_folder = str(sets_folder_for(path))

    def set_snapshot(
        self,
        snapshot: GeneratorSnapshot,
        checkpoint: str | None = None,
        source: str | None = None,
        checkpoint_sha256: str | None = None,
    ) -> None:
        """A new generator copy. Another model (an image run after a toy run) starts the explorer afresh:
        latents, endpoints and raw sliders of the old one would not fit it. A newer copy of the same
        model keeps them, and its directions are refreshed in the background."""
        if self.state.set_snapshot(snapshot, checkpoint, checkpoint_sha256):
            self._reset_for_model(snapshot.latent_dim)
            self.classes.show_classes(snapshot.class_names)
        self._set_enabled(True)
        self._source = source or self.state.source_name()
        self._show_info()
        if snapshot.is_toy:
            from ganstudio.core.sampling import seeded_latents

            labels = np.arange(TOY_CLOUD) % snapshot.num_classes if snapshot.is_conditional else None
            self.canvas.set_cloud(snapshot.generate(seeded_latents(0, TOY_CLOUD, snapshot.latent_dim), labels).numpy())
        self._directions_wanted = True
        if self.isVisible():  # otherwise on first show: the PCA costs a training run seconds of CPU
            self._want_directions()
        self.request_render()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._directions_wanted and self.state.snapshot is not None:
            self._want_directions()

    def set_live_state(self, payload: dict) -> None:
        """A generator copy from the worker; its last one, when the run ends, says so."""
        from ganstudio.core.fast_path import serial_torch_here
        from ganstudio.core.sampling import snapshot_from_state

        serial_torch_here()
        source = "where the run ended" if payload.get("final") else "from the running training"
        self.set_snapshot(snapshot_from_state(payload, device="cpu"), source=source)

    def set_min_interval(self, ms: int) -> None:
        """While a training run shares the CPU, renders come no closer than this, so a drag costs it less."""
        self._render_soon.setTimeout(ms)

    # --- directions --------------------------------------------------------------------------
    def _want_directions(self) -> None:
        """At once when there are none for this model; for a newer generator, on the finder's schedule."""
        self._directions_wanted = False
        snapshot = self.state.snapshot
        if snapshot is None:
            return
        if self.state.directions is None:
            self.finder.find(snapshot, self.state.label)
        elif self.state.directions_stale():
            self.finder.refresh(snapshot, self.state.label)

    def find_directions(self) -> None:
        """Finds them again now; a conditional generator's with the class shown fixed."""
        if self.state.snapshot is not None:
            self._directions_wanted = False
            self.finder.find(self.state.snapshot, self.state.label)

    def _on_searching(self, snapshot: GeneratorSnapshot) -> None:
        if self.state.directions is None:  # sliders along directions of another generator would mislead
            self.sliders.enable_directions(False)
        self.find_button.setEnabled(False)
        self._status = f"finding principal directions at step {snapshot.step:,}..."
        self._show_info()

    def _on_directions(self, snapshot: GeneratorSnapshot, directions: Directions, label: int) -> None:
        self.find_button.setEnabled(self.state.snapshot is not None)
        if not self.state.accept_directions(snapshot, directions, label):
            return
        self.sliders.show_directions(directions)
        count = len(directions.vectors)
        found_with = f" (class {snapshot.class_names[label]} fixed)" if snapshot.is_conditional else ""
        self._status = f"{count} direction{'s' if count != 1 else ''} from step {snapshot.step:,}{found_with}"
        self._show_info()
        self.request_render()

    def _show_info(self) -> None:
        if self.state.snapshot is not None:
            text = f"Generator at step {self.state.snapshot.step:,} {self._source}"
            self.info.setText(f"{text} - {self._status}" if self._status else text)

    def unload(self, reason: str) -> None:
        """Another run's generator must not stand for the window's run: the explorer empties and says why."""
        self.state.unload()
        self._reset_for_model(None)
        self.classes.show_classes(())
        self._set_enabled(False)
        self._source = ""
        self.info.setText(reason)

    def _reset_for_model(self, latent_dim: int | None) -> None:
        """Forgets the widgets tied to the previous model's latent space and picture."""
        self.interpolation.rewind()
        self.sliders.forget_model(latent_dim)
        self._status = ""
        self.current_z = self.current_image = None
        self.canvas.clear()

    # --- edits -------------------------------------------------------------------------------
    def reset_all(self) -> None:
        self.state.reset_edits()
        self.sliders.mirror()
        self.request_render()

    def set_run_folder(self, folder: str | None) -> None:
        """The window's current run (None: none): Open checkpoint... looks there first, and its image sets go
        into it."""
        self.run_folder = folder
        if folder is not None:
            self.default_folder = folder

    def add_raw_slider(self, index: int) -> QLabeledDoubleSlider:
        """A slider for z[index], starting at the seed's value there."""
        base = self.state.base_z()
        slider = self.sliders.add_raw(index, float(base[index]) if base is not None else 0.0)
        self.controls_scroll.guard_new_fields()
        self.request_render()
        return slider

    def set_endpoint(self, which: Endpoint | str) -> None:
        if self.state.set_endpoint(which) is not None:
            self.interpolation.show_endpoints(self.state.point_a is not None, self.state.point_b is not None)

    def _on_interp(self, t: float) -> None:
        self.state.interp_t = t
        self.request_render()

    def ask_save(self) -> None:
        self.saver.ask(self.default_folder)

    def current_spec(self) -> ImageSetSpec:
        return self.state.spec()

    def save_image_set(self, dest: str | Path, spec: ImageSetSpec) -> Path | None:
        return self.saver.save(dest, spec)

    # --- rendering ---------------------------------------------------------------------------
    def request_render(self) -> None:
        """Schedules one render of the latest state (see set_min_interval)."""
        if self._dirty_since is None:
            self._dirty_since = time.perf_counter()
        self._render_soon()

    def draw(self) -> None:
        """Draws the latest latent only; earlier slider positions that were never drawn are skipped.

        The main image is drawn at once; the neighbour strip (8 more images) waits until the
        sliders rest, so a drag costs one generator forward per frame.
        """
        since, self._dirty_since = self._dirty_since, None
        z = self.state.latent()
        snapshot = self.state.snapshot
        if z is None or snapshot is None:
            return
        out = self._generate(z[None].astype(np.float32))
        self.current_z = z
        if snapshot.is_toy:
            self.current_image = None
            self.canvas.show_point(out.numpy())
        else:
            from ganstudio.core.trainer import to_uint8

            main = to_uint8(out)[0]
            self.current_image = np.ascontiguousarray(main[0] if main.shape[0] == 1 else main.transpose(1, 2, 0))
            self.canvas.show_image(self.current_image)
            self._render_strip_later()
        if since is not None:
            self.rendered.emit((time.perf_counter() - since) * 1000)

    def render_neighbours(self) -> None:
        snapshot = self.state.snapshot
        if self.current_z is None or snapshot is None or snapshot.is_toy:
            return
        from ganstudio.core.imaging import image_grid
        from ganstudio.core.trainer import to_uint8

        batch = neighbours(self.current_z, NEIGHBOURS).astype(np.float32)
        images = to_uint8(self._generate(batch))
        self.canvas.show_strip(image_grid(images, nrow=NEIGHBOURS, fill=255))

    def _generate(self, z: np.ndarray) -> torch.Tensor:
        """G(z), in the class (or the point of the class morph) shown for a conditional generator."""
        snapshot, weights = self.state.snapshot, self.state.class_weights()
        assert snapshot is not None
        return snapshot.generate(z) if weights is None else snapshot.generate_mixed(z, weights)

    def _set_enabled(self, on: bool) -> None:
        toy = self.state.snapshot is not None and self.state.snapshot.is_toy
        self.sliders.set_enabled(on)
        for widget in (
            self.interpolation.set_a_button,
            self.interpolation.set_b_button,
            self.interpolation.slider,
            self.interpolation.play_button,
            self.find_button,
        ):
            widget.setEnabled(on)
        self.save_button.setEnabled(on and not toy)
        self.save_button.setToolTip(TOY_SAVE_TIP if toy else SAVE_TIP)
        self.canvas.set_toy(toy)
