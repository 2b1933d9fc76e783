"""ibbook: the small helper package behind the book *Implicit bias of neural networks and
adversarial attacks*. Chapters tell the story; this package holds what they reuse.

Modules, one concern each:

- :mod:`ibbook.params`: chapter parameters (scale, device, seed, data root) and their validation;
- :mod:`ibbook.data`: real data sets (CIFAR-10, MNIST, Imagenette) and synthetic generators;
- :mod:`ibbook.cache`: artefacts cached by a hash of their config, written atomically;
- :mod:`ibbook.records`: run records (provenance) and result files;
- :mod:`ibbook.plotting`: figures shared by several chapters.
"""
from pathlib import Path

__version__ = "0.1.0"
#: The project folder (holding ``_toc.yml``, ``chapters/``, ``data/``); the package is installed editable.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
