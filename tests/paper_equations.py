"""The paper's equations transcribed straight from atlas-paper.md Appendix A in plain numpy, written apart from
``atlas_core.laws`` (nothing is imported from it), so that tests can generate data the library did not make.

Each function takes a DataFrame of inputs and a dict of parameters and returns the loss.
"""

from __future__ import annotations

import numpy as np


def S(D, U, lam):
    """S(D;U) = D if D<=U else U*(1 + (1-exp(-lam*(D/U-1)))/lam)."""
    D, U = np.asarray(D, float), np.asarray(U, float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        above = U * (1 + (1 - np.exp(-lam * (D / U - 1))) / lam)
    return np.where(D <= U, D, above)


def csl(x, p):
    """CSL: L = E + A/N^a + B/D^b."""
    return p["E"] + p["A"] / x["N"] ** p["alpha"] + p["B"] / x["D"] ** p["beta"]


def dcsl(x, p):
    """DCSL: L = E + A/N'^a + B/D'^b; D' = U_D*(1 + R_D*(1-exp(-R_D/R_D*))), R_D = max(D/U_D - 1, 0);
    N' = U_N*(1 + R_N*(1-exp(-R_N/R_N*))), U_N = min(N, N_opt(U_D)), R_N = max(N/U_N - 1, 0);
    N_opt(U) = (U*G)^(b/a) * G, G = (a*A/(b*B))^(1/(a+b)) (datablations). U_D is the unique tokens the run
    saw, min(D, unique tokens available) (Muennighoff et al.: D = U_D + U_D R_D)."""
    a, b, A, B = p["alpha"], p["beta"], p["A"], p["B"]
    N, D, U = (np.asarray(x[c], float) for c in ("N", "D", "U"))
    U = np.minimum(D, U)
    R_D = np.maximum(D / U - 1, 0)
    D_prime = U * (1 + p["R_D"] * (1 - np.exp(-R_D / p["R_D"])))
    G = (a * A / (b * B)) ** (1 / (a + b))
    U_N = np.minimum(N, (U * G) ** (b / a) * G)
    R_N = np.maximum(N / U_N - 1, 0)
    N_prime = U_N * (1 + p["R_N"] * (1 - np.exp(-R_N / p["R_N"])))
    return p["E"] + A / N_prime ** a + B / D_prime ** b


def msl(x, p):
    """MSL: L_i = (E_i + A_i/N^a_i + B_i/D^b_i) * p_i^(-g_i)."""
    return csl(x, p) * np.asarray(x["p"], float) ** (-p["gamma"])


def atlas(x, p, transfer=(), other=False):
    """ATLAS: L = E + A/N^a + B/Deff^b; Deff = S(D_t;U_t) + sum_i tau_i*S(D_i;U_i) + tau_o*S(D_o;U_o),
    D_o = D_tot - D_t - sum D_i (U_o = inf when absent: no saturation)."""
    lam = p["lambda"]
    D_eff = S(x["D"], x["U"], lam)
    for s in transfer:
        D_eff = D_eff + p[f"tau_{s}"] * S(x[f"D_{s}"], x[f"U_{s}"], lam)
    if other:
        D_o = x["D_total"] - x["D"] - sum(x[f"D_{s}"] for s in transfer)
        U_o = x["U_other"] if "U_other" in x else np.inf
        D_eff = D_eff + p["tau_other"] * S(D_o, U_o, lam)
    return p["E"] + p["A"] / x["N"] ** p["alpha"] + p["B"] / D_eff ** p["beta"]


def curse(x, p):
    """K-law: L(K,N,D_t) = Linf + A*K^phi/N^a + B*K^psi/D_t^b."""
    K = np.asarray(x["K"], float)
    return p["E"] + p["A"] * K ** p["phi"] / x["N"] ** p["alpha"] + p["B"] * K ** p["psi"] / x["D"] ** p["beta"]
