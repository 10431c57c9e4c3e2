"""The signals that stop a run the polite way, for `train` and for the window alike."""

from __future__ import annotations

import signal


def stop_signals() -> list[signal.Signals]:
    """Ctrl-C, a polite kill (a scheduler, a logout) and a hangup (its terminal closed), where the platform has them,
    less those the process was started ignoring: a run under nohup goes on when its terminal closes."""
    named = (getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
    return [sig for sig in named if signal.getsignal(sig) is not signal.SIG_IGN]
