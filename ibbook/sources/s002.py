"""002: Caro et al. 2024, translational symmetry and high-frequency perturbations: the orderings
of the abstract (no table), judged in the Fourier-bias chapter."""
from __future__ import annotations

from .protocol import Claim
from .s001 import ordering

SOURCE = "002"
KEY = "caro2024translational"
NAME = "Caro et al. 2024"

_KERNELS = tuple(f"k={k}, depth 1" for k in (3, 5, 9, 17, 32))
_DEPTHS = tuple(f"k=3, depth {d}" for d in (1, 2, 3))


def _fb(cid, item, claim, paper, models):
    """A claim graded by :func:`ibbook.sources.s001.ordering` (baseline, seeds, adequacy); the
    abstract gives no effect sizes, so a null result here stays inconclusive (a significant
    reverse effect does not hold)."""
    return Claim(cid, SOURCE, item, claim, "fourier_bias", "Verdicts", paper,
                 ordering(cid, models, standin=sweep_standin))


def sweep_standin(model: str) -> str | None:
    """The Table 4 model (001) whose accuracy the adequacy gate reads for a model of the kernel and
    depth sweeps (labels "k=<size>, depth <d>"): the 3x3 ReLU convolution, 63 %; the abstract
    gives no accuracies. Ours: the same family (ReLU convolutions), the nearest number quoted."""
    return "ReLU bounded conv" if model.startswith("k=") else None


CLAIMS = (
    _fb("002.abstract.kernel-size", "abstract: kernel size",
        "smaller kernels give higher freq. delta^",
        "\"exacerbated with stronger locality of the kernel\"", _KERNELS),
    _fb("002.abstract.depth", "abstract: depth", "deeper 3x3 convs give higher freq. delta^",
        "\"exacerbated with ... depth of the model\"", _DEPTHS),
    _fb("002.abstract.vit-mlp", "abstract: ViT / MLP", "ViT and MLP-Mixer give lower freq. delta^",
        "\"Vision Transformers or MLP-style architectures significantly reduce\"",
        ("ViT", "MLP-Mixer", "k=3, depth 1")),
    # the abstract compares convolutions with *other parametrisations* (not a full-width conv,
    # which is a convolution too; that ordering is 001's Fig. 4b): the 3x3 ReLU conv against the
    # ReLU FC and locally connected nets, the worse of the two pairs
    _fb("002.abstract.conv-vs-fc", "abstract: conv vs other parametrisations",
        "ReLU: 3x3 conv's delta^ is higher freq. than FC's and locally conn.'s",
        "\"convolutional operations have higher frequency adversarial attacks compared to other "
        "architectural parameterizations\"",
        ("ReLU bounded conv", "ReLU FC", "ReLU locally conn.")),
)
