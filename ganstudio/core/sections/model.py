"""The model section: architecture, sizes, D's stabilising layers and class conditioning."""

from __future__ import annotations

from dataclasses import dataclass

from ganstudio.core.field_spec import STABILISATION, setting


@dataclass
class ModelConfig:
    arch: str = setting(
        "dcgan",
        "Model",
        "DCGAN for images; the MLP for toy data or flattened images as in the 2014 paper; the 2016 MLP "
        "(Salimans et al.): five weight-normalised layers with Gaussian noise in D, BatchNorm in G, the "
        "semi-supervised presets' networks",
        choices={"dcgan": "DCGAN (convolutional)", "mlp": "MLP (2014 paper)", "improved-mlp": "MLP (2016 paper)"},
    )
    latent_dim: int = setting(
        100, "Latent size", "Size of the noise vector z the generator starts from", at_least=1, at_most=1024
    )
    width: int = setting(64, "Width", "Base channel count (DCGAN) or hidden units (MLP)", at_least=4, at_most=2048)
    spectral_norm: bool = setting(
        False, "Spectral norm", "Spectral normalisation on D's layers (Miyato et al. 2018)", fold=STABILISATION
    )
    pack: int = setting(
        1,
        "PacGAN pack",
        "PacGAN: D judges m samples at once (Lin et al. 2018); 1 = off",
        at_least=1,
        at_most=16,
        fold=STABILISATION,
    )
    latent_components: int = setting(
        0,
        "Latent pieces",
        "MLP generator only: the first latent number also picks "
        "one of N pieces, so G can leave the gaps between separate modes empty "
        "(Khayatkhoei et al. 2018); 0 = off",
        at_least=0,
        at_most=1024,
        zero="off",
        fold=STABILISATION,
    )
    minibatch_std: bool = setting(
        False,
        "Minibatch std",
        "Minibatch standard-deviation layer in D (Karras et al. 2018): D sees how varied the batch is",
        fold=STABILISATION,
    )
    d_activation: str = setting(
        "leaky_relu",
        "D activation",
        "D's hidden activation: LeakyReLU keeps gradients flowing for negative inputs (Radford et al. 2016)",
        fold=STABILISATION,
        choices={"leaky_relu": "LeakyReLU (0.2)", "relu": "ReLU"},
    )
    d_dropout: float = setting(
        0.0,
        "D dropout",
        "Dropout after each of D's hidden layers, the rate of units dropped while training (Salimans et al. "
        "2016 use 0.5 in a semi-supervised D); DCGAN only; 0 = off",
        at_least=0,
        below=1,
        zero="off",
        fold=STABILISATION,
    )
    conditional: str = setting(
        "off",
        "Conditional",
        "Generate p(x | class); the class count and names come from the "
        "data. Projection (recommended): G's BatchNorms take a per-class scale and shift, D "
        "adds <embed(class), features> to its score (Miyato & Koyama 2018). Concatenation: "
        "the class joins G's noise and D's input as a one-hot vector (Mirza & Osindero "
        "2014). AC-GAN: D also classifies every image (Odena et al. 2017); known to lose "
        "diversity within a class",
        choices={"off": "Off", "projection": "Projection", "concat": "Concatenation", "acgan": "AC-GAN"},
    )

    @property
    def is_conditional(self) -> bool:
        return self.conditional != "off"
