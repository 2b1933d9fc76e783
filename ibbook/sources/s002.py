"""002: Caro et al. 2024, translational symmetry and high-frequency perturbations: the orderings
of the abstract (no table), judged in the Fourier-bias chapter."""
from .protocol import Claim
from .s001 import ordering

SOURCE = "002"
KEY = "caro2024translational"
NAME = "Caro et al. 2024"

_KERNELS = tuple(f"k={k}, depth 1" for k in (3, 5, 9, 17, 32))
_DEPTHS = tuple(f"k=3, depth {d}" for d in (1, 2, 3))


def _fb(cid, item, claim, paper, models):
    """A claim graded by :func:`ibbook.sources.s001.ordering` (baseline, seeds, adequacy); the
    abstract gives no effect sizes, so a null result here stays inconclusive."""
    return Claim(cid, SOURCE, item, claim, "fourier_bias", "Verdicts", paper,
                 ordering(cid, models))


CLAIMS = (
    _fb("002.abstract.kernel-size", "abstract: kernel size",
        "smaller kernels give higher freq. delta^",
        "\"exacerbated with stronger locality of the kernel\"", _KERNELS),
    _fb("002.abstract.depth", "abstract: depth", "deeper 3x3 convs give higher freq. delta^",
        "\"exacerbated with ... depth of the model\"", _DEPTHS),
    _fb("002.abstract.vit-mlp", "abstract: ViT / MLP", "ViT and MLP-Mixer give lower freq. delta^",
        "\"Vision Transformers or MLP-style architectures significantly reduce\"",
        ("ViT", "MLP-Mixer", "k=3, depth 1")),
    _fb("002.abstract.conv-vs-fc", "abstract: conv vs FC",
        "ReLU: bounded conv's delta^ is higher freq. than full conv",
        "\"convolutional operations have higher frequency adversarial attacks\"",
        ("ReLU bounded conv", "ReLU full conv", "ReLU FC")),
)
