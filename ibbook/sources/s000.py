"""000: lecture notes on implicit bias and adversarial attacks: the theorems (checked numerically
in the two theory chapters) and the Fourier-mask slides (the masks chapter)."""
from .protocol import Claim, bound, complement, sparsity

SOURCE = "000"
KEY = "lecture_ib_attacks"
NAME = "Lecture notes on implicit bias and attacks"

IB, AT, FM = "implicit_bias", "attacks", "fourier_masks"
_S1 = "1. Gradient descent on separable data finds the max-margin direction"
_S2 = "2. One ReLU neuron: within a factor 2 of the nearest interpolant"
_S5 = "5. Linear fully connected vs linear convolutional networks"
_EXP = "ReLU and saturated-ReLU expansions of a function"
_FMC = "What the lecture shows: complements, robust and augmented networks, clusters"

#: The lecture's slide numbers on Fourier masks: the complement's accuracy drop (relative).
MASK_COMPLEMENT_DROP = 0.50

def _sparsity():
    """Density of the essential masks (ResNet-20 of Basile et al.) against the density of masks
    trained without the l1 penalty (lambda = 0): the lecture gives no number, so the bound is that
    baseline, when the chapter records it; the model passes the adequacy gate."""
    from .protocol import quoted
    from .s003 import ACCURACY
    return sparsity("essential/density", "ResNet-20", "accuracy/resnet20",
                    quoted(ACCURACY["resnet20"][2]) / 100, "essential/density_lambda0",
                    "masks trained with lambda = 0")


_SPARSITY = _sparsity()

CLAIMS = (
    Claim("000.gd-separable", SOURCE, "GD on separable data (Soudry et al.)", "GD converges in "
          "direction to the l2 max-margin (SVM) classifier", IB, _S1,
          "w(t)/||w(t)|| -> w_SVM/||w_SVM||",
          bound(("svm/arc_worst_angle", "<", 0.01), ("svm/gd_worst_angle", "<", 0.2))),
    Claim("000.thm5.1", SOURCE, "Thm 5.1", "one ReLU neuron: ||w(inf)-w(0)|| at most twice the "
          "distance to the nearest zero-loss weight", IB, _S2, "||w(inf)-w(0)|| <= 2 ||w*-w(0)||",
          bound(("relu_neuron/max_ratio", "<=", 2 + 1e-6), ("relu_neuron/ode_gap", "<", 1e-2),
                ("relu_neuron/min_ratio", ">=", 1 - 1e-6), ("relu_neuron/max_dist_increase", "<", 1e-12),
                ("relu_neuron/fan_max_ratio", "<=", 2 + 1e-6), ("relu_neuron/fan_max_ratio", ">", 1.9),
                ("relu_neuron/fan_max_dist_increase", "<", 1e-12),
                ("relu_neuron/vee_control_ratio", ">", 2 + 1e-6))),
    Claim("000.remark5.1", SOURCE, "Remark 5.1", "GD does not always find w* (the bias is not a "
          "function of w)", IB, _S2, "\"it can be expressed approximately, within a factor of 2\"",
          bound(("relu_neuron/ratio_above_1", ">", 0))),
    Claim("000.fig1", SOURCE, "Fig. 1", "odd activations add only odd harmonics to a sine; ReLU "
          "matches its series", IB, "Activations applied to a sine (Figure 1 of the lecture)",
          "non-linear distortions in the frequency domain",
          bound(("activations/odd_even_leak", "<", 1e-10),
                ("activations/relu_series_error", "<", 1e-5))),
    Claim("000.square-of-tones", SOURCE, "square of two tones", "squaring two tones gives the "
          "predicted sum and difference frequencies", IB, "The square of two tones",
          "exact identity", bound(("square_of_tones/max_error", "<", 1e-10))),
    Claim("000.eqs6-14", SOURCE, "eqs. 6-14", "ReLU and SReLU expansions reconstruct f (SReLU "
          "with corrected constants)", IB, _EXP, "f = int c(b) relu(x-b) db, eqs. 6-7, 8-14",
          bound(("expansions/relu_error", "<", 1e-5), ("expansions/srelu_error", "<", 1e-5))),
    Claim("000.eq14-printed", SOURCE, "eq. 14 as printed", "the printed SReLU formula "
          "reconstructs f", IB, _EXP, "eq. 14 (printed constants)",
          bound(("expansions/eq14_printed_min_error", "<", 1e-2))),
    Claim("000.wide-relu-spline", SOURCE, "infinite-width shallow ReLU net", "rich regime "
          "converges to the minimum-curvature interpolant (a linear spline); the kernel regime "
          "does not", IB, "4. Wide shallow ReLU networks: rich regime → linear spline",
          "min int |f''| interpolant",
          bound(("spline/rich_max_ratio", "<", 1.05), ("spline/kernel_min_ratio", ">", 1.5))),
    Claim("000.thm3.2", SOURCE, "Thm 3.2 (Gunasekar et al.)", "linear FC -> min l2; 2-layer "
          "linear conv -> min Fourier-l1; 3 layers -> an l_{2/3} stationary point (each nearer "
          "its own candidate than the others, on the data sets where the candidates are apart)",
          IB, _S5, "min ||F w||_{2/L}",
          bound(("conv/fc_worst_1_minus_cos", "<", 1e-4),
                ("conv/conv2_worst_1_minus_cos", "<", 5e-3),
                ("conv/conv2_worst_gap_ratio", "<", 0.25),
                ("conv/fewest_testable", ">=", 1),
                *((f"conv/worst_angle_ratio/{m}", "<", 0.5) for m in
                  ("FC L=1", "FC L=2", "FC L=3", "conv L=2", "conv L=3")))),
    Claim("000.lemma1", SOURCE, "Lemma 1", "the constraint set of a k-class linear classifier is "
          "a polytope (projection = QP)", AT, "Attacks and the geometry of the target region",
          "Omega = {x : A^T x <= b}", bound(("lemma1_qp_excess", "<=", 1e-6))),
    Claim("000.thm2-thm6", SOURCE, "Thm 2, Thm 6", "closed forms of the min-l2 and "
          "regularisation-based attacks on a two-class linear classifier", AT,
          "Closed forms for a two-class linear classifier", "closed forms",
          bound(("closed_forms/thm2_vs_cvxpy", "<", 1e-5),
                ("closed_forms/thm6_vs_cvxpy", "<", 1e-5),
                ("closed_forms/minnorm_linf_l1_vs_cvxpy", "<", 1e-5),
                ("closed_forms/maxallow_vs_cvxpy", "<", 1e-5))),
    Claim("000.cor1-deepfool", SOURCE, "Corollary 1 (DeepFool)", "DeepFool on a two-class "
          "linear classifier is the minimal attack (plus its overshoot)", AT,
          "DeepFool: linearise, project, repeat", "one step, r = -g(x)/||w||^2 w",
          bound(("deepfool_excess_minus_1e-4", "<", 1e-7),
                ("deepfool/max_abs_vs_foolbox", "<", 1e-7),
                ("deepfool/norm_ratio_min", ">", 0.98))),
    Claim("000.thm7", SOURCE, "Thm 7", "random noise succeeds with probability bounded by "
          "Feller's Gaussian tail bound (eq. 3.60's erfc is the exact value for w = 1)", AT,
          "Random noise is a poor attack",
          "P[(1/d) sum w_j r_j >= eps] <= ||w|| / (eps d sqrt(2 pi)) exp(-d^2 eps^2 / (2 ||w||^2))",
          bound(("noise_erfc_max_z", "<", 4.5), ("feller_lower_over_bound_max", "<=", 1.0),
                ("feller_pairs", ">=", 50))),
    Claim("000.lemma2.1", SOURCE, "Lemma 2.1", "the max-margin linear classifier is the most "
          "robust (dual norm)", AT,
          "Dual norms: the most robust linear classifier is the max-margin one",
          "equivalent problems (Ben-Tal et al.)", bound(("lemma21_max_rel_dev", "<", 1e-5),
                                                              ("lemma21_bracket_width_max", "<", 1e-5))),
    Claim("000.cor1-steepest", SOURCE, "Corollary 1 (steepest descent)", "steepest descent "
          "w.r.t. a norm converges to the classifier most robust in the dual norm", AT,
          "Implicit robustness of steepest descent", "converges to max-margin, Thm 3.1",
          bound(("steepest_descent_margin_gap", "<", 0.03))),
    Claim("000.cor2", SOURCE, "Corollary 2", "2-layer linear conv nets are maximally robust to "
          "perturbations with bounded Fourier-l_inf norm", AT,
          "Fourier robustness of linear convolutional networks", "max robust, ||F delta||_inf",
          bound(("fourier_dual_identity/solver_gap", "<", 1e-6),
                ("fourier_conv/min_cos", ">", 0.995),
                ("fourier_conv/min_radius_ratio", ">", 0.99))),
    Claim("000.masks.sparsity", SOURCE, "Fourier masks: sparsity", "essential Fourier masks are "
          "very sparse", FM, "Essential and adversarial masks",
          "\"Important frequencies are very sparse\"",
          _SPARSITY),
    Claim("000.masks.complement", SOURCE, "Fourier masks: complement", "the prediction survives "
          "the essential mask and drops with its complement", FM, _FMC,
          "\"performance is preserved with the mask\", \"drops "
          f"{MASK_COMPLEMENT_DROP:.0%} with complementary mask\" (VGG11, grayscale Imagenette)",
          complement("vgg11_complement", "VGG11 (grayscale)", "accuracy/vgg11_gray", None,
                     MASK_COMPLEMENT_DROP)),
)


def _resnet20_complement():
    from .s003 import ACCURACY
    from .protocol import quoted
    return Claim("000.masks.complement-resnet20", SOURCE, "Fourier masks: complement (ResNet-20)",
                 "the same with the CIFAR-10 ResNet-20 of Basile et al. (ours, not in the "
                 "lecture)", FM, _FMC, "(not reported)",
                 complement("complement", "ResNet-20", "accuracy/resnet20",
                            quoted(ACCURACY["resnet20"][2]) / 100, MASK_COMPLEMENT_DROP))


CLAIMS = CLAIMS + (_resnet20_complement(),)
