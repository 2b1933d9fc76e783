"""ReLU-state counting and roughness along paths (ibbook.breakpoints)."""
import numpy as np
import pytest
import torch
from torch import nn

from ibbook import breakpoints as bp
from ibbook import models


class TwoUnits(nn.Module):
    """f(x) = [relu(x1) + relu(x2 - 0.5), 0] with one ReLU as a module, one functional."""

    def __init__(self):
        super().__init__()
        self.act = nn.ReLU()

    def forward(self, x):
        f = self.act(x[:, :1]) + torch.relu(x[:, 1:2] - 0.5)
        return torch.cat([f, torch.zeros_like(f)], dim=1)


def test_every_relu_unit_of_resnet18_is_counted():
    # stem w*32*32, then 4 ReLUs per stage at widths w, 2w, 4w, 8w and sides 32, 16, 8, 4
    for w in (1, 3):
        m = models.build_model("resnet18", width=w).eval()
        assert bp.count_relu_units(m, (3, 32, 32)) == w * (1024 + 4 * 1024 + 8 * 256 + 16 * 64 + 32 * 16)


def test_module_and_functional_relus_are_both_recorded():
    s = bp.relu_states(TwoUnits(), torch.tensor([[1.0, 0.0], [-1.0, 1.0]]))
    assert s.tolist() == [[True, False], [False, True]]


def test_a_model_without_relu_is_refused():
    with pytest.raises(ValueError, match="calls no ReLU"):
        bp.relu_states(nn.Linear(3, 2), torch.zeros(1, 3))


def test_relu_changes_count_the_units_whose_breakpoint_lies_on_the_segment():
    bias = torch.tensor([0.25, 0.5, 0.75, 2.0])  # the last one is never reached

    class Hinges(nn.Module):
        def forward(self, x):
            return torch.relu(x - bias).sum(1, keepdim=True).repeat(1, 2)

    x = torch.zeros(1, 1)
    assert bp.relu_changes(Hinges(), x, torch.ones(1, 1), n_points=101)[0] == pytest.approx(0.75)
    assert bp.relu_changes(Hinges(), x, 0.2 * torch.ones(1, 1), n_points=101)[0] == 0.0


def test_roughness_is_the_mean_turn_of_the_gradient_after_the_breakpoint():
    x = torch.tensor([[1.0, 0.0]])
    d = torch.tensor([[0.0, 1.0]])  # crosses x2 = 0.5: the gradient turns from (1,0) to (1,1)
    r = bp.roughness(TwoUnits(), x, d, torch.tensor([0]), n_points=11)
    assert r[0] == pytest.approx(0.5 * (1 - 1 / np.sqrt(2)), abs=1e-6)
    assert bp.relu_changes(TwoUnits(), x, d, n_points=11)[0] == 0.5


def test_roughness_vanishes_where_no_unit_changes_state():
    torch.manual_seed(0)
    m = models.build_model("resnet18", width=2).eval()
    x = torch.rand(6, 3, 32, 32)
    tiny = 1e-6 * torch.randn_like(x)
    assert np.all(bp.relu_changes(m, x, tiny, n_points=4) == 0)
    assert np.all(bp.roughness(m, x, tiny, torch.randint(0, 10, (6, 2)), n_points=4) < 1e-5)
    lin = models.build_model("fc", width=8, act="linear").eval()
    assert np.all(bp.roughness(lin, x, torch.randn_like(x), torch.zeros(6, dtype=torch.long),
                               n_points=5) < 1e-5)
    big = bp.roughness(m, x, torch.randn_like(x), torch.zeros(6, dtype=torch.long), n_points=5)
    assert np.all(big > 1e-3)


def test_paths_and_random_directions():
    x, d = torch.rand(3, 2, 4, 4), torch.rand(3, 2, 4, 4)
    p = bp.path_points(x, d, 5)
    assert p.shape == (3, 5, 2, 4, 4)
    assert torch.allclose(p[:, 0], x) and torch.allclose(p[:, -1], x + d)
    r = bp.random_directions(d, torch.Generator().manual_seed(0))
    assert torch.allclose(r.flatten(1).norm(dim=1), d.flatten(1).norm(dim=1))
    with pytest.raises(ValueError, match="n_points=1"):
        bp.path_points(x, d, 1)
    with pytest.raises(ValueError, match="same shape"):
        bp.path_points(x, d[:1], 3)


def test_paired_shift_detects_a_shift_and_not_noise():
    rng = np.random.default_rng(0)
    base = rng.random(60)
    shifted = bp.paired_shift(base + 0.1, base + 0.01 * rng.standard_normal(60))
    assert shifted["p_wilcoxon"] < 1e-6 and shifted["share_adv_larger"] > 0.9
    same = bp.paired_shift(base + 0.01 * rng.standard_normal(60), base + 0.01 * rng.standard_normal(60))
    assert same["p_wilcoxon"] > 0.01
    with pytest.raises(ValueError, match="same length"):
        bp.paired_shift(base, base[:10])


def test_results_do_not_depend_on_the_chunk_size():
    torch.manual_seed(1)
    m = models.build_model("resnet18", width=1).eval()
    x, d = torch.rand(5, 3, 32, 32), 0.3 * torch.randn(5, 3, 32, 32)
    c = torch.randint(0, 10, (5,))
    for per_chunk in (4, 12):  # 1 and 3 images of 4 points per chunk
        assert np.array_equal(bp.relu_changes(m, x, d, n_points=4, batch_size=per_chunk),
                              bp.relu_changes(m, x, d, n_points=4, batch_size=512))
        assert np.allclose(bp.roughness(m, x, d, c, n_points=4, batch_size=per_chunk),
                           bp.roughness(m, x, d, c, n_points=4, batch_size=512), atol=1e-6)
    with pytest.raises(ValueError, match="same shape"):
        bp.relu_changes(m, x, d[:4], n_points=4)
