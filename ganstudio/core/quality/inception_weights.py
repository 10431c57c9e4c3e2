"""Where torchvision's Inception v3 weights would be, found without importing torch.

The setup form asks this while the window paints, before torch is loaded, to enable or disable
its Inception FID option with the reason. The cache folder follows torch.hub.get_dir()'s rules
(TORCH_HOME, else XDG_CACHE_HOME/torch, else ~/.cache/torch).
"""

from __future__ import annotations

import os
from pathlib import Path

WEIGHTS_GLOB = "inception_v3_google-*.pth"


def hub_checkpoints_dir() -> Path:
    torch_home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.join("~", ".cache")), "torch"
    )
    return Path(torch_home).expanduser() / "hub" / "checkpoints"


def find_inception_weights(path: str | None = None) -> tuple[Path | None, str]:
    """(weights file, "") when usable, else (None, why not) — the reason the GUI shows."""
    if path:
        file = Path(path).expanduser()
        return (file, "") if file.is_file() else (None, f"no Inception weights file at {file}")
    found = sorted(hub_checkpoints_dir().glob(WEIGHTS_GLOB))
    if found:
        return found[0], ""
    return None, (
        f"Inception v3 weights are not on disk (looked for {WEIGHTS_GLOB} in {hub_checkpoints_dir()}); "
        "choose the file, or run: ganstudio eval CHECKPOINT --download-inception"
    )
