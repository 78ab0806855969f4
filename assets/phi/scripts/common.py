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


def is_common_word(word: str, zipf: float = COMMON_ZIPF) -> bool:
    return (wordfreq.zipf_frequency(word, "en") >= zipf
            or wordfreq.zipf_frequency(word, "es") >= zipf)


def write_list(path: str, header: str, rows: list[tuple[str, str]]) -> None:
    with open(path, "w") as f:
        f.write(header.rstrip() + "\n")
        for term, flags in sorted(set(rows)):
            f.write(f"{term}\t{flags}\n" if flags else f"{term}\n")
