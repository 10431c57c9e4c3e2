"""The MLP generator's latent pieces: z's first number picks one of C equally likely components."""

import numpy as np
import torch

from ganstudio.core.checkpoint import save_checkpoint
from ganstudio.core.config import validate
from ganstudio.core.models.mlp import MLPGenerator
from ganstudio.core.sampling import load_generator
from ganstudio.core.trainer import Trainer
from tests.conftest import tiny_image_config, tiny_toy_config


def test_components_are_equally_likely_and_read_only_the_first_latent_number():
    g = MLPGenerator(latent_dim=4, out_shape=(2,), width=8, image_output=False, components=10)
    z = torch.randn(100_000, 4, generator=torch.Generator().manual_seed(0))
    counts = np.bincount(g.component(z).numpy(), minlength=10)
    assert counts.min() > 9_500 and counts.max() < 10_500
    moved = z.clone()
    moved[:, 1:] = torch.randn(100_000, 3, generator=torch.Generator().manual_seed(1))
    assert torch.equal(g.component(z), g.component(moved))
    assert torch.equal(
        g.component(torch.tensor([[-9.0, 0, 0, 0], [0.01, 0, 0, 0], [9.0, 0, 0, 0]])), torch.tensor([0, 5, 9])
    )


def test_the_generator_jumps_where_the_component_changes_and_nowhere_else():
    """A continuous G cannot leave the gap between two modes empty; across a cut this one can."""
    torch.manual_seed(0)
    g = MLPGenerator(latent_dim=2, out_shape=(2,), width=16, image_output=False, components=2)
    with torch.no_grad():
        g.embed.weight.copy_(torch.stack([torch.full((16,), -3.0), torch.full((16,), 3.0)]))
    eps = 1e-4
    below, above = torch.tensor([[-eps, 0.3]]), torch.tensor([[eps, 0.3]])
    inside_a, inside_b = torch.tensor([[-0.5, 0.3]]), torch.tensor([[-0.5 - 2 * eps, 0.3]])
    with torch.no_grad():
        jump = (g(below) - g(above)).norm().item()
        drift = (g(inside_a) - g(inside_b)).norm().item()
    assert jump > 1000 * drift


def test_without_components_the_weights_keep_the_layout_older_checkpoints_have():
    g = MLPGenerator(latent_dim=3, out_shape=(2,), width=8, image_output=False)
    assert sorted(g.state_dict()) == [
        "net.0.bias",
        "net.0.weight",
        "net.2.bias",
        "net.2.weight",
        "net.4.bias",
        "net.4.weight",
    ]


def test_a_run_with_components_trains_and_its_checkpoint_samples_the_same_points(tmp_path):
    cfg = tiny_toy_config(steps=5)
    cfg.model.latent_components = 6
    assert validate(cfg) == []
    t = Trainer(cfg)
    for _ in range(5):
        t.step()
    assert all(s.is_finite() for s in t.drain_stats())
    save_checkpoint(t.state_dict(), tmp_path / "c.pt")
    snapshot = load_generator(tmp_path / "c.pt")
    z = torch.randn(64, cfg.model.latent_dim, generator=torch.Generator().manual_seed(3))
    assert torch.allclose(snapshot.generate(z), t.sample(z), atol=1e-6)


def test_components_are_refused_for_dcgan_and_out_of_range():
    image = tiny_image_config()
    image.model.latent_components = 4
    assert [name for name, _ in validate(image)] == ["model.latent_components"]
    toy = tiny_toy_config()
    toy.model.latent_components = -1
    assert [name for name, _ in validate(toy)] == ["model.latent_components"]
