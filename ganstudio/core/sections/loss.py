"""The loss section: the loss family and its penalties."""

from __future__ import annotations

from dataclasses import dataclass

from ganstudio.core.field_spec import STABILISATION, setting

LOSS_LABELS = {
    "non-saturating": "Non-saturating (-log D(G(z)))",
    "minimax": "Minimax (log(1 - D(G(z))), 2014)",
    "least-squares": "Least squares (LSGAN)",
    "hinge": "Hinge",
    "wgan": "Wasserstein, weight clipping (WGAN)",
    "wgan-gp": "Wasserstein, gradient penalty (WGAN-GP)",
}
LOSSES = tuple(LOSS_LABELS)
CRITIC_LOSSES = ("wgan", "wgan-gp", "hinge")  # D outputs an unbounded score, not a probability: no target to smooth


@dataclass
class LossConfig:
    kind: str = setting(
        "non-saturating",
        "Loss",
        "Minimax is the 2014 game; non-saturating gives G strong gradients "
        "early (the paper's practical advice); least squares is LSGAN (Mao et al. 2017); hinge (Lim & "
        "Ye 2017; Miyato et al. 2018); WGAN with weight clipping (Arjovsky et al. 2017) and with "
        "gradient penalty (Gulrajani et al. 2017): use k = 5 (n_critic)",
        choices=LOSS_LABELS,
    )
    r1_gamma: float = setting(
        0.0,
        "R1 gamma",
        "R1 penalty weight gamma on real data (Mescheder et al. 2018); 0 = off",
        at_least=0,
        zero="off",
        fold=STABILISATION,
    )
    gp_weight: float = setting(
        10.0,
        "GP weight",
        "WGAN-GP's gradient-penalty weight lambda (Gulrajani et al. 2017)",
        more_than=0,
        fold=STABILISATION,
    )
    clip_value: float = setting(
        0.01, "WGAN clip", "WGAN's weight clipping range c (Arjovsky et al. 2017)", more_than=0, fold=STABILISATION
    )
    label_smoothing: float = setting(
        0.0,
        "Label smoothing",
        "One-sided label smoothing: D's real target is 1 - s (Salimans et al. 2016); 0 = off",
        at_least=0,
        below=0.5,
        zero="off",
        fold=STABILISATION,
    )
    feature_matching: bool = setting(
        False,
        "Feature matching",
        "G's loss is the distance between the mean features D's last hidden layer finds in real and in "
        "generated images, instead of fooling D's output (Salimans et al. 2016); the semi-supervised "
        "presets use it. DCGAN or the 2016 MLP, unconditional models",
        fold=STABILISATION,
    )
    class_balance: float = setting(
        0.0,
        "Class balance",
        "Semi-supervised runs: weight of a term in D's loss that spreads its class guesses for each unlabelled "
        "batch evenly over the classes (CatGAN's class-marginal entropy, Springenberg 2016), for data whose "
        "classes are equally common; the semi-supervised presets use 1. 0 = off",
        at_least=0,
        zero="off",
        fold=STABILISATION,
    )
