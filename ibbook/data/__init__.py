"""Data for the book: real image data sets (:mod:`.datasets`) and shared synthetic generators
(:mod:`.synthetic`). See :mod:`ibbook.data.datasets` for where data are looked for."""
from .datasets import (CIFAR10_CLASSES, IMAGENETTE_CLASSES, MNIST_CLASSES, DataCorruptError, DataNotFoundError,
                       Found, ImageData, candidate_roots, find_dataset, load_cifar10, load_images, load_imagenette,
                       load_mnist, pixel_stats, stratified_indices)
from .synthetic import orthogonal_clusters, separable_gaussians, spiral

__all__ = ["CIFAR10_CLASSES", "IMAGENETTE_CLASSES", "MNIST_CLASSES", "DataCorruptError", "DataNotFoundError",
           "Found", "ImageData", "candidate_roots", "find_dataset", "load_cifar10", "load_images", "load_imagenette",
           "load_mnist", "pixel_stats", "stratified_indices", "orthogonal_clusters", "separable_gaussians", "spiral"]
