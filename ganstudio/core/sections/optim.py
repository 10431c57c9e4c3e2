"""The optimizer section: Adam, SGD or RMSprop and the learning rates of G and D."""

from __future__ import annotations

from dataclasses import dataclass

from ganstudio.core.field_spec import ADVANCED, setting


@dataclass
class OptimConfig:
    name: str = setting(
        "adam",
        "Optimizer",
        "The optimizer used for both networks, each with its own learning rate. RMSprop is the "
        "Wasserstein GAN paper's for weight clipping (it found momentum made the clipped critic unstable)",
        choices={"adam": "Adam", "sgd": "SGD with momentum", "rmsprop": "RMSprop"},
    )
    lr_g: float = setting(
        2e-4,
        "lr G",
        "Generator learning rate, e.g. 2e-4 with Adam, 0.02 with SGD",
        more_than=0,
        what="learning rate",
        live=True,
    )
    lr_d: float = setting(
        2e-4,
        "lr D",
        "Discriminator learning rate, e.g. 2e-4 with Adam, 0.02 with SGD (TTUR: often 4x G's)",
        more_than=0,
        what="learning rate",
        live=True,
    )
    beta1: float = setting(0.5, "Adam beta1", "Adam's beta1 (0.5 in DCGAN)", at_least=0, below=1, fold=ADVANCED)
    beta2: float = setting(0.999, "Adam beta2", "Adam's beta2", at_least=0, below=1, fold=ADVANCED)
    momentum: float = setting(
        0.5, "SGD momentum", "SGD momentum (the 2014 paper used 0.5 rising to 0.7)", at_least=0, below=1, fold=ADVANCED
    )
    lr_decay: float = setting(
        0.0,
        "LR decay",
        "Over this last fraction of the run both learning rates fall linearly "
        "towards 0 (0.5 = the second half); 0 = constant",
        at_least=0,
        at_most=1,
        zero="constant",
        fold=ADVANCED,
    )
