"""What every command ends with: its exit statuses, and the errors said as one line with no traceback."""

from __future__ import annotations

# `sample --manifest`: the set was written, and some of its images are not the saved ones; not 1, which an
# internal error (a traceback) ends with
EXIT_DIFFERS = 3
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE, the status of a tool the closed pipe would have ended
EXIT_ALARM = 2  # a headless run stopped by a health alarm (see --on-alarm)


class CliError(Exception):
    """One clear line for the user; no traceback."""


def user_errors() -> tuple[type[BaseException], ...]:
    """Every error that is the user's to mend (said in one line, status 2), not a bug. The engine's load
    only when a command fails, so that parsing the command line imports no torch."""
    from ganstudio.bench.child_process import BenchError
    from ganstudio.core.user_errors import user_errors as engine_errors

    return (CliError, BenchError, *engine_errors())
