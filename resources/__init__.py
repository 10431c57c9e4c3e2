"""Bundled data files (Fashion-MNIST split and its license), read through importlib.resources."""
