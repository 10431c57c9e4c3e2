"""The explorer's state without a window: which latent it draws and what another model forgets."""

import numpy as np

from ganstudio.core.explorer_state import Endpoint, ExplorerState
from ganstudio.core.latent import Directions, seeded_z, slerp
from ganstudio.core.sampling import snapshot_from_state
from ganstudio.core.trainer import Trainer
from tests.conftest import tiny_image_config, tiny_toy_config


def snapshot(config):
    return snapshot_from_state(Trainer(config).state_dict())


def test_edit_interpolation_and_reset():
    state = ExplorerState()
    assert state.latent() is None
    state.set_snapshot(snapshot(tiny_toy_config()))
    dim = state.snapshot.latent_dim
    state.directions = Directions(np.eye(dim)[:2], np.array([2.0, 1.0]))
    state.seed, state.direction_values[1], state.truncation = 7, 1.5, 0.5
    expected = seeded_z(7, dim)
    expected[1] += 1.5
    assert np.allclose(state.latent(), expected * 0.5)
    assert state.edit().direction_values == [0.0, 1.5]  # one value per direction found
    a = state.set_endpoint(Endpoint.A)
    state.seed = 8
    b = state.set_endpoint("b")
    state.interp_t = 0.25
    assert np.array_equal(state.latent(), slerp(a, b, 0.25))
    state.raw_values[3] = 2.0
    state.reset_edits()
    assert state.interp_t is None and state.raw_values == {3: 0.0} and state.truncation == 1.0
    assert np.allclose(state.latent(), np.where(np.arange(dim) == 3, 0.0, seeded_z(8, dim)))


def test_a_newer_copy_keeps_the_edit_and_another_model_forgets_it():
    toy = tiny_toy_config()
    state = ExplorerState()
    assert state.set_snapshot(snapshot(toy))
    state.directions = Directions(np.eye(8)[:1], np.array([1.0]))
    state.directions_step = 0
    state.direction_values[0] = 2.0
    state.set_endpoint(Endpoint.A)
    assert not state.set_snapshot(snapshot(toy))  # the same model, e.g. a later step
    assert state.point_a is not None and state.direction_values[0] == 2.0 and state.directions is not None
    assert state.set_snapshot(snapshot(tiny_image_config()))
    assert state.point_a is None and state.directions is None and state.direction_values[0] == 0.0
