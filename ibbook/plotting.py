"""Figures that several chapters share.

Used by: every chapter with figures (:func:`book_style`); the Data appendix (:func:`class_grid`);
image chapters (masks, Fourier bias) for showing images, perturbations and masks side by side.
"""
from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch

#: Width of the book's text column in inches at the notebook's 100 dpi: a figure this wide is
#: shown at its natural size, so a 10 pt font stays 10 pt. Wider figures are shrunk to fit.
BOOK_WIDTH_IN = 7.0


def book_style() -> None:
    """Matplotlib defaults for figures read at book width: ``BOOK_WIDTH_IN`` wide, 10 pt text.

    Call once after the imports. Panels of a multi-panel figure should share this width
    (e.g. ``figsize=(BOOK_WIDTH_IN, 3)`` for a row of two, two rows for four or more).
    """
    mpl.rcParams.update({
        "figure.figsize": (BOOK_WIDTH_IN, 3.2), "figure.dpi": 100, "savefig.dpi": 100,
        "font.size": 10, "axes.titlesize": 10, "axes.labelsize": 10, "legend.fontsize": 8.5,
        "xtick.labelsize": 9, "ytick.labelsize": 9, "lines.linewidth": 1.4,
    })


def as_image(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """A C×H×W tensor in [0, 1] as an array ``imshow`` takes (H×W×3, or H×W for one channel)."""
    arr = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    if arr.ndim != 3 or arr.shape[0] not in (1, 3):
        raise ValueError(f"image of shape {arr.shape} is not accepted; use C×H×W with C = 1 or 3")
    return arr[0] if arr.shape[0] == 1 else np.transpose(arr, (1, 2, 0))


def class_grid(images: torch.Tensor, labels: torch.Tensor, classes, *, per_class: int = 4,
               title: str | None = None, cell_inches: float = 0.9):
    """A grid with one column per class and ``per_class`` example images in each, named by class.

    Takes the first ``per_class`` images of each class in ``images`` (N×C×H×W in [0, 1]).
    Returns the matplotlib figure.
    """
    labels = torch.as_tensor(labels)
    k = len(classes)
    fig, axes = plt.subplots(per_class, k, figsize=(cell_inches * k, cell_inches * per_class + 0.5),
                             squeeze=False, layout="constrained")
    for c, name in enumerate(classes):
        rows = torch.nonzero(labels == c).flatten()[:per_class]
        for r in range(per_class):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            for side in ax.spines.values():
                side.set_visible(False)
            if r < len(rows):
                ax.imshow(as_image(images[rows[r]]), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        axes[0, c].set_title(name, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def training_curve(history, *, paper_accuracy: float | None = None, target: float | None = None,
                   paper_label: str = "paper", title: str | None = None):
    """Test and training accuracy (%) per epoch of a training ``history`` (dicts with ``epoch``,
    ``train_acc`` and ``test_acc`` in [0, 1], and ``lr``), with the paper's final accuracy and a
    target as horizontal lines, and the learning rate on a second axis. Returns the figure.

    Used by: Fourier-mask chapter (the published ResNet-20, :mod:`ibbook.weights`).
    """
    epochs = [h["epoch"] for h in history]
    fig, ax = plt.subplots(figsize=(BOOK_WIDTH_IN, 3.2), layout="constrained")
    ax.plot(epochs, [100 * h["test_acc"] for h in history], "o-", ms=3, label="test (ours)")
    ax.plot(epochs, [100 * h["train_acc"] for h in history], "-", color="0.55",
            label="training, augmented (ours)")
    if paper_accuracy is not None:
        ax.axhline(100 * paper_accuracy, color="C3", ls="--", label=f"{paper_label}: {100 * paper_accuracy:.2f} %")
    if target is not None:
        ax.axhline(100 * target, color="C2", ls=":", label=f"target: {100 * target:.1f} %")
    ax.set(xlabel="epoch", ylabel="accuracy (%)", ylim=(40, 100), title=title)
    lr = ax.twinx()
    lr.plot(epochs, [h["lr"] for h in history], color="C1", lw=0.9, alpha=0.6)
    lr.set_ylabel("learning rate at epoch end", color="C1")
    lr.tick_params(axis="y", colors="C1")
    ax.legend(loc="lower right")
    return fig


def style_legend(ax, entries, **legend_kw):
    """A legend that names line *styles* rather than single lines, for panels that draw many
    instances (one colour each) in a few styles: ``entries`` is a sequence of ``(label, style)``
    with ``style`` a dict of ``Line2D`` keywords (``ls``, ``color``, ``marker``...); lines that
    already carry a label are listed after them. Returns the legend.

    Used by: implicit-bias theory chapter (the gradient-descent figure of section 1).
    """
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], **{"color": "0.35", **dict(style)}, label=label) for label, style in entries]
    own, labels = ax.get_legend_handles_labels()
    return ax.legend(handles=handles + own, labels=[label for label, _ in entries] + labels, **legend_kw)


def z_power_curve(ax, subsets: dict, *, paper_z: float | None = None, label: str = "",
                  color=None, alpha: float = 0.05):
    """Z of the Id correlation test against the number of mask pairs: one dot per random subset,
    the median per size joined by a line, the one-sided critical value of ``alpha`` and the
    paper's Z (``paper_z``, dashed) for reference. ``subsets`` maps a size (int or str) to a list
    of ``{"z": ...}`` (the ``subsets`` entry of :func:`ibbook.masks.large.summarise`).

    Used by: intrinsic-dimension chapter, *Table 2 at the large scale* (issue 21).
    Source: 003 (Basile et al. 2024), Table 2 (Z per attack)."""
    from statistics import NormalDist

    sizes = sorted(int(n) for n in subsets)
    if not sizes:
        raise ValueError("subsets is empty; give at least one size with its Z values")
    by_size = {int(n): v for n, v in subsets.items()}
    zs = [[float(t["z"]) for t in by_size[n]] for n in sizes]
    line, = ax.plot(sizes, [np.median(z) for z in zs], "-o", color=color, label=label or None, ms=4)
    for n, z in zip(sizes, zs):
        ax.plot([n] * len(z), z, ".", color=line.get_color(), alpha=0.35, ms=4)
    ax.axhline(NormalDist().inv_cdf(alpha), color="0.4", lw=0.8, ls=":")
    if paper_z is not None:
        ax.axhline(paper_z, color=line.get_color(), lw=1.0, ls="--")
    ax.set_xscale("log")
    ax.set_xlabel("mask pairs N (log scale)")
    ax.set_ylabel("Z of the Id test")
    return line


def mask_examples(images, essential, adversarial, *, floor: float = 1e-3, titles=("image", "essential mask",
                                                                                 "adversarial mask")):
    """One row per image: the image, its essential and its adversarial Fourier mask (mean over the
    colour channels, zero frequency in the centre, log colour scale from ``floor`` to 1, one colour
    bar). ``images``: N×3×H×W in [0, 1]; masks: N×3×H×W in torch FFT layout. Returns the figure.

    Used by: Fourier-mask chapter (large-scale examples). Source: 003 (Basile et al. 2024), Fig. 2."""
    from matplotlib.colors import LogNorm

    images, essential, adversarial = (np.asarray(a, dtype=np.float32) for a in (images, essential, adversarial))
    if not images.shape[0] == essential.shape[0] == adversarial.shape[0] or images.ndim != 4:
        raise ValueError(f"images {images.shape}, essential {essential.shape} and adversarial {adversarial.shape} "
                         "are not accepted; give N×C×H×W arrays with the same N")
    n = images.shape[0]
    fig, axes = plt.subplots(n, 3, figsize=(BOOK_WIDTH_IN, 2.3 * n + 0.4), squeeze=False)
    norm = LogNorm(vmin=floor, vmax=1.0)
    for i in range(n):
        axes[i, 0].imshow(as_image(images[i]))
        for j, m in ((1, essential[i]), (2, adversarial[i])):
            shown = np.fft.fftshift(m.mean(0))
            im = axes[i, j].imshow(np.clip(shown, floor, 1.0), norm=norm, cmap="magma")
        for j in range(3):
            axes[i, j].set_xticks([])
            axes[i, j].set_yticks([])
            if i == 0:
                axes[i, j].set_title(titles[j], fontsize=9)
    fig.colorbar(im, ax=axes[:, 1:].ravel().tolist(), label="mask value (log scale; centre: zero frequency)",
                 shrink=0.8)
    return fig


#: Decades a log-scaled spectrum panel shows below its maximum (:func:`relative_map`).
SPECTRUM_DECADES = 3.0


def relative_map(ax, img, *, log: bool = False, ylabel: str | None = None):
    """Draw one map relative to its own maximum, so that panels of different models share one
    colour bar: with ``log``, ``log10(img / max img)`` from ``-SPECTRUM_DECADES`` to 0 (magma; for
    Fourier magnitudes); else ``img / max |img|`` from -1 to 1 (RdBu_r; for predictors and
    perturbations in pixel space). ``img``: an H×W array; an all-zero map is a ValueError.
    Returns the image artist, for :func:`row_colorbar`.

    Used by: Fourier-bias chapter (predictor and perturbation spectra). Source: 001 (Ortega Caro
    et al. 2020), Figs 2-4."""
    img = np.asarray(img, dtype=np.float64)
    top = np.abs(img).max()
    if img.ndim != 2 or not np.isfinite(top) or top == 0:
        raise ValueError(f"a map of shape {img.shape} with largest |value| {top} is not accepted; "
                         "give a finite H×W array that is not all zero")
    if log:
        im = ax.imshow(np.log10(np.maximum(img / top, 10 ** -SPECTRUM_DECADES)), cmap="magma",
                       vmin=-SPECTRUM_DECADES, vmax=0)
    else:
        im = ax.imshow(img / top, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    if ylabel:
        ax.set_ylabel(ylabel)
    return im


def row_colorbar(fig, im, axes, *, log: bool):
    """One colour bar for a row of :func:`relative_map` panels (``axes``: a sequence of axes),
    labelled with what the colours mean. Use a figure made with ``layout="constrained"``."""
    label = "log$_{10}$(|coef.|/max)" if log else "value / max"
    bar = fig.colorbar(im, ax=list(axes), fraction=0.025, pad=0.01, aspect=12)
    bar.set_label(label, fontsize=9)
    bar.ax.tick_params(labelsize=8)
    return bar
