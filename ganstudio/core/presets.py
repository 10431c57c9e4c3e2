"""The named presets as data: each is a summary and the `--set` assignments it makes on top of the
defaults, so a preset reads exactly like the command line that would build it (core.config.preset)."""

from __future__ import annotations

_TOY = (
    "model.arch=mlp",
    "model.latent_dim=8",
    "model.width=128",
    "optim.lr_g=1e-3",
    "optim.lr_d=1e-3",
    "train.batch_size=256",
    "train.sample_every=100",
)

# Salimans et al.'s semi-supervised recipe with their MNIST networks (README, Semi-supervised): K class
# logits in D, feature matching for G, Gaussian noise on D's input and hidden layers, weight norm, Adam at
# 3e-3 decayed over the last 30 %, batches of 100; CatGAN's class balance, with which half the steps
# score as well; and two G steps after each D step, which keep feature matching's G near what D has just
# learnt (README). The DCGAN D gained under 1 point from the unlabelled images; this one gains several
# points. A run takes minutes on a 2-core CPU.
_SEMI = (
    "model.arch=improved-mlp",
    "model.width=250",
    "model.d_activation=relu",
    "loss.feature_matching=true",
    "loss.class_balance=1",
    "train.instance_noise=0.6",
    "optim.lr_g=3e-3 optim.lr_d=3e-3",
    "optim.lr_decay=0.3",
    "train.batch_size=100",
    "train.g_steps=2",
    "train.steps=6000",
    "quality.every=500",
    "quality.samples=1000",
    "train.sample_every=250",
)

# Issue 20's search for what learns fastest per CPU-minute (README, The default preset): a narrower DCGAN
# takes more steps in the same minutes, learning rates 5x the classic ones learn more per step, and a
# short EMA smooths what they shake; hinge + spectral norm and augmentation lost at this budget. One
# ingredient per string (bench quality --ablation).
_FAST = (
    "model.width=32",
    "optim.lr_g=1e-3 optim.lr_d=1e-3",
    "train.ema_decay=0.99",
)

PRESET_TABLE: dict[str, tuple[str, tuple[str, ...]]] = {
    "fashion-fast": (
        "The window's default: the DCGAN that learns most in a few CPU minutes on the bundled Fashion-MNIST: "
        "width 32, Adam 1e-3 for G and D (beta1 0.5), an EMA generator (0.99), batch 64",
        _FAST,
    ),
    "fashion-dcgan": (
        "The classic reference: DCGAN 28 px on the bundled Fashion-MNIST, non-saturating loss, Adam 2e-4 (beta1 "
        "0.5), batch 64",
        (),
    ),
    "paper-mlp-fashion": (
        "The 2014 paper's MLP on flattened 28x28 Fashion-MNIST, SGD with momentum, k = 1",
        (
            "model.arch=mlp",
            "model.width=512",
            "optim.name=sgd",
            "optim.lr_g=0.02",
            "optim.lr_d=0.02",
            "optim.momentum=0.7",
            "train.batch_size=100",
        ),
    ),
    "ring-8": (
        "MLP on 8 Gaussians in a ring (mode-collapse test bed), Adam 1e-3, batch 256",
        (*_TOY, "data.dataset=ring-8", "train.steps=3000"),
    ),
    "grid-25": (
        "MLP on a 5x5 grid of Gaussians (harder mode-collapse test), Adam 1e-3, batch 256",
        (*_TOY, "data.dataset=grid-25"),
    ),
    # With k = 1 and equal rates D's kinks all gathered at one sharp edge of G's density (a fold of z's
    # line): linear across the data, D saw only the mean and sat at 1/2 (README, Distribution lab). A
    # Lipschitz D (spectral norm) cannot pile every kink onto one edge; the decay over the last half settles
    # G on the data instead of circling it; 32-wide layers gain nothing from a second thread.
    "gaussian-1d": (
        (
            "MLP on the 2014 paper's 1D Gaussian, the picture of G and D moving along one axis: k = 5, spectral norm "
            "in D, lr D 2e-3, lr G 5e-4 falling over the second half, 1,200 steps, one thread; ends with G on the data"
        ),
        (
            *_TOY,
            "data.dataset=gaussian-1d",
            "train.steps=1200",
            "model.latent_dim=1",
            "model.width=32",
            "model.spectral_norm=true",
            "train.k=5",
            "optim.lr_d=2e-3",
            "optim.lr_g=5e-4",
            "optim.lr_decay=0.5",
            "perf.threads=1",
        ),
    ),
    "ring-8-ema": (
        "ring-8 trained 4x longer with an EMA generator (0.999)",
        (*_TOY, "data.dataset=ring-8", "train.steps=12000", "train.ema_decay=0.999"),
    ),
    "toy-pieces": (
        (
            "The recommended toy preset: MLP whose latent picks one of 100 pieces, EMA 0.99, instance noise 0.1, "
            "R1 0.01, learning rates falling over the last half, 12,000 steps (ring-8 and grid-25)"
        ),
        (
            *_TOY,
            "data.dataset=grid-25",
            "train.steps=12000",
            "model.latent_components=100",
            "train.ema_decay=0.99",
            "train.instance_noise=0.1",
            "loss.r1_gamma=0.01",
            "optim.lr_decay=0.5",
        ),
    ),
    "fashion-minimax": (
        "fashion-dcgan with the 2014 paper's minimax generator loss log(1 - D(G(z))), which saturates",
        ("loss.kind=minimax",),
    ),
    "fashion-ttur": (
        "fashion-dcgan with the two time-scale update rule: lr D 4e-4, lr G 1e-4 (Heusel et al. 2017)",
        ("optim.lr_d=4e-4", "optim.lr_g=1e-4"),
    ),
    "fashion-wgan-gp": (
        "DCGAN 28 px, WGAN-GP (lambda 10, n_critic k = 5), Adam 1e-4, betas (0, 0.9) (Gulrajani et al.)",
        (
            "loss.kind=wgan-gp",
            "loss.gp_weight=10.0",
            "optim.lr_g=1e-4",
            "optim.lr_d=1e-4",
            "optim.beta1=0.0",
            "optim.beta2=0.9",
            "train.k=5",
        ),
    ),
    "fashion-hinge-sn": (
        "DCGAN 28 px, hinge loss with spectral normalisation in D and an EMA generator",
        ("loss.kind=hinge", "optim.beta1=0.0", "optim.beta2=0.9", "model.spectral_norm=true", "train.ema_decay=0.999"),
    ),
    # The projection paper's own setup (hinge loss, spectral norm in D, Adam betas 0 / 0.9, D's rate twice
    # G's) costs nothing more per step than the non-saturating one and names the class far more clearly
    # at the same step (README, Class-conditional GANs). Width 32, as in fashion-fast: more steps in the same
    # minutes, which at 3 minutes names the class far more often.
    "fashion-cdcgan": (
        "The recommended conditional preset: fashion-dcgan drawing one of the ten classes, a conditional-BatchNorm "
        "generator and a projection discriminator with spectral norm and the hinge loss (Miyato & Koyama 2018), "
        "Adam betas (0, 0.9), lr D 4e-4, width 32",
        (
            "model.conditional=projection",
            "model.width=32",
            "loss.kind=hinge",
            "model.spectral_norm=true",
            "optim.beta1=0.0",
            "optim.beta2=0.9",
            "optim.lr_d=4e-4",
        ),
    ),
    # Each class is one Gaussian of std 0.01: G need only be precise, and the falling learning rates and
    # the EMA are what make it so (toy-pieces' lesson); no remedy against collapse is needed.
    "ring-8-conditional": (
        "ring-8 with the mode index as the class: a conditional MLP puts each class on its mode; EMA 0.99, "
        "learning rates falling over the last half, 4,000 steps",
        (
            *_TOY,
            "data.dataset=ring-8",
            "train.steps=4000",
            "model.conditional=projection",
            "train.ema_decay=0.99",
            "optim.lr_decay=0.5",
        ),
    ),
    "fashion-semi-100": (
        "Semi-supervised: a classifier from 100 labels (10 per class) and the other 7,900 training images "
        "unlabelled (bundled Fashion-MNIST); the 2016 paper's MLPs, K-class D, feature matching, noise in D, "
        "class balance, two G steps a step",
        (*_SEMI, "train.labelled_per_class=10"),
    ),
    "fashion-semi-1000": (
        "fashion-semi-100 with 1,000 labels (100 per class)",
        (*_SEMI, "train.labelled_per_class=100"),
    ),
}
