"""The training section: steps, batch, k, seeds, intervals and the remedies applied during a step."""

from __future__ import annotations

from dataclasses import dataclass

from ganstudio.core.field_spec import ADVANCED, AUGMENTATION, STABILISATION, setting
from ganstudio.core.sections import MAX_STEPS


@dataclass
class TrainConfig:
    k: int = setting(
        1,
        "k (D steps)",
        "Discriminator steps per generator step (k in Algorithm 1)",
        at_least=1,
        at_most=100,
        what="discriminator steps per generator step",
        live=True,
    )
    g_steps: int = setting(
        1,
        "G steps",
        "Generator steps per step, after the k discriminator steps (1 in Algorithm 1); the semi-supervised "
        "presets take 2, which keeps feature matching's G closer to what D has learnt",
        at_least=1,
        at_most=10,
        what="generator steps per step",
        fold=ADVANCED,
    )
    batch_size: int = setting(64, "Batch size", "Minibatch size m", at_least=1, at_most=65536)
    steps: int = setting(
        5000,
        "Steps",
        "Total steps of the run (each k D steps, then G steps)",
        at_least=1,
        at_most=MAX_STEPS,
        step=100,
    )
    seed: int = setting(0, "Seed", "Random seed: the same seed gives the same run (CPU)", at_least=0)
    device: str = setting(
        "auto",
        "Device",
        "Where training runs: auto picks CUDA, then Apple MPS, then the CPU; or cpu, mps, cuda, cuda:N",
    )
    log_every: int = setting(
        10, "Log every", "Steps between device syncs for statistics", at_least=1, at_most=MAX_STEPS, fold=ADVANCED
    )
    sample_every: int = setting(
        250,
        "Save grid every",
        "Steps between sample grids saved to samples/",
        at_least=1,
        at_most=MAX_STEPS,
        fold=ADVANCED,
    )
    checkpoint_every: int = setting(
        1000, "Checkpoint every", "Steps between kept checkpoints", at_least=1, at_most=MAX_STEPS, fold=ADVANCED
    )
    metrics_every: int = setting(
        250,
        "Mode metrics every",
        "Steps between mode-collapse measurements (ring-8 and grid-25)",
        at_least=1,
        at_most=MAX_STEPS,
        fold=ADVANCED,
    )
    instance_noise: float = setting(
        0.0,
        "Instance noise",
        "Std of Gaussian noise added to D's inputs (instance "
        "noise, Sønderby et al. 2017; Arjovsky & Bottou 2017); 0 = off",
        at_least=0,
        zero="off",
        fold=STABILISATION,
        live=True,
    )
    ema_decay: float = setting(
        0.0,
        "EMA decay",
        "Exponential moving average of G's weights, used for samples and "
        "the explorer (0 = off; 0.999 is typical). Karras et al. 2018, Yazici et al. 2019",
        at_least=0,
        below=1,
        zero="off",
        fold=ADVANCED,
        live=True,
    )
    noise_anneal_steps: int = setting(
        0,
        "Noise anneal steps",
        "Steps over which instance noise falls linearly to zero; 0 keeps it constant",
        at_least=0,
        at_most=MAX_STEPS,
        zero="constant",
        fold=STABILISATION,
    )
    unrolled_steps: int = setting(
        0,
        "Unrolled D steps",
        "Unrolled GAN: G's loss through K unrolled D steps (Metz et al. 2017), D's own weights untouched; 0 = off",
        at_least=0,
        at_most=50,
        zero="off",
        fold=STABILISATION,
    )
    augment_translation: bool = setting(
        False,
        "Translation",
        "DiffAugment (Zhao et al. 2020): every image D sees, real and generated, shifted by up to 1/8 of its side",
        fold=AUGMENTATION,
    )
    augment_cutout: bool = setting(
        False,
        "Cutout",
        "DiffAugment: a square hole of half the side at a random place in every image D sees",
        fold=AUGMENTATION,
    )
    augment_brightness: bool = setting(
        False, "Brightness", "DiffAugment: every image D sees brightened or darkened by up to 0.5", fold=AUGMENTATION
    )
    augment_contrast: bool = setting(
        False, "Contrast", "DiffAugment: every image D sees with its contrast scaled by 0.5 to 1.5", fold=AUGMENTATION
    )
    augment_saturation: bool = setting(
        False,
        "Saturation",
        "DiffAugment: colour saturation scaled by 0 to 2. RGB only: on grayscale it changes nothing and is refused",
        fold=AUGMENTATION,
    )
    augment_adaptive: bool = setting(
        False,
        "Adaptive strength",
        "Adaptive augmentation in the spirit of ADA "
        "(Karras et al. 2020): each image is augmented with probability p, raised while "
        "D is sure of the real images (E[sign D(x)] above the target) and lowered "
        "otherwise; p is plotted with D's outputs",
        fold=AUGMENTATION,
    )
    augment_target: float = setting(
        0.6,
        "Target r_t",
        "The adaptive strength's target for E[sign D(real)]: 0 = D unsure, 1 = sure of every real image (0.6 in ADA)",
        more_than=0,
        below=1,
        fold=AUGMENTATION,
    )
    augment_cap: float = setting(
        0.8,
        "Cap on p",
        "The highest augmentation probability the adaptive strength may "
        "reach, so p cannot run away and let augmentations leak into G's images",
        more_than=0,
        at_most=1,
        fold=AUGMENTATION,
    )

    labelled_per_class: int = setting(
        0,
        "Labels per class",
        "Semi-supervised learning (Salimans et al. 2016): keep the labels of only this many training images "
        "per class (chosen by the seed) and use every other image without its label; D becomes a classifier "
        "scored on held-out images it never trains on. 0 = off (an ordinary GAN)",
        at_least=0,
        at_most=60000,
        zero="off",
        fold=ADVANCED,
    )

    @property
    def augment_policies(self) -> tuple[str, ...]:
        """The DiffAugment transforms switched on, in the order they are applied."""
        names = ("translation", "cutout", "brightness", "contrast", "saturation")
        return tuple(name for name in names if getattr(self, f"augment_{name}"))
