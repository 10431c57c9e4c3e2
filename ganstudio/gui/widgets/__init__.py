"""One file per view of the main window."""
