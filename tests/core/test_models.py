import pytest
import torch

from ganstudio.core.config import DataConfig, ModelConfig, RunConfig, preset
from ganstudio.core.models import build_models


@pytest.mark.parametrize("size", [28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan_shapes(size, channels):
    cfg = RunConfig(data=DataConfig(image_size=size, channels=channels), model=ModelConfig(latent_dim=16, width=8))
    g, d = build_models(cfg)
    x = g(torch.randn(4, 16))
    assert x.shape == (4, channels, size, size)
    assert x.min() >= -1 and x.max() <= 1
    assert d(x).shape == (4,)


@pytest.mark.parametrize("name, shape", [("ring-8", (2,)), ("gaussian-1d", (1,)), ("paper-mlp-fashion", (1, 28, 28))])
def test_mlp_shapes(name, shape):
    cfg = preset(name)
    g, d = build_models(cfg)
    x = g(torch.randn(5, cfg.model.latent_dim))
    assert x.shape == (5, *shape)
    assert d(x).shape == (5,)


def test_init_is_normal_002():
    g, _ = build_models(preset("fashion-dcgan"))
    w = g.body[0].weight
    assert abs(w.mean().item()) < 0.002 and 0.018 < w.std().item() < 0.022
