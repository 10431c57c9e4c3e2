"""GAN Studio: train and explore Generative Adversarial Networks, in a window or headless."""

__version__ = "0.1.0"
