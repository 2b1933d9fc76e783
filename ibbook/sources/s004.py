"""004: Min & Vidal 2024 (poster), can implicit bias imply adversarial robustness? Its numbers:
the O(1/sqrt(K)) attack on the ReLU classifier F (radius slope -1/2 in K), the O(1) radius
(sqrt(2) - delta)/2 of F^(p) for p > 2, and the MNIST training set-up."""
import math

from .protocol import HOLDS, Claim, beats, both, bound, close, ordered, radii_match

SOURCE = "004"
KEY = "min2024implicit"
NAME = "Min & Vidal 2024"

#: The ReLU classifier is broken at radius O(K^(-1/2)): the slope of log radius vs log K.
RELU_RADIUS_SLOPE = -0.5
#: F^(p) is robust for p above this.
P_ROBUST_ABOVE = 2
#: F^(p) withstands attacks of radius (sqrt(2) - delta) / 2.
ROBUST_RADIUS_SQRT = math.sqrt(2)
#: The MNIST experiment: Adam with this batch size (CE loss, Kaiming initialisation, AutoAttack).
MNIST_BATCH = 1000
#: Our choice of delta in (0, sqrt 2) for the checks (not the poster's).
DELTA = 0.3


def robust_radius(delta: float = DELTA) -> float:
    """(sqrt(2) - delta) / 2."""
    return (ROBUST_RADIUS_SQRT - delta) / 2


PR = "prelu"
#: What the prelu chapter's trained-network numbers lack (unless it records >= 3 seeds).
_ONE_SEED = "one seed, no interval"
_TEACH = "Orthogonal clusters and the two candidate classifiers"
_RK = "Robustness against $K$"
_GF = "Gradient flow from a small initialisation"

CLAIMS = (
    Claim("004.thm-relu.classifier", SOURCE, "Thm (ReLU F not robust), the classifier",
          "the exact distance of a cluster centre to F's decision boundary is 1/sqrt(K)", PR,
          _TEACH, "O(1/sqrt(K))", radii_match("teachers/F_centre_radius", "teachers/ks")),
    Claim("004.thm-prelu.classifier", SOURCE, "Thm (pReLU robust, p > 2), the classifier",
          f"no test point of the clusters loses F^(p)'s label within (sqrt 2 - delta)/2 "
          f"(delta = {DELTA}; DDN attack)", PR, _TEACH, "(sqrt(2) - delta)/2",
          bound(("teachers/F3_ddn_test_min", ">=", robust_radius()))),
    Claim("004.thm-relu", SOURCE, "Thm (ReLU F not robust)", "the ReLU classifier F is broken "
          f"by an O(1/sqrt(K)) attack: radius slope {RELU_RADIUS_SLOPE} in K", PR, _RK,
          "(1+rho)/sqrt(K) d0 flips F",
          both(close("radius_vs_K/slopes/p=1, alpha=0.02", RELU_RADIUS_SLOPE, 0.3),
               close("radius_vs_K/slopes/p=1, alpha=0.05", RELU_RADIUS_SLOPE, 0.3))),
    Claim("004.thm-prelu", SOURCE, "Thm (pReLU robust, p > 2)", "F^(p) withstands O(1) attacks: "
          f"radius at least (sqrt 2 - delta)/2 (delta = {DELTA})", PR, _RK,
          "(sqrt(2) - delta)/2, independent of K",
          bound(("radius_vs_K/p3_median_radius_min", ">=", robust_radius()), passed=HOLDS,
                fair="median DDN radius of trained pReLU nets, minimum over all K (an "
                     "empirical check, not the theorem's)",
                uncertainty=_ONE_SEED, seeds_path="radius_vs_K/seeds")),
    Claim("004.conjecture.p1", SOURCE, "Conjecture (p = 1)", "gradient flow on a ReLU net "
          "converges to F", PR, _GF, "f_1(.; theta(T)) ~ F",
          beats("gradient_flow/p1_agree_F_min", "gradient_flow/p1_agree_F3_max", 0.95,
                fair="baseline: agreement with the wrong classifier F^(3)",
                uncertainty=_ONE_SEED, seeds_path="gradient_flow/seeds")),
    Claim("004.conjecture.p3", SOURCE, f"Conjecture (p > {P_ROBUST_ABOVE})", "gradient flow on a "
          "pReLU net converges to F^(p)", PR, _GF, "f_p(.; theta(T)) ~ F^(p)",
          beats("gradient_flow/p3_agree_F3_min", "gradient_flow/p3_agree_F_max", 0.9,
                fair="baseline: agreement with the wrong classifier F",
                uncertainty=_ONE_SEED, seeds_path="gradient_flow/seeds")),
    Claim("004.mnist", SOURCE, "MNIST experiment", "pReLU improves robustness on MNIST without "
          "adversarial training (robust accuracy rises with p)", PR,
          "MNIST: pReLU without adversarial training",
          "\"pReLU improves the robustness of trained network on MNIST\"",
          ordered("mnist/robust_mean/Linf 0.1", increasing=True,
                  fair="mean over the chapter's seeds",
                  uncertainty="means over seeds recorded without their spread or a CI")),
)
