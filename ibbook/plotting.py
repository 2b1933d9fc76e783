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
