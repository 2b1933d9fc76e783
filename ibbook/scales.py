"""Settings per scale of every chapter, in one place: the chapters read them
(``SCALES = scales.SCALES["<chapter>"]``) and so does :mod:`ibbook.reproduce` (planning, estimates),
without parsing notebook source.

Each entry maps a scale name (``small`` is what CI runs; ``medium``, ``large``, ``full`` where a
chapter has them) to the keyword settings :func:`ibbook.params.setup` checks and the chapter uses.
Values are plain literals (numbers, strings, tuples, None), so a run record can store them.
"""
from __future__ import annotations

from typing import Any

SCALES: dict[str, dict[str, dict[str, Any]]] = {}

SCALES["attacks"] = {
    "small": {"n_linear": 100, "n_polygon": 100, "n_deepfool": 40,
              "mc_samples": 200_000, "n_lemma": 6, "n_fourier_id": 200,
              "faghri_n": 20, "faghri_ratios": (0.5, 1, 2, 4),
              "faghri_instances": 1, "sd_steps": 20_000,
              "n_conv": 2, "conv_steps": 5_000},
    "full": {"n_linear": 500, "n_polygon": 500, "n_deepfool": 200,
             "mc_samples": 1_000_000, "n_lemma": 30, "n_fourier_id": 1000,
             "faghri_n": 20, "faghri_ratios": (0.5, 1, 2, 4, 8),
             "faghri_instances": 3, "sd_steps": 40_000,
             "n_conv": 6, "conv_steps": 10_000},
}

SCALES["data"] = {  # n_stats: images per split in the statistics (None: all)
    "small": {"n_stats": 2000, "per_class": 4, "imagenette_stats_px": 64},
    "full": {"n_stats": None, "per_class": 4, "imagenette_stats_px": 224},
}

SCALES["fourier_bias"] = {
    # seeds: every model is trained (and measured untrained) at each; attacks: PGD (fixed budget,
    # pgd_steps of pgd_rel_step * eps), DeepFool-l2 (df_steps) and FMN-l-inf (fmn_steps, seed 0);
    # theory_*: linear nets on two classes at theory_size px trained to convergence (n images).
    "small": {
        "n_train": 1000, "epochs": 2, "n_test": 500, "n_attack": 32, "seeds": (0, 1, 2),
        "pgd_steps": 8, "pgd_rel_step": 0.3, "df_steps": 20, "fmn_steps": 20,
        "fc_width": 512, "channels": 8, "alpha_models": "conv", "big_models": False,
        "big_width": 8, "vit_dim": 32, "vit_depth": 2, "sweep_channels": 8,
        "kernels": (3, 9, 32), "depths": (1, 2, 3),
        "theory_size": 16, "theory_n": 200, "theory_steps": 4000,
    },
    "full": {
        "n_train": 50000, "epochs": 40, "n_test": 10000, "n_attack": 500, "seeds": (0, 1, 2),
        "pgd_steps": 1000, "pgd_rel_step": 0.1, "df_steps": 50, "fmn_steps": 1000,
        "fc_width": 2700, "channels": 32, "alpha_models": "conv, local", "big_models": True,
        "big_width": 64, "vit_dim": 192, "vit_depth": 6, "sweep_channels": 32,
        "kernels": (3, 5, 9, 17, 32), "depths": (1, 2, 3, 4),
        "theory_size": 32, "theory_n": 2000, "theory_steps": 40000,
    },
    "medium": {
        "n_train": 3000, "epochs": 4, "n_test": 1000, "n_attack": 48, "seeds": (0, 1, 2),
        "pgd_steps": 20, "pgd_rel_step": 0.15, "df_steps": 30, "fmn_steps": 50,
        "fc_width": 1024, "channels": 16, "alpha_models": "conv, local", "big_models": True,
        "big_width": 16, "vit_dim": 64, "vit_depth": 4, "sweep_channels": 16,
        "kernels": (3, 5, 9, 17, 32), "depths": (1, 2, 3),
        "theory_size": 16, "theory_n": 400, "theory_steps": 8000,
    },
    # large: the CPU run of issue 22 (about 2.5-3 hours on 2 CPU cores, estimated from measured
    # training times; not run yet): 20,000 images x 6 epochs, three seeds, every sweep; VGG-19
    # and ResNet-18 (big_models) need a GPU and are left out.
    "large": {
        "n_train": 20000, "epochs": 6, "n_test": 2000, "n_attack": 100, "seeds": (0, 1, 2),
        "pgd_steps": 50, "pgd_rel_step": 0.1, "df_steps": 50, "fmn_steps": 100,
        "fc_width": 1024, "channels": 16, "alpha_models": "conv, local", "big_models": False,
        "big_width": 16, "vit_dim": 64, "vit_depth": 4, "sweep_channels": 16,
        "kernels": (3, 5, 9, 17, 32), "depths": (1, 2, 3, 4),
        # 16 px: at 32 px (d = 3072, n = 2000) the l2 program alone ran over 3 min and
        # normalised GD was still at loss 0.8 after 800 steps (measured), too slow for this run;
        # 40,000 steps: the conv's direction converges slowly (angle ratio 0.57 after 4,000 and
        # 0.50 after 11,000 steps at n = 200, measured), about 5 min for 3 seeds (estimated)
        "theory_size": 16, "theory_n": 500, "theory_steps": 40000,
    },
}

SCALES["fourier_masks"] = {
    "small": {"n_eval": 2000, "n_eval_cct": 500, "n_param": 16,
              "ft_epochs": 1, "adv_eps": 0.01, "adv_steps": 2,
              "n_robust": 16},
    "medium": {"n_eval": 3000, "n_eval_cct": 500, "n_param": 32,
               "ft_epochs": 1, "adv_eps": 0.01, "adv_steps": 2,
               "n_robust": 48},
    "full": {"n_eval": 10000, "n_eval_cct": 10000, "n_param": 500,
             "ft_epochs": 20, "adv_eps": 0.031, "adv_steps": 7,
             "n_robust": 1000},
}

SCALES["implicit_bias"] = {
    "small": {"svm_instances": 8, "gd_steps": 100_000, "arc_steps": 10_000,
              "relu_instances": 200, "relu_steps": 40_000, "ode_instances": 5,
              "fan_sizes": (2, 4, 8, 16, 32, 64),
              "expansion_instances": 10, "spline_datasets": 3,
              "spline_width": 200, "spline_steps": 40_000,
              "conv_instances": 3, "conv_steps": 20_000},
    "full": {"svm_instances": 30, "gd_steps": 300_000, "arc_steps": 30_000,
             "relu_instances": 1000, "relu_steps": 40_000, "ode_instances": 20,
             "fan_sizes": (2, 4, 8, 16, 32, 64),
             "expansion_instances": 40, "spline_datasets": 10,
             "spline_width": 200, "spline_steps": 80_000,
             "conv_instances": 10, "conv_steps": 40_000},
}

SCALES["intrinsic_dim"] = {
    "small": {
        "n_known": 1000,
        "known_dims": (1, 2, 5, 10, 20),
        "n_spiral": 2000,
        "n_shuffles": 50,
        "calib_n": (250, 1000),
        "calib_dims": (2, 6, 12),
        "calib_pairs": 40,
        "calib_shuffles": 20,
        "power_noise": (0.001, 0.01, 0.03, 0.1),
        "power_pairs": 10,
    },
    "full": {
        "n_known": 4000,
        "known_dims": (1, 2, 5, 10, 20),
        "n_spiral": 5000,
        "n_shuffles": 50,
        "calib_n": (250, 1000, 4000),
        "calib_dims": (2, 6, 12),
        "calib_pairs": 200,
        "calib_shuffles": 50,
        "power_noise": (0.001, 0.01, 0.03, 0.1),
        "power_pairs": 50,
    },
}

# Training: SGD with momentum 0.9 and weight decay 5e-4, batches of 128, flips and crops; "step"
# drops the rate by 10x after each epoch in lr_drops, "onecycle" is the compressed schedule of
# ibbook.weights (Nesterov, warm-up over `warmup` of the steps, channels-last layout). Attacks on
# every snapshot: PGD on n_attack test images, DeepFool-l2 and FMN-linf on the first n_fmn of
# them; n_paths segments of n_points points; n_boot bootstrap resamples of the images.
_LD_STEP = {"schedule": "step", "nesterov": False, "warmup": 0.15, "channels_last": False,
            "weight_decay": 5e-4, "eval_each_epoch": False}
SCALES["learning_dynamics"] = {
    "small": {
        "n_train": 4000,
        "epochs": 6,
        "width": 8,
        "lr": 0.05,
        "lr_drops": (),
        **_LD_STEP,
        "snapshots": (0, 1, 2, 3, 4, 5, 6),
        "n_test": 1000,
        "n_attack": 64,
        "pgd_steps": 20,
        "n_fmn": 32,
        "fmn_steps": 30,
        "df_steps": 8,
        "df_candidates": 6,
        "n_paths": 32,
        "n_points": 12,
        "n_boot": 1000,
    },
    "medium": {
        "n_train": 10000,
        "epochs": 10,
        "width": 8,
        "lr": 0.05,
        "lr_drops": (7,),
        **_LD_STEP,
        "snapshots": (0, 1, 2, 3, 4, 6, 8, 10),
        "n_test": 2000,
        "n_attack": 128,
        "pgd_steps": 50,
        "n_fmn": 64,
        "fmn_steps": 60,
        "df_steps": 20,
        "df_candidates": 10,
        "n_paths": 64,
        "n_points": 16,
        "n_boot": 1000,
    },
    # 2 CPU cores, not run yet; estimated at most about 5 h from the small run's measured rates
    # (about 1,200 ResNet-18 passes per second at width 8, training and attacks alike) times 4
    # for width 16: training 2,000,000 passes ~1.9 h, attacks at most 3.25 M passes ~3.1 h (the
    # step caps of DeepFool and FMN counted in full; both stop earlier), paths ~0.1 h. ResNet-18
    # of width 16 on all 50,000 images with the compressed one-cycle schedule of ibbook.weights
    # (target >= 88 % test accuracy; warm-up over the first 6 epochs), snapshots at the source's
    # epochs (Figs. 6, 7: 0, 5, 10, 20, 25, 40) plus the first epochs
    "large": {
        "n_train": 50000,
        "epochs": 40,
        "width": 16,
        "lr": 0.2,
        "lr_drops": (),
        "schedule": "onecycle",
        "nesterov": True,
        "warmup": 0.15,
        "channels_last": True,
        "weight_decay": 5e-4,
        "eval_each_epoch": True,
        "snapshots": (0, 1, 2, 3, 5, 10, 20, 25, 30, 40),
        "n_test": 10000,
        "n_attack": 500,
        "pgd_steps": 50,
        "n_fmn": 500,
        "fmn_steps": 100,
        "df_steps": 50,
        "df_candidates": 10,
        "n_paths": 200,
        "n_points": 16,
        "n_boot": 2000,
    },
    "full": {
        "n_train": 50000,
        "epochs": 40,
        "width": 64,
        "lr": 0.1,
        "lr_drops": (20, 30),
        **_LD_STEP,
        "snapshots": (0, 1, 2, 3, 4, 5, 10, 15, 20, 25, 30, 35, 40),
        "n_test": 10000,
        "n_attack": 1000,
        "pgd_steps": 1000,
        "n_fmn": 1000,
        "fmn_steps": 100,
        "df_steps": 50,
        "df_candidates": 10,
        "n_paths": 500,
        "n_points": 32,
        "n_boot": 2000,
    },
}

SCALES["prelu"] = {
    # synthetic problem: width = width_per_k * K neurons, n_per_k * K training points, GD step
    # lr_per_k * K for gf_steps steps (prelu.flow_lr) in gf_dtype; noise alpha / sqrt(dim) per
    # coordinate. MNIST: mnist_steps Adam steps of batches of 1000 (the authors' code: 51 epochs
    # of 60,000 images = 3,060 steps).
    "small": {"dim": 100, "n_per_k": 32, "width_per_k": 6, "n_test": 200,
              "ks": (4, 8, 16, 32), "alphas": (0.05, 0.3), "ps": (1, 3),
              "init": 1e-6, "gf_steps": 600, "lr_per_k": 0.125, "gf_dtype": "float64",
              "ddn_steps": 200,
              "mnist_ps": (1, 2, 3, 4), "mnist_width": 256,
              "mnist_steps": 240, "mnist_seeds": 2, "n_attack": 300,
              "attack": "apgd-ce", "apgd_steps": 20,
              "linf_eps": (0.05, 0.1), "l2_eps": (1.0, 2.0)},
    "medium": {"dim": 300, "n_per_k": 32, "width_per_k": 6, "n_test": 400,
               "ks": (4, 8, 16, 32, 64), "alphas": (0.05, 0.3),
               "ps": (1, 3), "init": 1e-6, "gf_steps": 600,
               "lr_per_k": 0.125, "gf_dtype": "float32", "ddn_steps": 300,
               "mnist_ps": (1, 2, 3, 4), "mnist_width": 500,
               "mnist_steps": 1000, "mnist_seeds": 1, "n_attack": 1000,
               "attack": "apgd-ce", "apgd_steps": 100,
               "linf_eps": (0.05, 0.1), "l2_eps": (1.0, 2.0)},
    # the poster's D = 1000 and the sweep to K = 128 on 2 CPU cores, float32 (the chapter shows
    # one K in both precisions); MNIST with the authors' number of Adam steps, one seed. Width
    # 16 K: a first large run at 6 K (2026-11-29) left 1 to 6 centres without a neuron at K >= 32
    # for p = 3 (a neuron serves only centres of its output weight's sign, so a centre misses out
    # with chance about exp(-h / 2K) = 5 % at h = 6 K), the loss stalled near 0.02 and the chapter's
    # clean-accuracy assert (>= 0.99) stopped the run; exp(-8) makes a miss unlikely up to K = 128
    "large": {"dim": 1000, "n_per_k": 32, "width_per_k": 16, "n_test": 1000,
              "ks": (4, 8, 16, 32, 64, 128), "alphas": (0.05, 0.3),
              "ps": (1, 3), "init": 1e-6, "gf_steps": 600,
              "lr_per_k": 0.125, "gf_dtype": "float32", "ddn_steps": 500,
              "mnist_ps": (1, 2, 3, 4), "mnist_width": 500,
              "mnist_steps": 3000, "mnist_seeds": 1, "n_attack": 1000,
              "attack": "apgd-ce", "apgd_steps": 100,
              "linf_eps": (0.05, 0.1), "l2_eps": (1.0, 2.0)},
    "full": {"dim": 1000, "n_per_k": 64, "width_per_k": 16, "n_test": 2000,
             "ks": (4, 8, 16, 32, 64, 128), "alphas": (0.05, 0.3),
             "ps": (1, 2, 3, 4), "init": 1e-7, "gf_steps": 1000,
             "lr_per_k": 0.125, "gf_dtype": "float32", "ddn_steps": 1000,
             "mnist_ps": (1, 2, 3, 4), "mnist_width": 500,
             "mnist_steps": 3000, "mnist_seeds": 5, "n_attack": 2000,
             "attack": "autoattack", "apgd_steps": 100,
             "linf_eps": (0.05, 0.1), "l2_eps": (1.0, 2.0)},
}

SCALES["scorecard"] = {  # which result files a row may read, best first
    "small": {"reads": ("full", "large", "medium", "small")},
    "medium": {"reads": ("medium",)},
    "large": {"reads": ("large",)},
    "full": {"reads": ("full",)},
}

# the synthetic parts as at small; the masks chapter's medium mask sets
_id = SCALES["intrinsic_dim"]
SCALES["intrinsic_dim"] = {"small": _id["small"], "medium": dict(_id["small"]), "full": _id["full"]}


def of(chapter: str) -> dict[str, dict[str, Any]]:
    """The scales of ``chapter`` (a key of :data:`SCALES`); ValueError naming the accepted ones."""
    if chapter not in SCALES:
        raise ValueError(f"chapter={chapter!r} is not accepted; use one of {', '.join(sorted(SCALES))}")
    return SCALES[chapter]
