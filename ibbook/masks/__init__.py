"""Fourier masks: which frequencies of an image a frozen classifier needs, learnt for many images at once.

A mask ``M`` (entries in [0, 1], one per image, channel and frequency) filters an image ``x`` as
``x_F = Re(F^{-1}(M * F x))`` (2-D DFT over the last two axes). Training a mask minimises an
objective of the frozen model's output on ``x_F`` plus a sparsity penalty on ``M``.

Contents:

- parametrisations (:data:`PARAMETRISATIONS`): ``"full"`` stores an ``H×W`` mask per channel, as the
  sources do; only its Hermitian part ``(M(k) + M(-k)) / 2`` acts on a real image
  (:func:`hermitian_part`, :func:`flip_frequencies`). ``"rfft"`` stores the non-redundant half
  ``H×(W//2+1)`` and filters with ``irfft2``, which is the same filter as the Hermitian extension
  :func:`full_mask`; :func:`filter_images` applies either, :func:`mask_shape` gives the shapes,
  :func:`mask_norm` the penalty ``||M||_p`` of the full (effective) mask;
- objectives (:data:`OBJECTIVES`): ``"ce_l1"`` (Basile et al.: cross-entropy with the target label
  plus ``lam ||M||_p``) and ``"exp_gap"`` (the lecture's
  ``exp[(L(x_F) - L(x))^2] + lam ||M||_p``), per sample: :func:`mask_objective`;
- the batched engine :func:`train_masks`: a pool of ``batch_size`` masks trained together by one
  elementwise Adam (one step counter per mask), each mask stopped by its own convergence test and
  replaced by the next image; the summed loss makes each mask's update independent of the others.
  :func:`train_masks_loop` is the sources' one-image-at-a-time loop (``torch.optim.Adam``), kept
  as the reference for tests and the benchmark; :func:`input_gradient_throughput` measures the
  model's own forward + input-gradient rate (the physical limit of the engine);
- statistics: :func:`masked_predict` (logits under ``M`` or its complement ``1 - M``),
  :func:`radial_profile` (mean mask value per frequency ring), :func:`mean_radius`
  (mask-weighted mean radial frequency per mask), :func:`angular_profile` and
  :func:`axis_share` (share of the mask weight per direction of the frequency, beside the
  same for the mask's ring average), :func:`centred` (zero frequency in the middle);
- mask sets for later chapters: :func:`classifier` trains (cached) the chapter's classifiers by
  name, :func:`mask_set` computes (cached under ``<artefacts>/masks``) or loads the essential and
  adversarial masks of a model (and its data set, :data:`CLASSIFIERS`) and attack as a
  :class:`MaskSet` (aligned pairs with image ids, labels, adversarial labels, attack and model);
  :func:`essential_masks` gives all essential masks (:class:`EssentialMasks`). The settings of
  each scale and model are in :data:`MASK_SET_SCALES` (:func:`mask_set_settings`), the models
  with mask sets at each scale in :data:`MASK_SET_MODELS`; the intrinsic-dimension chapter calls
  ``mask_set(model, "linf_fmn", **mask_set_settings(scale, seed, model))`` as the Fourier-mask
  chapter does and gets the same masks back, from the cache or recomputed.

Modules, by concern: :mod:`.layer` (the filter layer, norms, objectives), :mod:`.engine` (the
batched engine and the reference loop), :mod:`.stats` (mask statistics), :mod:`.sets` (classifiers
and mask-set pipelines at the small, medium and full scales), :mod:`.large` (the chunked, resumable
mask sets of the published ResNet-20 and the statistics of Basile et al.'s Table 2). Everything
public is importable from ``ibbook.masks``.

Used by: Fourier-mask chapter (every part), intrinsic-dimension chapter (:func:`mask_set`,
:func:`mask_set_settings`), ``bench/bench_masks.py``.
"""
from .layer import (ADAM_BETAS, ADAM_EPS, NORMS, OBJECTIVES, PARAMETRISATIONS, filter_images,  # noqa: F401
                    flip_frequencies, flip_frequencies_rows, full_mask, hermitian_part, mask_norm,
                    mask_objective, mask_shape)
from .engine import (MaskResult, evaluate_masks, first_step_gradients, input_gradient_throughput,  # noqa: F401
                     train_masks, train_masks_loop)
from .stats import (_radius, angular_profile, axis_share, centred, masked_predict, mean_radius,  # noqa: F401
                    radial_profile)
from .sets import (_PIPELINE_DEFAULTS, CLASSIFIERS, MASK_SET_MODELS, MASK_SET_SCALES, EssentialMasks,  # noqa: F401
                   MaskSet, classifier, essential_masks, mask_set, mask_set_settings)

__all__ = [
    "ADAM_BETAS", "ADAM_EPS", "NORMS", "OBJECTIVES", "PARAMETRISATIONS", "filter_images", "flip_frequencies",
    "flip_frequencies_rows", "full_mask", "hermitian_part", "mask_norm", "mask_objective", "mask_shape",
    "MaskResult", "evaluate_masks", "first_step_gradients", "input_gradient_throughput", "train_masks",
    "train_masks_loop", "angular_profile", "axis_share", "centred", "masked_predict", "mean_radius",
    "radial_profile", "CLASSIFIERS", "MASK_SET_MODELS", "MASK_SET_SCALES", "EssentialMasks", "MaskSet",
    "classifier", "essential_masks", "mask_set", "mask_set_settings",
]
