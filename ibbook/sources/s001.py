"""001: Ortega Caro et al. 2020, learning dynamics and the Fourier bias of architectures.

Tables 1, 2 and 4 (Table 3 lists architectures, no numbers a chapter compares) are quoted here
once; the Fourier-bias chapter imports them."""
from .protocol import VERIFIED, Claim, accuracies, bound, finding

SOURCE = "001"
KEY = "ortegacaro2020learning"
NAME = "Ortega Caro et al. 2020"

#: Table 1 (linear models): |delta^|_2, |delta^|_1, |beta^|_2, |beta^|_1, mean ± std, quoted.
TABLE1 = {
    "FC": ("20.77 ± 1.23", "505.95 ± 32.22", "546.89 ± 43.37", "2232.46 ± 166.27"),
    "full conv": ("17.52 ± 1.56", "376.31 ± 32.66", "544.83 ± 42.40", "1598.37 ± 181.44"),
    "bounded conv": ("20.65 ± 1.09", "556.32 ± 32.64", "500.67 ± 47.46", "2623.04 ± 331.42"),
    "deep FC": ("20.83 ± 1.25", "503.92 ± 32.62", "554.16 ± 38.95", "2168.06 ± 134.07"),
    "deep full conv": ("17.13 ± 1.68", "265.40 ± 41.72", "522.99 ± 39.72", "1417.68 ± 213.91"),
    "deep bounded conv": ("20.57 ± 0.94", "550.30 ± 29.71", "498.52 ± 47.15", "2392.09 ± 278.55"),
}
#: Table 2 (non-linear models): |delta^|_2, |delta^|_1, quoted.
TABLE2 = {
    "ReLU FC": ("22.06 ± 1.35", "534.34 ± 35.93"),
    "ReLU locally conn.": ("22.32 ± 1.13", "587.61 ± 29.89"),
    "ReLU full conv": ("20.57 ± 1.11", "405.49 ± 34.16"),
    "ReLU bounded conv": ("24.63 ± 1.36", "665.22 ± 38.55"),
    "shallow ResNet": ("26.36 ± 0.74", "709.06 ± 20.76"),
    "VGG-19": ("23.32 ± 0.99", "650.73 ± 27.87"),
    "ResNet-18": ("22.42 ± 0.91", "626.60 ± 25.40")}
#: Table 4: test accuracies, quoted.
TABLE4_ACCURACY = {
    "FC": 0.41, "locally conn.": 0.35, "full conv": 0.41, "bounded conv": 0.41, "deep FC": 0.41,
    "deep full conv": 0.36, "deep bounded conv": 0.41, "ReLU FC": 0.52, "ReLU locally conn.": 0.54,
    "ReLU bounded conv": 0.63, "shallow ResNet": 0.64, "VGG-19": 0.91, "ResNet-18": 0.92}
#: Table 6: the L-infinity budget of the PGD attack.
PGD_EPS = 8 / 255

FB, LD = "fourier_bias", "learning_dynamics"
_VB = "Verdicts"
_LDF = "The paper's findings at this scale"
#: What the Fourier-bias runs lack for a verdict on an ordering (protocol items 1 and 2).
NO_UNTRAINED = "the untrained networks at the same seed are not measured"
NO_CI = "one seed, no CI over seeds or images"
NO_CI_LD = "one run, no bootstrap over the attacked images"


def _b1(model: str) -> str:
    return f"||beta^||_1 {TABLE1[model][3].split(' ±')[0]}"


def _d1(model: str, table=TABLE1) -> str:
    return f"||delta^||_1 {table[model][1].split(' ±')[0]}"


def _fb(cid, item, claim, paper, models):
    return Claim(cid, SOURCE, item, claim, FB, _VB, paper,
                 finding(cid, baseline=NO_UNTRAINED, uncertainty=NO_CI, models=models,
                         paper_acc=TABLE4_ACCURACY))


_LIN = ("FC", "full conv")
_FINAL_ACC = ("ResNet-18", "dynamics/attacked accuracy", TABLE4_ACCURACY["ResNet-18"])


def _ld(cid, item, claim, paper, uncertainty=NO_CI_LD, has=""):
    return Claim(cid, SOURCE, item, claim, LD, _LDF, paper,
                 finding(cid, uncertainty=uncertainty, has=has, gate=_FINAL_ACC))


CLAIMS = (
    Claim("001.table4", SOURCE, "Table 4", "test accuracies of the linear models and, higher, "
          "of the ReLU models", FB, "Training",
          "linear {:.0%}-{:.0%}, ReLU {:.0%}-{:.0%}, VGG-19 {:.0%}, ResNet-18 {:.0%}".format(
              min(TABLE4_ACCURACY[m] for m in list(TABLE4_ACCURACY)[:7]),
              max(TABLE4_ACCURACY[m] for m in list(TABLE4_ACCURACY)[:7]),
              min(TABLE4_ACCURACY[m] for m in list(TABLE4_ACCURACY)[7:11]),
              max(TABLE4_ACCURACY[m] for m in list(TABLE4_ACCURACY)[7:11]),
              TABLE4_ACCURACY["VGG-19"], TABLE4_ACCURACY["ResNet-18"]),
          accuracies("test_accuracy", TABLE4_ACCURACY, 0.05)),
    Claim("001.lemma1", SOURCE, "Lemma 1", "the end-to-end predictor of a linear conv net from "
          "its layers", FB, "The end-to-end predictor of a linear network",
          "beta from the parametrisation map", bound(("beta_identity_rel_err", "<", 1e-4),
                                                     passed=VERIFIED)),
    _fb("001.table1.linear.fullconv-sparser-beta", "Table 1",
        "linear: full conv has a sparser beta^ than FC",
        f"{_b1('full conv')} (full conv) vs {_b1('FC').split()[-1]} (FC)", _LIN),
    _fb("001.table1.linear.fullconv-sparser-delta", "Table 1",
        "linear: full conv has a sparser delta^ than FC",
        f"{_d1('full conv')} vs {_d1('FC').split()[-1]}", _LIN),
    _fb("001.table1.linear.depth-sparser-beta", "Table 1",
        "linear: depth makes the full conv's beta^ sparser",
        f"{_b1('deep full conv')} (deep) vs {_b1('full conv').split()[-1]}",
        ("full conv", "deep full conv")),
    _fb("001.table1.linear.depth-sparser-delta", "Table 1",
        "linear: depth makes the full conv's delta^ sparser",
        f"{_d1('deep full conv')} (deep) vs {_d1('full conv').split()[-1]}",
        ("full conv", "deep full conv")),
    _fb("001.table1.linear.fc-depth-invariant", "Table 1",
        "linear: FC's beta^ does not depend on depth",
        f"{_b1('deep FC')} (deep FC) vs {_b1('FC').split()[-1]}", ("FC", "deep FC")),
    _fb("001.s3.3.1.locally-conn-like-fc", "§3.3.1", "linear: locally conn. spreads beta^ like FC",
        "Fig. 8", ("locally conn.", "FC", "full conv")),
    _fb("001.s3.3.1.bounded-beta-higher", "§3.3.1",
        "linear: bounded conv puts beta^ at higher freq. than FC", "Fig. 8b",
        ("bounded conv", "FC")),
    _fb("001.s3.3.1.bounded-delta-higher", "§3.3.1",
        "linear: bounded conv puts delta^ at higher freq. than FC", "Fig. 8b",
        ("bounded conv", "FC")),
    _fb("001.table2.relu.fullconv-sparser-delta", "Table 2",
        "ReLU: full conv has a sparser delta^ than FC",
        f"{_d1('ReLU full conv', TABLE2)} vs {_d1('ReLU FC', TABLE2).split()[-1]}",
        ("ReLU full conv", "ReLU FC")),
    _fb("001.fig4b.relu.bounded-higher", "Fig. 4b",
        "ReLU: bounded conv's delta^ is higher freq. than full conv",
        "\"deep, bounded-Width models shift energy into higher frequencies\"",
        ("ReLU bounded conv", "ReLU full conv", "ReLU FC")),
    _fb("001.s3.3.2.relu.locally-conn-like-fc", "§3.3.2",
        "ReLU: locally conn.'s delta^ resembles FC's", "Fig. 4",
        ("ReLU locally conn.", "ReLU FC", "ReLU full conv")),
    _fb("001.fig11.alpha.wide-bounded", "Fig. 11",
        "alpha 10 gives higher freq. delta^ than 0.1 (wide bounded conv)",
        "impact of initial weight scale alpha",
        ("wide bounded conv a=0.1", "wide bounded conv a=10")),
    _fb("001.fig11.alpha.locally-conn", "Fig. 11",
        "alpha 10 gives higher freq. delta^ than 0.1 (locally conn.)",
        "impact of initial weight scale alpha", ("locally conn. a=0.1", "locally conn. a=10")),
    _ld("001.s3.1.absent-at-init", "§3.1, Fig. 2a",
        "adversarial examples are absent at initialisation", "success rate ~0 at epoch 0"),
    _ld("001.s3.1.emerge-early", "§3.1", "they emerge early", "\"emerge early in training\""),
    _ld("001.fig2a.rises-with-accuracy", "Fig. 2a", "the success rate rises with accuracy",
        "rises with accuracy", None, "Pearson r over the snapshots"),
    _ld("001.fig2a.final-lags", "Fig. 2a", "the final network's perturbations lag",
        "\"final network adversarial attacks lag behind\"", None, "compared on every snapshot"),
    _ld("001.fig3.l2-shrinks", "Fig. 3 top", "the minimal l2 perturbation shrinks",
        "L2 norm of delta decreases", None, "Spearman rho over the snapshots"),
    _ld("001.fig3.linf-shrinks", "Fig. 3 top", "the minimal l-inf perturbation shrinks",
        "L_inf norm decreases", None, "Spearman rho over the snapshots"),
    *(_ld(f"001.{fig}.{what}.{since}", ref, f"{text} {since_text}", paper)
      for since, since_text in (("init", "from initialisation"),
                                ("epoch1", "after the first epoch"))
      for fig, ref, what, text, paper in (
          ("fig2b", "Figs. 2b, 3", "pgd-higher", "PGD perturbations move to higher frequencies",
           "higher k_r"),
          ("fig2b", "Figs. 2b, 3", "deepfool-higher",
           "DeepFool-l2 perturbations move to higher frequencies", "higher k_r"),
          ("fig2c", "Fig. 2c", "angular-uniform",
           "the angular energy of PGD perturbations becomes more uniform",
           "more uniform angular energy"))),
    _ld("001.fig1.relu-changes", "Figs. 1, 6, 7", "ReLU changes: adversarial above random",
        "more ReLU changes", None, "random directions as baseline; Wilcoxon test"),
    _ld("001.fig1.roughness", "Figs. 1, 6, 7", "roughness: adversarial above random",
        "rougher paths", None, "random directions as baseline; Wilcoxon test"),
)
#: Table 6: the PGD step as a fraction of the budget ("learning rate 0.1").
PGD_REL_STEP = 0.1
