"""The run supervisor, without Qt: commands in arrival order, NaN -> alarm -> rewind, live changes
that reach config.json, pausing that blocks and stops promptly, and the picture pacing rule."""

import itertools
import json
import queue
import threading
import time

import torch

from ganstudio.core.control import attach_folder, read_heartbeat
from ganstudio.core.events import (
    Alarm,
    Changed,
    Command,
    Finished,
    FinishReason,
    Refused,
    Rewound,
    RunState,
    SampleFrame,
    Snapshot,
    StateChanged,
    StatsBatch,
)
from ganstudio.core.runlog import RunDirectory
from ganstudio.core.session import TrainingSession
from ganstudio.core.supervisor import PICTURE_INTERVAL_S, Supervisor
from tests.conftest import tiny_image_config, tiny_toy_config


def supervisor_for(tmp_path, cfg, paused=False, gui=False) -> Supervisor:
    run = RunDirectory.at(tmp_path / "run")
    return Supervisor(lambda: TrainingSession.start(cfg, run), paused=paused, gui=gui)


def diverging(steps=300):
    """SGD at lr 10 on ring-8: finite for the first steps, NaN by about step 11."""
    cfg = tiny_toy_config(steps=steps, log_every=1)
    cfg.optim.name, cfg.optim.lr_g, cfg.optim.lr_d, cfg.optim.momentum = "sgd", 10.0, 10.0, 0.9
    return cfg


def until(events, kind, check=lambda e: True):
    """The events up to and including the first of this kind that passes check."""
    seen = []
    for event in events:
        seen.append(event)
        if isinstance(event, kind) and check(event):
            return seen
    raise AssertionError(f"the run ended before a {kind.__name__}: {seen[-3:]}")


def test_nan_raises_an_alarm_pauses_and_rewinds_to_the_last_good_snapshot(tmp_path):
    sup = supervisor_for(tmp_path, diverging())
    events = sup.run()
    alarm = until(events, Alarm, lambda a: a.kind == "nan")[-1]
    assert alarm.remedies[0].rewind
    until(events, StateChanged, lambda s: s.state is RunState.PAUSED)
    good = sup.rewind_step
    assert good is not None and good < alarm.step
    sup.submit(Command("rewind"))
    rewound = until(events, Rewound)[-1]
    assert rewound.step == good and sup.session.step == good
    sup.submit(Command("stop"))
    assert until(events, Finished)[-1].reason is FinishReason.STOPPED
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert {"step": good, "event": "rewind"} in records
    assert max(r["step"] for r in records) == good  # the NaN steps are gone from the log


def test_a_change_applies_on_the_next_step_and_lands_in_config_json(tmp_path):
    sup = supervisor_for(tmp_path, tiny_image_config(steps=100), paused=True)
    events = sup.run()
    until(events, Snapshot)  # set up: the loop now waits for commands
    sup.submit(Command("change", {"lr_g": 1e-5, "k": 2}))
    sup.submit(Command("step"))
    seen = until(events, StatsBatch)
    changed = next(e for e in seen if isinstance(e, Changed))
    assert changed.changes == {"lr_g": 1e-5, "k": 2} and changed.step == 0
    assert sup.session.trainer.opt_g.param_groups[0]["lr"] == 1e-5
    on_disk = json.loads((tmp_path / "run" / "config.json").read_text())
    assert on_disk["optim"]["lr_g"] == 1e-5 and on_disk["train"]["k"] == 2
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert {"step": 0, "event": "change", "lr_g": 1e-5, "k": 2} in records
    sup.submit(Command("change", {"lr_g": -1.0}))
    assert "Change refused" in until(events, Refused)[-1].message
    assert json.loads((tmp_path / "run" / "config.json").read_text())["optim"]["lr_g"] == 1e-5
    sup.submit(Command("stop"))
    until(events, Finished)


def test_a_rewind_to_before_ema_was_turned_off_brings_back_the_average_it_had(tmp_path):
    """The rewind restored the config (ema_decay 0.999) but not its averaged G: the run went on without one,
    and its checkpoints had no generator_ema while config.json said they should."""
    cfg = tiny_toy_config(steps=100000, log_every=1)
    cfg.train.ema_decay = 0.999
    sup = supervisor_for(tmp_path, cfg)
    events = sup.run()
    until(events, StatsBatch, lambda e: e.stats[-1].step >= 5 and sup.rewind_step is not None)
    sup.submit(Command("change", {"ema_decay": 0.0}))
    until(events, Changed)
    assert sup.session.trainer.G_ema is None
    sup.submit(Command("rewind"))
    until(events, Rewound)
    assert sup.session.trainer.config.train.ema_decay == 0.999 and sup.session.trainer.G_ema is not None
    sup.submit(Command("stop"))
    assert until(events, Finished)[-1].reason is FinishReason.STOPPED
    saved = torch.load(tmp_path / "run" / "checkpoints" / "latest.pt", weights_only=True)
    assert saved["config"]["train"]["ema_decay"] == 0.999 and "generator_ema" in saved


def test_commands_are_handled_in_arrival_order(tmp_path):
    sup = supervisor_for(tmp_path, tiny_image_config(steps=100, log_every=1), paused=True)
    events = sup.run()
    until(events, Snapshot)  # set up: the loop now waits for commands
    for command in (
        Command("change", {"k": 2}),
        Command("step"),
        Command("change", {"k": 3}),
        Command("step"),
        Command("stop"),
    ):
        sup.submit(command)
    seen = [e for e in until(events, Finished) if isinstance(e, (Changed, StatsBatch))]
    order = [("k", e.changes["k"]) if isinstance(e, Changed) else ("step", e.stats[-1].step) for e in seen]
    assert order[:4] == [("k", 2), ("step", 1), ("k", 3), ("step", 2)]


def test_step_d_and_step_g_update_one_network_while_paused(tmp_path):
    sup = supervisor_for(tmp_path, tiny_toy_config(steps=100), paused=True)
    events = sup.run()
    until(events, Snapshot)  # set up: the loop now waits for commands
    trainer = sup.session.trainer

    def weights():
        return (
            [p.detach().clone() for p in trainer.D.parameters()],
            [p.detach().clone() for p in trainer.G.parameters()],
        )

    def moved(before, after):
        return any(not torch.equal(a, b) for a, b in zip(before, after, strict=True))

    d0, g0 = weights()
    sup.submit(Command("step_d"))
    until(events, SampleFrame)
    d1, g1 = weights()
    assert moved(d0, d1) and not moved(g0, g1) and trainer.step_count == 0
    sup.submit(Command("step_g"))
    until(events, SampleFrame)
    d2, g2 = weights()
    assert not moved(d1, d2) and moved(g1, g2) and trainer.step_count == 0
    sup.submit(Command("step"))
    assert until(events, StatsBatch)[-1].stats[-1].step == 1
    sup.submit(Command("stop"))
    until(events, Finished)


def test_stop_while_paused_ends_promptly(tmp_path):
    """A paused loop blocks on its queue, so a stop from another thread wakes it at once."""
    sup = supervisor_for(tmp_path, tiny_image_config(steps=100), paused=True)
    out: queue.Queue = queue.Queue()
    thread = threading.Thread(target=lambda: [out.put(e) for e in sup.run()])
    thread.start()
    while not isinstance(out.get(timeout=60), StateChanged):
        pass
    while not isinstance(out.get(timeout=60), SampleFrame):  # the first picture: setup is over, the loop waits
        pass
    asked = time.monotonic()
    sup.submit(Command("stop"))
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert time.monotonic() - asked < 1.0  # the final save and picture included
    events = []
    while not out.empty():
        events.append(out.get())
    assert events[-1] == Finished(FinishReason.STOPPED, 0)


def test_command_sources_and_listeners(tmp_path):
    """The hooks a run folder attaches through: polled commands in, every event out on the same thread."""
    sup = supervisor_for(tmp_path, tiny_image_config(steps=3000))
    heard, threads = [], set()
    polls = []

    def poll():
        polls.append(time.monotonic())
        return [Command("stop", id="from-the-folder")] if len(heard) > 30 else []

    def listen(event):
        heard.append(event)
        threads.add(threading.get_ident())

    sup.add_command_source(poll)
    sup.add_listener(listen)
    yielded = list(sup.run())
    assert heard == yielded and threads == {threading.get_ident()}
    assert yielded[-1].reason is FinishReason.STOPPED
    gaps = [b - a for a, b in itertools.pairwise(polls)]
    assert polls and min(gaps, default=1.0) >= 0.2  # polled between steps, not before every one


def test_a_finished_supervisor_closes_its_session(tmp_path):
    closed = []
    run = RunDirectory.at(tmp_path / "run")

    def make():
        session = TrainingSession.start(tiny_toy_config(steps=3), run)
        session.close = lambda: closed.append(True)
        return session

    assert list(Supervisor(make).run())[-1].reason is FinishReason.DONE
    assert closed == [True]


class PictureCost:
    """Makes each live picture cost `seconds` more on the clock the supervisor times it with, without
    sleeping: the clock is moved on while the picture's samples are drawn."""

    def __init__(self, monkeypatch, trainer):
        self.seconds = 0.0
        self._ahead = 0.0
        real = time.perf_counter
        monkeypatch.setattr(time, "perf_counter", lambda: real() + self._ahead)
        draw = trainer.fixed_samples

        def costly():
            self._ahead += self.seconds
            return draw()

        trainer.fixed_samples = costly


def test_live_pictures_wait_in_proportion_to_what_they_cost(tmp_path, monkeypatch):
    """On a CPU a live picture's forward passes come out of training: 100x its cost, within 1-2 s while a
    window shows them."""
    sup = supervisor_for(tmp_path, tiny_image_config(steps=5), paused=True, gui=True)
    events = sup.run()
    until(events, Snapshot)
    assert PICTURE_INTERVAL_S[0] <= sup.picture_interval <= PICTURE_INTERVAL_S[1]
    cost = PictureCost(monkeypatch, sup.session.trainer)
    cost.seconds = 0.013
    sup.submit(Command("step_d"))
    until(events, SampleFrame)
    assert 1.3 <= sup.picture_interval <= PICTURE_INTERVAL_S[1]
    cost.seconds = 0.05
    sup.submit(Command("step_d"))
    frame = until(events, SampleFrame)[-1]
    assert sup.picture_interval == PICTURE_INTERVAL_S[1] and frame.image is not None
    sup.submit(Command("stop"))
    until(events, Finished)


def test_headless_pictures_are_bounded_only_by_their_cost(tmp_path, monkeypatch):
    """Nobody watches a headless run live: a picture costing 50 ms waits 5 s, past the window's 2 s ceiling."""
    sup = supervisor_for(tmp_path, tiny_image_config(steps=5), paused=True)
    events = sup.run()
    until(events, Snapshot)
    PictureCost(monkeypatch, sup.session.trainer).seconds = 0.05
    sup.submit(Command("step_d"))
    until(events, SampleFrame)
    assert sup.picture_interval >= 5.0
    sup.submit(Command("stop"))
    until(events, Finished)


def test_every_step_reaches_the_front_end_once_even_across_checkpoints_and_a_stop(tmp_path):
    """A checkpoint logs the pending stats first; they must be shown too, not only written (a window's
    progress bar once ended a step short of the checkpoint it had just saved)."""
    cfg = tiny_toy_config(steps=1000, log_every=1000, checkpoint_every=10, sample_every=1000)
    sup = supervisor_for(tmp_path, cfg)
    steps = []
    for event in sup.run():
        if isinstance(event, StatsBatch):
            steps += [s.step for s in event.stats]
            if steps[-1] >= 35:
                sup.submit(Command("stop"))
        if isinstance(event, Finished):
            assert event.reason is FinishReason.STOPPED
            assert steps == list(range(1, event.step + 1))
    assert steps


def test_a_run_stopped_between_grids_keeps_the_grid_of_its_last_step(tmp_path):
    """Reopened, it showed no samples at all (or an older grid than its checkpoint's step)."""
    cfg = tiny_image_config(steps=1000, log_every=1, checkpoint_every=1000, sample_every=1000)
    sup = supervisor_for(tmp_path, cfg)
    frames = []
    for event in sup.run():
        if isinstance(event, StatsBatch) and event.stats[-1].step >= 7:
            sup.submit(Command("stop"))
        if isinstance(event, SampleFrame):
            frames.append(event)
        if isinstance(event, Finished):
            stopped_at = event.step
    run = RunDirectory(tmp_path / "run")
    assert [step for step, _ in run.sample_files()] == [stopped_at]
    assert frames[-1].step == stopped_at and frames[-1].saved and frames[-1].final


def fail_saves(monkeypatch, times: int) -> list:
    """The next `times` checkpoint writes fail as a full disk makes them fail; the list of their paths grows."""
    import ganstudio.core.session as session_module
    from ganstudio.core.checkpoint import CheckpointError

    real, failed = session_module.save_checkpoint, []

    def save(state, path):
        if len(failed) < times:
            failed.append(path)
            raise CheckpointError(f"could not save the checkpoint {path}: the disk is full; there was none before it")
        return real(state, path)

    monkeypatch.setattr(session_module, "save_checkpoint", save)
    return failed


def test_in_a_window_a_stop_whose_checkpoint_fails_pauses_and_a_second_stop_saves(tmp_path, monkeypatch):
    cfg = tiny_toy_config(steps=100000, log_every=1, checkpoint_every=100000)
    sup = supervisor_for(tmp_path, cfg, gui=True)
    fail_saves(monkeypatch, 1)
    events = sup.run()
    until(events, StatsBatch, lambda e: e.stats[-1].step >= 5)
    sup.submit(Command("stop"))
    seen = until(events, Refused, lambda e: e.stop)
    assert "Not stopped" in seen[-1].message and "the disk is full" in seen[-1].message
    until(events, StateChanged, lambda e: e.state is RunState.PAUSED)
    assert not any(isinstance(e, Finished) for e in seen)
    step = seen[-1].step
    sup.submit(Command("stop"))  # space freed
    finished = until(events, Finished)[-1]
    assert finished.reason is FinishReason.STOPPED and finished.step == step  # no step lost
    assert torch.load(tmp_path / "run" / "checkpoints" / "latest.pt", weights_only=True)["step"] == step


def test_a_stop_can_give_up_its_checkpoint_and_headless_a_failed_one_still_ends_the_run(tmp_path, monkeypatch):
    cfg = tiny_toy_config(steps=100000, log_every=1, checkpoint_every=100000)
    sup = supervisor_for(tmp_path, cfg, gui=True)
    failed = fail_saves(monkeypatch, 100)
    events = sup.run()
    until(events, StatsBatch, lambda e: e.stats[-1].step >= 3)
    sup.submit(Command("stop", {"discard": True}))
    assert until(events, Finished)[-1].reason is FinishReason.STOPPED and not failed  # nothing was tried
    headless = supervisor_for(tmp_path / "headless", cfg)
    attach_folder(headless, tmp_path / "headless" / "run")
    events = headless.run()
    until(events, StatsBatch, lambda e: e.stats[-1].step >= 3)
    headless.submit(Command("stop"))
    seen = list(events)
    assert isinstance(seen[-1], Finished) and failed  # said as a failure, and ended: nobody could free space
    assert seen[-1].reason is FinishReason.ERROR  # not a clean stop: its last steps are not saved
    assert read_heartbeat(tmp_path / "headless" / "run").state == "error"  # what a watching window and --nproc read


def test_in_a_window_a_checkpoint_that_fails_mid_run_pauses_it_and_loses_nothing(tmp_path, monkeypatch):
    cfg = tiny_toy_config(steps=1000, log_every=1, checkpoint_every=5)
    sup = supervisor_for(tmp_path, cfg, gui=True)
    fail_saves(monkeypatch, 1)
    events = sup.run()
    seen = until(events, Refused)
    assert seen[-1].step == 5 and "Not saved" in seen[-1].message and "the disk is full" in seen[-1].message
    shown = [e.stats[-1].step for e in seen if isinstance(e, StatsBatch)]
    assert shown[-1] == 5  # the step whose checkpoint failed is on screen: its statistics are not lost to it
    until(events, StateChanged, lambda e: e.state is RunState.PAUSED)
    sup.submit(Command("resume"))  # room made
    until(events, StatsBatch, lambda e: e.stats[-1].step >= 12)
    sup.submit(Command("stop"))
    finished = until(events, Finished)[-1]
    assert finished.reason is FinishReason.STOPPED
    saved = torch.load(tmp_path / "run" / "checkpoints" / "latest.pt", weights_only=True)
    assert saved["step"] == finished.step and finished.step >= 12


def test_in_a_window_a_run_whose_folder_is_moved_away_pauses_until_it_is_back(tmp_path):
    cfg = tiny_toy_config(steps=1000, log_every=1, checkpoint_every=5)
    sup = supervisor_for(tmp_path, cfg, gui=True)
    events = sup.run()
    until(events, StatsBatch, lambda e: e.stats[-1].step >= 2)
    run, moved = tmp_path / "run", tmp_path / "moved"
    run.rename(moved)
    seen = until(events, Refused)
    assert f"the run folder {run} is gone" in seen[-1].message and "put the folder back" in seen[-1].message
    until(events, StateChanged, lambda e: e.state is RunState.PAUSED)
    assert not run.exists()  # no half folder made in its place
    moved.rename(run)
    sup.submit(Command("stop"))
    finished = until(events, Finished)[-1]
    assert finished.reason is FinishReason.STOPPED
    assert torch.load(run / "checkpoints" / "latest.pt", weights_only=True)["step"] == finished.step


def test_in_a_window_a_run_whose_last_save_fails_waits_and_finishes_once_it_can(tmp_path, monkeypatch):
    cfg = tiny_toy_config(steps=10, log_every=1, checkpoint_every=1000)
    sup = supervisor_for(tmp_path, cfg, gui=True)
    fail_saves(monkeypatch, 1)
    events = sup.run()
    seen = until(events, Refused, lambda e: e.stop)
    assert (
        seen[-1].step == 10 and seen[-1].message.startswith("Not finished: ") and "continue again" in seen[-1].message
    )
    until(events, StateChanged, lambda e: e.state is RunState.PAUSED)
    sup.submit(Command("resume"))  # room made
    finished = until(events, Finished)[-1]
    assert finished.reason is FinishReason.DONE and finished.step == 10
    assert torch.load(tmp_path / "run" / "checkpoints" / "latest.pt", weights_only=True)["step"] == 10


def test_a_rewind_snapshot_is_never_taken_of_weights_gone_nan(tmp_path):
    """A step's stats come before its update: an update that made the weights Inf still had finite stats,
    the snapshot took the Inf weights, and every remedy then rewound to them."""
    session = TrainingSession.start(tiny_toy_config(steps=40), RunDirectory.at(tmp_path / "run"))
    supervisor = Supervisor(lambda: session)
    poisoned = []

    def weights_blown_up_after_the_first_stats(event):
        if isinstance(event, StatsBatch) and not poisoned:
            with torch.no_grad():
                for weight in session.trainer.D.parameters():
                    weight.fill_(float("inf"))
            poisoned.append(event.stats[-1].step)

    supervisor.add_listener(weights_blown_up_after_the_first_stats)
    try:
        for event in supervisor.run():
            if isinstance(event, Alarm) and event.kind == "nan":
                supervisor.submit(Command("stop"))
    finally:
        session.close()
    assert poisoned
    assert supervisor.rewind_step is None  # no snapshot was good: the first stats came with Inf weights


def test_a_resume_that_changed_rates_is_said_as_a_change_to_the_front_end(tmp_path):
    """The change a resume logged was marked in every window that read the log, but not in the one that continued."""
    from ganstudio.core.events import Changed
    from tests.conftest import trained_run

    trained_run(tiny_toy_config(steps=3, checkpoint_every=3), tmp_path / "run")
    run = RunDirectory.open(tmp_path / "run")
    events = list(Supervisor(lambda: TrainingSession.resume(run, total_steps=5, overrides=["optim.lr_d=5e-4"])).run())
    assert [(e.step, e.changes) for e in events if isinstance(e, Changed)] == [(3, {"lr_d": 5e-4})]
