"""One builder from config for every generator/discriminator pair."""

from __future__ import annotations

from torch import nn

from ganstudio.core.config import RunConfig
from ganstudio.core.models.dcgan import DCGANDiscriminator, DCGANGenerator
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
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def build_models(config: RunConfig) -> tuple[nn.Module, nn.Module]:
    m, d = config.model, config.data
    shape = sample_shape(config)
    if m.arch == "dcgan":
        g: nn.Module = DCGANGenerator(m.latent_dim, d.channels, d.image_size, m.width)
        dis: nn.Module = DCGANDiscriminator(d.channels, d.image_size, m.width)
    else:
        g = MLPGenerator(m.latent_dim, shape, m.width, image_output=not d.is_toy)
        dis = MLPDiscriminator(shape, m.width)
    g.apply(init_weights)
    dis.apply(init_weights)
    return g, dis


__all__ = ["build_models", "init_weights", "sample_shape"]
