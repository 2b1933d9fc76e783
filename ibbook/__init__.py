"""ibbook: the small helper package behind the book *Implicit bias of neural networks and
adversarial attacks*. Chapters tell the story; this package holds what they reuse.

Modules, one concern each:

- :mod:`ibbook.params`: chapter parameters (scale, device, seed, data root) and their validation;
- :mod:`ibbook.data`: real data sets (CIFAR-10, MNIST, Imagenette) and synthetic generators;
- :mod:`ibbook.cache`: artefacts cached by a hash of their config, written atomically;
- :mod:`ibbook.records`: run records (provenance) and result files;
- :mod:`ibbook.plotting`: figures shared by several chapters;
- :mod:`ibbook.norms`: vector norms, their duals and dual maximisers;
- :mod:`ibbook.convex`: exact convex programs (max-margin / min-norm classifiers, projections);
- :mod:`ibbook.descent`: steepest descent on linear classifiers, gradient descent of one ReLU neuron;
- :mod:`ibbook.fourier`: the unitary DFT, Fourier norms and spectra;
- :mod:`ibbook.models`: networks (theory models, the CIFAR-10 zoo, the mask chapters' classifiers);
- :mod:`ibbook.train`: training loops;
- :mod:`ibbook.expansions`: functions of one variable (spectra of activations, ReLU / SReLU expansions);
- :mod:`ibbook.attacks`: closed-form attacks on linear models, DeepFool, foolbox and torchattacks wrappers;
- :mod:`ibbook.masks`: Fourier mask layer, batched mask engine, mask statistics and cached mask sets;
- :mod:`ibbook.intrinsic_dim`: TwoNN and the Id correlation (shuffle) test;
- :mod:`ibbook.prelu`: pReLU networks, their teacher classifiers and gradient flow.
"""
from pathlib import Path

__version__ = "0.1.0"
#: The project folder (holding ``_toc.yml``, ``chapters/``, ``data/``); the package is installed editable.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
