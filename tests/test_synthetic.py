import numpy as np
import pytest
import torch

from ibbook.data import orthogonal_clusters, separable_gaussians, spiral


@pytest.mark.parametrize("n,d,margin", [(50, 2, 0.0), (200, 10, 0.5), (20, 100, 1.0)])
def test_separable_gaussians_have_the_promised_margin(n, d, margin):
    data = separable_gaussians(n, d, margin=margin, seed=1)
    assert data.X.shape == (n, d) and set(np.unique(data.y)) <= {-1.0, 1.0}
    assert np.isclose(np.linalg.norm(data.w), 1.0)
    assert (data.y * (data.X @ data.w)).min() >= margin


def test_separable_gaussians_are_seeded():
    a, b = separable_gaussians(10, 3, seed=4), separable_gaussians(10, 3, seed=4)
    assert np.array_equal(a.X, b.X) and not np.array_equal(a.X, separable_gaussians(10, 3, seed=5).X)


def test_orthogonal_clusters_centres_labels_and_balance():
    c = orthogonal_clusters(103, 20, k_pos=3, k_neg=2, alpha=0.05, seed=0)
    assert np.allclose(c.centres @ c.centres.T, np.eye(5))
    counts = np.bincount(c.k, minlength=5)
    assert counts.max() - counts.min() <= 1
    assert np.array_equal(c.y, np.where(c.k < 3, 1.0, -1.0))
    assert np.allclose(c.mu_pos, c.centres[:3].sum(0)) and np.allclose(c.mu_neg, c.centres[3:].sum(0))
    # points sit near their own centre: noise alpha / sqrt(d) per coordinate, of norm about alpha = 0.05 < sqrt(2)
    nearest = np.argmax(c.X @ c.centres.T, axis=1)
    assert np.array_equal(nearest, c.k)


def test_orthogonal_clusters_need_room_for_the_centres():
    with pytest.raises(ValueError, match="d=3 is not accepted: 5 orthonormal centres need d >= k_pos"):
        orthogonal_clusters(10, 3, k_pos=3, k_neg=2)


def test_spiral_is_nonlinearly_dependent_but_linearly_uncorrelated():
    xy = spiral(2000, noise=0.001, seed=0)
    assert xy.shape == (2000, 2) and np.hypot(*xy.T).max() <= 1.01
    assert np.corrcoef(xy.T)[0, 1] ** 2 < 0.01
    # the points lie on a curve: neighbours are far closer than after shuffling one coordinate
    shuffled = np.c_[xy[:, 0], np.random.default_rng(0).permutation(xy[:, 1])]

    def mean_nn_distance(a):
        d = torch.cdist(torch.from_numpy(a), torch.from_numpy(a)).fill_diagonal_(float("inf"))
        return d.min(dim=1).values.mean().item()

    assert mean_nn_distance(xy) < 0.4 * mean_nn_distance(shuffled)


@pytest.mark.parametrize("call,match", [
    (lambda: separable_gaussians(0, 2), "n=0 is not accepted"),
    (lambda: separable_gaussians(5, 2, margin=-1), "margin=-1 is not accepted"),
    (lambda: spiral(10, turns=0), "turns=0 is not accepted"),
    (lambda: spiral(10, noise=float("nan")), "noise=nan is not accepted"),
    (lambda: orthogonal_clusters(10, 5, 1, 1, alpha=-0.1), "alpha=-0.1 is not accepted"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_orthogonal_clusters_labels_are_balanced_between_equal_classes():
    c = orthogonal_clusters(400, 50, k_pos=4, k_neg=4, alpha=0.1, seed=3)
    assert np.sum(c.y > 0) == np.sum(c.y < 0) == 200
    assert np.allclose(np.linalg.norm(c.centres, axis=1), 1.0) and abs(c.mu_pos @ c.mu_neg) < 1e-12
