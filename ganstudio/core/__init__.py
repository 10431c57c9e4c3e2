"""The Qt-free training engine. Nothing under here may import PySide6, pyqtgraph or ganstudio.gui."""
