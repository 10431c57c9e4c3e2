"""The run controls above the tabs: Start/Continue, Pause/Resume, Step, Stop, progress, rate and ETA."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from ganstudio.gui.rate import RateMeter
from ganstudio.gui.run_phase import RunAction, RunPhase

START_TIP = "Start a new run with these settings (Ctrl+Return)"
CONTINUE_TIP = "Carry the run on from its latest checkpoint up to Steps (Ctrl+Return); File > New run starts afresh"


class RunControls(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.rate_meter = RateMeter()
        self.total = 1  # the run's last step, the progress bar's maximum
        self.position = 0  # the run's step: the bar holds at the total, this does not
        self.start_button = QPushButton("Start", objectName="startButton")
        self.start_button.setToolTip(START_TIP)
        self.pause_button = QPushButton("Pause", objectName="pauseButton")
        self.pause_button.setToolTip(
            "Pause or resume training between steps (Space, unless a button or field has the keyboard focus)"
        )
        self.step_button = QPushButton("Step", objectName="stepButton")
        self.step_button.setToolTip("While paused: one generator step with its k discriminator steps (Ctrl+T)")
        self.stop_button = QPushButton("Stop", objectName="stopButton")
        self.stop_button.setToolTip("Stop the run, saving a checkpoint; Start then continues it (Ctrl+.)")
        self.progress = QProgressBar(objectName="progressBar")
        self.progress.setFormat("%v / %m steps")
        self.progress.setToolTip("Generator steps done out of the run's total")
        self.rate_label = QLabel("", objectName="rateLabel")
        self.rate_label.setToolTip("Steps per second lately, and the time left at that rate")
        self.rate_label.setMinimumWidth(200)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        for button in (self.start_button, self.pause_button, self.step_button, self.stop_button):
            layout.addWidget(button)
        layout.addWidget(self.progress, 1)
        layout.addWidget(self.rate_label)

    def show_phase(
        self, phase: RunPhase, can_start: bool, continuable: bool, why_not: str = "", resume_step: int | None = None
    ) -> None:
        """`can_start`: the phase allows it and the setup is valid; `continuable`: Start continues a run;
        `why_not`: the setup's first problem, said by the greyed button (a shut fold hides the field's own);
        `resume_step`: the checkpoint step of a run that raising Steps past it would carry on."""
        self.start_button.setEnabled(can_start)
        self.start_button.setText("Continue" if continuable else "Start")
        tip = CONTINUE_TIP if continuable else START_TIP
        if not continuable and resume_step is not None:
            tip += f"; raise Steps past {resume_step:,} to carry the last run on instead"
        self.start_button.setToolTip(f"Cannot start until this is fixed: {why_not}" if why_not else tip)
        self.pause_button.setEnabled(phase.allows(RunAction.PAUSE))
        self.pause_button.setText("Resume" if phase is RunPhase.PAUSED else "Pause")
        self.step_button.setEnabled(phase.allows(RunAction.STEP))
        self.stop_button.setEnabled(phase.allows(RunAction.STOP))

    @property
    def step(self) -> int:
        return self.position

    def set_run(self, total: int, step: int) -> None:
        """Another run (or the same one, longer): its length and where it stands."""
        self.total = max(1, total)
        self.progress.setRange(0, self.total)
        self.show_position(step)

    def show_position(self, step: int) -> None:
        """The bar at step (held at the run's end), leaving the rate as it was."""
        self.position = step
        self.progress.setValue(min(step, self.total))

    def show_step(self, step: int) -> None:
        self.show_position(step)
        self.rate_meter.observe(step, time.monotonic())
        self._show_rate()

    def show_beat(self, step: int, now: float) -> None:
        """A watched run's heartbeat, timed by the writer's clock (the watcher's lag does not count). It can
        be a second older than the log the bar follows, so the bar never goes back for it."""
        self.rate_meter.observe(step, now)
        self.rate_label.setText(self.rate_meter.text(step, self.total))
        if step > self.position:
            self.show_position(step)

    def set_paused(self, paused: bool) -> None:
        self.rate_meter.set_paused(paused)
        self._show_rate()

    def reset_rate(self) -> None:
        self.rate_meter.reset()
        self.rate_label.setText("")

    def _show_rate(self) -> None:
        self.rate_label.setText(self.rate_meter.text(self.progress.value(), self.total))
