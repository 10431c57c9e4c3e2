"""The Qt desktop app. Imports ganstudio.core; core never imports this package."""
