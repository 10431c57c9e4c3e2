"""Reasons said as sentences after another: capitalised when they begin with a word, left alone when they
begin with a name (review Z: "optim.lr_g ..." became "Optim.lr_g")."""

import pytest

from ganstudio.core.wording import sentence


@pytest.mark.parametrize(
    "reason, said",
    [
        ("stopped by SIGHUP", "Stopped by SIGHUP"),
        ("stopped: the launcher (pid 5) ended", "Stopped: the launcher (pid 5) ended"),
        ("could not save the checkpoint RUN/latest.pt", "Could not save the checkpoint RUN/latest.pt"),
        ("optim.lr_g: must be a finite number", "optim.lr_g: must be a finite number"),
        ("cuda:1 is not a device here", "cuda:1 is not a device here"),
        ("/runs/a/config.json: config: not valid JSON", "/runs/a/config.json: config: not valid JSON"),
        ("", ""),
    ],
)
def test_a_reason_begins_a_sentence_unless_it_begins_with_a_name(reason, said):
    assert sentence(reason) == said
