#!/usr/bin/env bash
# Adds GAN Studio to the desktop's application menu (Linux, freedesktop.org), for the current user.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
icon="$(python3 -c 'from importlib import resources; print(resources.files("ganstudio.resources").joinpath("icons/ganstudio.svg"))' 2>/dev/null \
        || echo "$here/../resources/icons/ganstudio.svg")"
mkdir -p "$HOME/.local/share/applications" "$HOME/.local/share/icons/hicolor/scalable/apps"
cp "$icon" "$HOME/.local/share/icons/hicolor/scalable/apps/ganstudio.svg"
cp "$here/ganstudio.desktop" "$HOME/.local/share/applications/ganstudio.desktop"
echo "installed: GAN Studio is in the application menu (the ganstudio command must be on PATH)"
