"""One headless chunk of `ganstudio bench gui`, in a process of its own, run as `ganstudio train` runs it:
a TrainingSession driven by the run supervisor, whose events the CLI consumes.

In the window's process it would not be a fair reference: with libgomp, each thread that runs torch
with more than one thread keeps an OpenMP team, and once a process holds more team threads than
cores every team sleeps between operations, so a headless side on the bench's main thread and the
window's training thread slowed each other (both sides by about the same share, which the ratio hid).
Prints one JSON line: the steps per second over the timed part, after a warm-up.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

WARMUP_STEPS = 20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ganstudio.bench.headless_chunk")
    parser.add_argument("--config", required=True, help="a run config as JSON (the window's own)")
    parser.add_argument("--seconds", type=float, required=True)
    args = parser.parse_args(argv)

    from ganstudio.core.config import load_config
    from ganstudio.core.fast_path import choose_threads
    from ganstudio.core.runlog import RunDirectory
    from ganstudio.core.session import TrainingSession
    from ganstudio.core.supervisor import Supervisor

    config = load_config(args.config)
    with tempfile.TemporaryDirectory(prefix="ganstudio-bench-headless-") as folder:
        session = TrainingSession.start(config, RunDirectory.create(folder, "headless"))
        events = Supervisor(lambda: session).run()  # as `train`
        for _event in events:
            if session.step >= WARMUP_STEPS:
                break
        started, first = time.perf_counter(), session.step
        for _event in events:
            if time.perf_counter() - started >= args.seconds:
                break
        rate = (session.step - first) / (time.perf_counter() - started)
        events.close()  # the supervisor closes the session
    threads = choose_threads(config.perf.threads, gui=False)  # what the supervisor applied at its start
    print(json.dumps({"steps_per_s": rate, "threads": threads}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
