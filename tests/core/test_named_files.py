"""Files the user names on the command line (--out, --json): a name for an open descriptor keeps what was
printed to it, a device stays a device."""

import os
from pathlib import Path

from ganstudio.core.atomic import write_named_file


def test_a_descriptor_name_appends_after_what_the_process_printed(tmp_path):
    """`ganstudio eval ... --json /dev/stdout >> log.txt`: /dev/stdout leads to log.txt itself, which a rename
    or a truncating open would empty."""
    log = tmp_path / "log.txt"
    log.write_text("printed before\n")
    descriptor = os.open(log, os.O_WRONLY | os.O_APPEND)
    try:
        write_named_file(f"/dev/fd/{descriptor}", lambda staged: Path(staged).write_text("{}\n"))
    finally:
        os.close(descriptor)
    assert log.read_text() == "printed before\n{}\n"
