"""One builder from config for every generator/discriminator pair."""

from __future__ import annotations

from torch import nn

from ganstudio.core.config import RunConfig
from ganstudio.core.models.dcgan import DCGANDiscriminator, DCGANGenerator
from ganstudio.core.models.improved_mlp import ImprovedMLPDiscriminator, ImprovedMLPGenerator
from ganstudio.core.models.mlp import MLPDiscriminator, MLPGenerator


def sample_shape(config: RunConfig) -> tuple[int, ...]:
    d = config.data
    return (d.toy_dim,) if d.is_toy else (d.channels, d.image_size, d.image_size)


def init_weights(module: nn.Module) -> None:
    """N(0, 0.02) for conv and linear weights, as in DCGAN; BatchNorm scales around 1."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)) and module.affine:
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, 0.0, 0.02)


def build_models(
    config: RunConfig, init: bool = True, num_classes: int = 0, class_logits: int = 0
) -> tuple[nn.Module, nn.Module]:
    """init=False skips weight initialisation and spectral norm (same shapes), for counting on the meta
    device: random init there goes through torch's reference ops, whose import costs seconds.

    num_classes comes from the data (or a checkpoint's class names); a conditional config with
    num_classes = 0 builds the unconditional shapes, which is what the memory estimate counts.
    class_logits: a semi-supervised D's K outputs, one per class of the data (0: one realness logit).
    """
    m, d = config.model, config.data
    shape = sample_shape(config)
    classes = num_classes if m.conditional != "off" else 0
    if m.arch == "dcgan":
        g: nn.Module = DCGANGenerator(
            m.latent_dim, d.channels, d.image_size, m.width, classes, "concat" if m.conditional == "concat" else "cbn"
        )
        # Gradient penalties need per-sample gradients, which BatchNorm in D would mix across the batch.
        dis: nn.Module = DCGANDiscriminator(
            d.channels,
            d.image_size,
            m.width,
            m.d_activation,
            m.minibatch_std,
            m.pack,
            batch_norm=not needs_per_sample_d(config),
            num_classes=classes,
            conditional=m.conditional,
            outputs=class_logits or 1,
            dropout=m.d_dropout,
        )
    elif m.arch == "improved-mlp":
        g = ImprovedMLPGenerator(m.latent_dim, shape, m.width, image_output=not d.is_toy)
        dis = ImprovedMLPDiscriminator(shape, m.width, m.d_activation, outputs=class_logits or 1)
    else:
        g = MLPGenerator(
            m.latent_dim, shape, m.width, image_output=not d.is_toy, components=m.latent_components, num_classes=classes
        )
        dis = MLPDiscriminator(shape, m.width, m.d_activation, m.minibatch_std, m.pack, classes, m.conditional)
    if not init:
        return g, dis
    g.apply(init_weights)
    if isinstance(dis, ImprovedMLPDiscriminator):
        dis.normalise_weights()
    else:
        dis.apply(init_weights)
    if m.spectral_norm:
        apply_spectral_norm(dis)
    return g, dis


def needs_per_sample_d(config: RunConfig) -> bool:
    """No BatchNorm in D. A semi-supervised D judges its labelled, unlabelled and generated images in one
    batch, and classifies held-out images in others: with batch statistics each image's logits would
    depend on what it was judged beside."""
    return (
        config.loss.kind == "wgan-gp"
        or config.loss.r1_gamma > 0
        or config.model.spectral_norm
        or config.train.labelled_per_class > 0
    )


def apply_spectral_norm(module: nn.Module) -> None:
    """Spectral normalisation (Miyato et al. 2018) on every conv, linear and class-embedding layer of D."""
    from torch.nn.utils.parametrizations import spectral_norm

    for name, child in list(module.named_children()):
        if isinstance(child, (nn.Conv2d, nn.Linear, nn.Embedding)):
            setattr(module, name, spectral_norm(child))
        else:
            apply_spectral_norm(child)


__all__ = ["build_models", "init_weights", "sample_shape"]
