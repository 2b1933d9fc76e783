"""Linear and shallow models: end-to-end predictors; the full-batch training loops."""
import numpy as np
import pytest
import torch

from ibbook import convex, models, train
from ibbook.data.synthetic import separable_gaussians


def test_end_to_end_predictors_agree_with_the_forward_pass():
    x = torch.randn(7, 8, dtype=torch.float64)
    for m in (models.DeepLinearFC(8, 3, seed=1), models.CircularConvLinear(8, 3, seed=1)):
        assert torch.allclose(m(x), x @ m.beta())


def test_circular_conv_predictor_is_the_circular_convolution_of_the_filters():
    m = models.CircularConvLinear(6, 2, seed=2)
    a, b = (f.detach().numpy() for f in m.filters)
    direct = np.array([sum(a[j] * b[(k - j) % 6] for j in range(6)) for k in range(6)])
    assert np.allclose(m.beta().detach().numpy(), direct)
    # so its unitary DFT is sqrt(d) times the product of the filters' unitary DFTs
    F = lambda v: np.fft.fft(v, norm="ortho")  # noqa: E731
    assert np.allclose(F(direct), np.sqrt(6) * F(a) * F(b))


def test_symmetric_shallow_relu_is_zero_at_initialisation():
    m = models.ShallowReLU(1, 40, init_scale=3.0, seed=0)
    assert torch.allclose(m(torch.linspace(-2, 2, 11)), torch.zeros(11, dtype=torch.float64))
    with pytest.raises(ValueError, match="width=3 is not accepted"):
        models.ShallowReLU(1, 3)


def test_two_layer_conv_net_heads_for_the_min_fourier_l1_classifier_and_fc_for_the_svm():
    data = separable_gaussians(8, 16, margin=0.2, seed=1)  # d > n: the two solutions differ
    fourier_l1 = convex.min_norm_classifier(data.X, data.y, "fourier_l1").w
    svm = convex.min_norm_classifier(data.X, data.y, "l2").w

    def cosine(a, b):
        return a @ b / np.linalg.norm(a) / np.linalg.norm(b)

    conv = train.fit_exp_loss(models.CircularConvLinear(16, 2, init_scale=0.1), data.X, data.y,
                              steps=1500, lr=0.1)
    fc = train.fit_exp_loss(models.DeepLinearFC(16, 2, init_scale=0.1), data.X, data.y, steps=1500, lr=0.1)
    assert cosine(fourier_l1, svm) < 0.95
    assert cosine(conv.beta[-1], fourier_l1) > 0.99 and cosine(fc.beta[-1], svm) > 0.999
    assert cosine(fc.beta[-1], fourier_l1) < 0.95
    assert np.all(np.diff(conv.loss) < 0)


def test_regression_fits_a_few_points():
    x = torch.tensor([-1.0, 0.0, 1.0], dtype=torch.float64)[:, None]
    y = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)
    hist = train.fit_regression(models.ShallowReLU(1, 200, init_scale=1.0), x, y, steps=3000, lr=0.5)
    assert hist.loss[-1] < 1e-3 * hist.loss[0]


def test_bad_input_is_named():
    m = models.DeepLinearFC(3, 1)
    with pytest.raises(ValueError, match="step='adam' is not accepted"):
        train.fit_exp_loss(m, np.ones((2, 3)), np.ones(2), steps=2, lr=0.1, step="adam")
    with pytest.raises(ValueError, match="steps=0"):
        train.fit_regression(m, np.ones((2, 3)), np.ones(2), steps=0, lr=0.1)
    with pytest.raises(ValueError, match="depth=0 is not accepted"):
        models.DeepLinearFC(3, 0)
