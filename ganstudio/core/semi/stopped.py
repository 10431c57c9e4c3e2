"""The one way a classifier job given up from the window ends: measuring a baseline or classifying a folder
asks should_stop() between its steps and raises Stopped, having written nothing."""


class Stopped(Exception):
    """should_stop() said stop: the work was given up before it finished, and nothing was written."""
