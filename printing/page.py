"""Paper sizes: letter where people use letter, A4 everywhere else."""

from __future__ import annotations

from reportlab.lib.pagesizes import A4, letter

# Countries whose offices use US letter paper (ISO 3166 codes).
LETTER_COUNTRIES = frozenset({"US", "CA", "MX", "PH", "CL", "CO", "VE", "GT", "CR", "DO", "SV", "NI", "PR", "BZ"})


def page_size_for(locale: str) -> tuple[float, float]:
    """"en_US" -> letter, "fr_CA" -> letter, "en_GB" -> A4, "de" -> A4."""
    country = locale.replace("-", "_").split(".")[0].split("_")[-1].upper() if "_" in locale.replace("-", "_") else ""
    return letter if country in LETTER_COUNTRIES else A4
