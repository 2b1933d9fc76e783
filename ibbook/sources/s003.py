"""003: Basile et al. 2024, relating essential and adversarial Fourier masks through the
intrinsic dimension (Id). Tables 1-3 and the classifiers' accuracies are quoted here once; the
intrinsic-dimension and masks chapters import them."""
from typing import Callable

from .protocol import ALPHA, Claim, calibration, close, close_or_sign, bound, id_test, network_control, \
    quoted, significant_z

SOURCE = "003"
KEY = "basile2024relating"
NAME = "Basile et al. 2024"

#: Table 1: the spiral (R^2, Id, Id after shuffling, Z, P-value), quoted.
TABLE1 = {"R^2": "2.5e-03", "Id": 1.02, "Id (shuffle)": "1.95 ± 0.03", "Z": -74.51, "p": "0"}
#: Tables 2 (CIFAR-10) and 3 (Imagenette, ResNet-18): (attack, model) -> (cosine similarity,
#: Id, Id after shuffling, Z, P-value), quoted ("n/a": not given).
TABLE2_3 = {
    ("FMN", "ResNet-20"): ("0.25 ± 0.16", 31.65, "34.98 ± 0.73", -4.56, "2.5e-06"),
    ("PGD", "ResNet-20"): ("0.22 ± 0.15", 32.35, "36.18 ± 0.72", -5.31, "5.4e-08"),
    ("DeepFool", "ResNet-20"): ("0.25 ± 0.15", 30.35, "33.93 ± 0.73", -4.91, "4.5e-07"),
    ("FMN", "CCT-7"): ("0.22 ± 0.17", 22.93, "24.47 ± 0.34", -4.50, "3.4e-06"),
    ("PGD", "CCT-7"): ("0.21 ± 0.17", 23.31, "24.49 ± 0.41", -2.86, "2.1e-03"),
    ("DeepFool", "CCT-7"): ("0.20 ± 0.16", 23.44, "25.10 ± 0.35", -4.81, "7.4e-07"),
    ("FMN", "ResNet-18 (Imagenette)"): ("0.22 ± 0.10", 65.06, "69.18 ± 2.12", "n/a", "2.6e-02"),
    ("PGD", "ResNet-18 (Imagenette)"): ("0.12 ± 0.07", 81.80, "77.25 ± 2.94", 1.54, "9.4e-01"),
    ("DeepFool", "ResNet-18 (Imagenette)"): ("0.15 ± 0.09", 65.14, "69.90 ± 2.50", "n/a",
                                             "2.8e-02"),
}
#: Mean cosine similarity of essential and adversarial masks, ResNet-20 (Table 2's column).
COSINE = {a: TABLE2_3[a, "ResNet-20"][0] for a in ("FMN", "PGD", "DeepFool")}
#: The classifiers' test accuracies (%), quoted: name -> (label, data set, accuracy).
ACCURACY = {"resnet20": ("ResNet-20", "CIFAR-10", "92.17"),
            "cct7": ("CCT-7/3x1", "CIFAR-10", "95.64"),
            "resnet18_imagenette": ("ResNet-18", "Imagenette", "98.37"),
            "vgg11_gray": ("VGG11, grayscale", "Imagenette", "not given")}

ID = "intrinsic_dim"
_T1 = "Table 1: the spiral"
_T23 = "Essential versus adversarial masks (Tables 2 and 3)"
_T2_LARGE = "Table 2 at the large scale"  # the ResNet-20 rows are read from the large run
#: Result label of a model in the intrinsic-dimension chapter -> its key in :data:`ACCURACY`.
_MODEL_KEY = {"ResNet-20": "resnet20", "CCT-7": "cct7",
              "ResNet-18 (Imagenette)": "resnet18_imagenette"}


def _paper_text(attack: str, model: str) -> str:
    _, i_d, sh, z, p = TABLE2_3[attack, model]
    mant, exp = p.split("e")
    p_text = f"{mant}·10^{int(exp)}"
    if z == "n/a":
        return f"Id {i_d}, shuffled {sh}, P = {p_text}"
    return f"Z = {z:.2f}, P = {p_text}"


def id_effect(attack: str, model: str) -> float:
    """The paper's effect of a row of Tables 2-3, relative: (shuffled mean - Id) / shuffled
    mean. For a row the paper finds not significant, the smallest effect of that model's
    significant rows (the effect the test must be able to see for "not correlated" to mean
    anything)."""
    def eff(a: str) -> float:
        _, i_d, sh, _, _ = TABLE2_3[a, model]
        return (quoted(sh) - i_d) / quoted(sh)
    if float(TABLE2_3[attack, model][4]) < ALPHA:
        return eff(attack)
    return min(eff(a) for a, m in TABLE2_3 if m == model and float(TABLE2_3[a, m][4]) < ALPHA)


def _table1_z_note() -> str:
    """The paper's Table 1 Z against its own Id and shuffled mean ± std."""
    sh, sd = (float(x) for x in TABLE1["Id (shuffle)"].split("±"))
    z = (TABLE1["Id"] - sh) / sd
    return (f"{TABLE1['Z']} (P-value {TABLE1['p']}); inconsistent with the table's own numbers: "
            f"({TABLE1['Id']} - {sh}) / {sd} = {z:.0f}, not {TABLE1['Z']}; graded: significant "
            "(the sign and the test), not the size")


def _gpu_needs(model: str) -> Callable[[], str]:
    """What a ``large`` run of ``model``'s Table 2-3 row would take (``reproduce --estimate``)."""
    def needs() -> str:
        from ibbook.reproduce import table2_cost_rows
        row = next(r for r in table2_cost_rows() if r["model"] == model)
        return (f"needs a GPU: about {row['gpu_s'] / 3600:.1f} h for its network at the paper's recipe "
                "and four masks on each of 2,000 test images (reproduce --estimate)")
    return needs


def _id_claim(table: str, attack: str, model: str) -> Claim:
    significant = float(TABLE2_3[attack, model][4]) < 0.05
    key = _MODEL_KEY[model]
    paper_acc = quoted(ACCURACY[key][2]) / 100
    label = model.replace(" (Imagenette)", "").lower().replace("-", "")
    return Claim(f"003.{table.lower().replace(' ', '')}.{label}.{attack.lower()}", SOURCE,
                 f"{table}, {model}, {attack}",
                 f"essential and {attack} masks are {'' if significant else 'not '}correlated "
                 "(Id test)", ID, _T2_LARGE if model == "ResNet-20" else _T23, _paper_text(attack, model),
                 id_test(model, attack, significant,
                         accuracy=("fourier_masks", f"accuracy/{key}", paper_acc),
                         effect=id_effect(attack, model)),
                 needs=None if model == "ResNet-20" else _gpu_needs(model))


CLAIMS = (
    Claim("003.s3.2.twonn", SOURCE, "§3.2 TwoNN", "our TwoNN equals dadapy's (the paper's "
          "implementation)", ID, "Fast and exact", "dadapy TwoNN",
          bound(("fast_vs_dadapy_max_rel", "<=", 1e-4))),
    Claim("003.table1.id", SOURCE, "Table 1, Id", "intrinsic dimension of the spiral", ID, _T1,
          f"{TABLE1['Id']}", close("spiral/id", TABLE1["Id"], 0.05)),
    Claim("003.table1.id-shuffled", SOURCE, "Table 1, Id (shuffle)", "Id after shuffling one "
          "coordinate", ID, _T1, TABLE1["Id (shuffle)"],
          close("spiral/shuffled_mean", quoted(TABLE1["Id (shuffle)"]), 0.05)),
    Claim("003.table1.r2", SOURCE, "Table 1, R²", "no linear correlation in the spiral", ID, _T1,
          TABLE1["R^2"], close_or_sign("spiral/r2", float(TABLE1["R^2"]), 0.5, 0.05)),
    Claim("003.table1.z", SOURCE, "Table 1, Z", "the Id test detects the correlation", ID, _T1,
          _table1_z_note(),
          significant_z("spiral/z",
                        fair="shuffled baseline in the run; Z grows with N (paper's N not "
                             "stated), so only its significance is compared")),
    Claim("003.s3.2.calibration", SOURCE, "§3.2 calibration", "the test keeps its false-positive "
          "rate on independent data (ours, not in the paper)", ID, "Is the test calibrated?",
          "(not reported)",
          calibration("false_positive_rate_max", "calib_pairs", ("calib_n", "calib_dims"))),
    *(_id_claim(table, attack, model) for table, model in
      (("Table 2", "ResNet-20"), ("Table 2", "CCT-7"), ("Table 3", "ResNet-18 (Imagenette)"))
      for attack in ("FMN", "PGD", "DeepFool")),
    *(Claim(f"003.control.resnet20.{attack.lower()}", SOURCE, f"Control, ResNet-20, {attack}",
            "the correlation belongs to the network that made the masks: its own adversarial masks "
            "are more tied to its essential masks than a twin's (same recipe, other seed; swap test), "
            "and the twin's show no significant tie (ours, not in the paper; an equally tied twin "
            "leaves the images or the bias both networks share as the cause)", ID, "A stronger null: two networks", "(not tested)",
            network_control("ResNet-20", attack)) for attack in ("FMN", "PGD", "DeepFool")),
)
