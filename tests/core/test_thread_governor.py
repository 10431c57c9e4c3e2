"""Auto CPU threads that follow the machine's load: the governor's choices from step times it is given (a
busy machine made a two-thread DCGAN step a hundred times slower than a one-thread one), and the
supervisor, CLI and window carrying a choice out."""

import itertools

import pytest
import torch

from ganstudio.cli import main
from ganstudio.core import fast_path
from ganstudio.core import supervisor as supervisor_module
from ganstudio.core.events import StatsBatch, ThreadsChosen
from ganstudio.core.thread_governor import (
    RECHECK_S,
    TIMED_STEPS,
    WARMUP_STEPS,
    ThreadChoice,
    ThreadGovernor,
)
from tests.conftest import tiny_image_config
from tests.core.test_supervisor import supervisor_for, until


class Machine:
    """Step times per thread count, and a clock that runs by them."""

    def __init__(self, seconds: dict[int, float]):
        self.seconds = seconds
        self.now = 0.0

    def run(self, governor: ThreadGovernor, steps: int = 0, seconds: float = 0.0) -> list[ThreadChoice]:
        """For so many steps, or until the clock has moved on by so many seconds."""
        choices, until = [], self.now + seconds
        for _ in itertools.count() if seconds else range(steps):
            if seconds and self.now >= until:
                break
            took = self.seconds[governor.threads]
            self.now += took
            choice = governor.observe(took)
            if choice is not None:
                choices.append(choice)
        return choices


ROUND = WARMUP_STEPS + 2 * TIMED_STEPS  # the first round: one thread timed, then every core


def test_an_idle_machine_goes_to_every_core_after_timing_one_and_says_nothing():
    machine = Machine({2: 0.02, 1: 0.03})
    governor = ThreadGovernor(2, clock=lambda: machine.now)
    assert governor.threads == 1
    choices = machine.run(governor, ROUND)
    assert choices == [ThreadChoice(2, {})] and governor.threads == 2


def test_a_busy_machine_stays_on_one_thread_after_one_slow_step_says_why_and_leaves_when_the_load_has_gone():
    machine = Machine({2: 3.0, 1: 0.03})
    governor = ThreadGovernor(2, clock=lambda: machine.now)
    choices = machine.run(governor, WARMUP_STEPS + TIMED_STEPS + 1)  # one step on two threads shows it
    assert choices[0] == ThreadChoice(2, {}) and len(choices) == 2
    assert choices[1].threads == 1 and choices[1].timings == pytest.approx({2: 3.0, 1: 0.03})
    assert "now 1 (another program is using the CPU): 2 threads 3000 ms a step, 1 thread 30 ms a step" in (
        choices[-1].describe()
    )
    machine.seconds = {2: 0.02, 1: 0.03}  # the other program ended
    assert machine.run(governor, seconds=RECHECK_S - 1) == []
    choices = machine.run(governor, seconds=RECHECK_S)  # the recheck waits longer after a costly round
    assert choices[0] == ThreadChoice(2, {}) and len(choices) == 2 and governor.threads == 2
    assert choices[1].threads == 2 and choices[1].timings == pytest.approx({2: 0.02, 1: 0.03})


def test_steps_that_slow_down_are_timed_again_at_once():
    machine = Machine({2: 0.02, 1: 0.03})
    governor = ThreadGovernor(2, clock=lambda: machine.now)
    machine.run(governor, ROUND)
    machine.seconds = {2: 3.0, 1: 0.03}  # another program starts: far sooner than the minute's recheck
    choices = machine.run(governor, 2 * TIMED_STEPS)
    assert choices[-1].threads == 1 and choices[-1].timings and machine.now < RECHECK_S


def test_a_small_gain_is_not_worth_leaving_the_cores():
    machine = Machine({2: 0.021, 1: 0.02})
    governor = ThreadGovernor(2, clock=lambda: machine.now)
    machine.run(governor, ROUND)
    assert governor.threads == 2


def test_stalls_now_and_then_count_against_a_count_whose_typical_step_is_fast():
    """A busy machine stalls some of a two-thread run's steps; their median hid it, their mean does not."""
    governor = ThreadGovernor(2)
    for _ in range(WARMUP_STEPS + TIMED_STEPS):
        governor.observe(0.027)
    choices = [governor.observe(0.2 if i % 4 == 0 else 0.02) for i in range(TIMED_STEPS)]
    chosen = [c for c in choices if c is not None]
    assert [c.threads for c in chosen] == [1] and chosen[0].timings[2] > 2 * chosen[0].timings[1]


class Busy(ThreadGovernor):
    """The governor of a machine that got busy: its choice after a few steps, whatever they took."""

    def observe(self, seconds: float) -> ThreadChoice | None:
        self.seen = getattr(self, "seen", 0) + 1
        return ThreadChoice(1, {2: 3.0, 1: 0.03}) if self.seen == 4 else None


@pytest.fixture
def busy_two_cores(monkeypatch, restore_threads):
    monkeypatch.setattr(supervisor_module, "ThreadGovernor", Busy)
    monkeypatch.setattr(fast_path, "usable_cores", lambda: 2)


@pytest.mark.usefixtures("busy_two_cores")
def test_the_supervisor_sets_the_count_chosen_and_says_it(tmp_path):
    sup = supervisor_for(tmp_path, tiny_image_config(steps=100, log_every=1))
    events = sup.run()
    chosen = until(events, ThreadsChosen)[-1]
    assert chosen.step == 4 and chosen.threads == 1 and chosen.device.startswith("CPU (1 thread)")
    assert torch.get_num_threads() == 1  # the supervisor's thread: this one, which iterates its events
    until(events, StatsBatch, lambda e: e.stats[-1].step >= 6)


@pytest.mark.usefixtures("busy_two_cores")
def test_train_prints_the_count_chosen(tmp_path, capsys):
    config = tmp_path / "cfg.json"
    config.write_text(tiny_image_config(steps=8).to_json())
    assert main(["train", "--config", str(config), "--out", str(tmp_path / "run")]) == 0
    assert "step 4: CPU threads now 1 (another program is using the CPU): 2 threads 3000 ms a step" in (
        capsys.readouterr().out
    )


def test_a_run_on_a_set_count_has_no_governor(tmp_path):
    cfg = tiny_image_config(steps=3)
    cfg.perf.threads = 1
    sup = supervisor_for(tmp_path, cfg)
    list(sup.run())
    assert sup.thread_governor is None
