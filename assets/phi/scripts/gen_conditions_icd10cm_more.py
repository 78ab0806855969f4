"""Regenerate ../conditions_icd10cm_more.txt: condition words from the ICD-10-CM inclusion
terms and the titles of codes below the subcategory level.

Upstream: ICD-10-CM (CDC/NCHS, distributed by CMS), public domain, as shipped in the PyPI
package simple-icd-10-cm (April 2026 tabular list). Run:
    python -m venv venv && . venv/bin/activate && pip install -r requirements.txt
    python gen_conditions_icd10cm_more.py

gen_conditions_icd10cm.py takes the words of category and subcategory *titles*. The
inclusion terms ("Hoarseness" under R49.0 Dysphonia, "Bloating" under R14.0) carry the
words patients and staff actually write, but also more descriptive, everyday words, so the
rule here is stricter (see ../README.md, curation rule 1):
  - the same filters: chapters A00-R99, at least 5 letters, not a common US name, not a
    structural word of the classification, rarer than Zipf 3.0 in English and Spanish;
  - rarer than Zipf 2.0 (fewer than one in 100 million words): clinical on its own;
  - Zipf 2.0 to 3.0 ("bloating", "toothache", "tiredness"): context-only (`ctx`);
  - words reviewed by hand as not clinical by themselves (NOT_CLINICAL below: everyday
    words, eponyms that are surnames, enzyme and classification jargon, split fragments)
    are dropped;
  - words already in conditions_icd10cm.txt are left to that list.
"""

import os
import re

import simple_icd_10_cm as cm
import wordfreq

from common import ASSETS, all_names, is_common_word, write_list
from gen_conditions_icd10cm import STRUCTURAL

RARE_ZIPF = 2.0

# Reviewed by hand: words of inclusion terms that do not name a condition by themselves.
NOT_CLINICAL = set("""
aberrant ablative activator adherent alder americanus amoral annular annulus anomalous
antecedent arcuate arithmetical babbling backwash ballooning banding barraquer bednar belli
benedikt betel bifurcation bilious biosynthesis brailsford bronzed calabar chimera cinca
circadian circumscribed clammy colli compensatory concomitant confluent congruent
constricting conjugation convergent cooing corkscrew corti cowper creases crescendo crosse
cusps dente desultory displeasing disuse dominantly droop dullness duplications elaboration
engelmann entanglement entrant exertion extrinsic extruded faltering fancier favre filles
flabby flava fleshy fluor folie forceps freckle furrowed ghoul girdle globus goldblatt grunts
halos harvester haverhill headedness hebra heritable honeycomb hourglass hybridization
inadvertent incisive incongruent insertions inversions irreducible iselin jeune kabuki kleine
labile landau larval lecithin leiden leventhal ligature lingua lorain majeed marseilles
maturation mendelson minkowski misshapen moldy molle molybdenum muckle multicore murine niacin
nicotinamide nigra noxious obeys obliteration oppenheim orifice oroya overhanging
overproduction palisade parsonage pedicle penta perceptive perforating persisting phonological
picker pinhole plucking polymorphic precipitous precocious primum proliferating purging
quadrilateral radiations reconstitution reticulated reversibility rubinstein schultze scimitar
scintillating secondarily secundum senescence senescent sequestration sheathing sidewall
sighing simian simmonds sinensis situs smoldering smouldering sneddon socialized soiling sotos
squashed steely stellate stereotyped stressor subtype sulfite superimposed supernumerary
supine symbiotic synthase synthetase tabes talker tangier tardy tauri taussig torus transducer
transitory translocations transposition trier trophic tryptophan tuberosa tunica unclassified
undetermined undifferentiated vater vestige welders winking woakes wallenberg oxidase
reductase dehydrogenase hydroxylase pyruvate monophosphate polypeptide glycoprotein glycol
adenosine insecticide interleukin anatomic nonspecific nontoxic foodborne multifactorial
reticular hemispheric homonymous seclusion fugue ventilator forceps dimple amphetamine
opiates sedative tranquilizers cannabinoid hallucinogen dipstick radiography radioisotope
radiological serological histologically electrophysiological etiology
bagasse bamberger battey bogaert bornholm briquet cementation classifiable convolutions
cyclohexane danon dhobi dubium eales flexure freiberg friedl furrier ganong gleich greyness
gubler habermann haymaker highmore jeunes juxta kinking kuroki lafora latus libman lightwood
localizes linguae medicaments miyoshi monopolar morvan panner phagocytes recklinghausen
schilder schwalbe songo spheroids takahara tokelau treacher wedging unclassifiable unroofed
zinsser isomerase acyltransferase aminoacyl carboxylase deaminase esterase hexokinase
phosphorylase glutamyl ornithine succinic pantothenic pyridoxine triacylglycerol
dentifrice hepta londe nberg ffler littr llerian nchausen nckeberg nlein rosenm sbeck
waldenstr ragpicker woolsorter corkworker corkhandler coalworker budgerigar remissionmu
annulati hafous haltlose sequoiosis aldren asadollahi hirschorn dicentrics multimers economo
prometaphase heterochromatin isochromosome isochromosomes trisomies
""".split())


def texts(code: str) -> list[str]:
    out = list(cm.get_inclusion_term(code))
    if not cm.is_category_or_subcategory(code):
        out.append(cm.get_description(code))
    return out


def zipf(w: str) -> float:
    return max(wordfreq.zipf_frequency(w, "en"), wordfreq.zipf_frequency(w, "es"))


def main() -> None:
    names = all_names()
    with open(os.path.join(ASSETS, "conditions_icd10cm.txt")) as f:
        titles = {line.split("\t")[0].strip() for line in f if not line.startswith("#")}
    rows: dict[str, str] = {}
    for code in cm.get_all_codes(with_dots=False):
        if code[0] not in "ABCDEFGHIJKLMNOPQR" or cm.is_chapter_or_block(code):
            continue
        for text in texts(code):
            for w in re.findall(r"[a-z]+", text.lower()):
                if (len(w) < 5 or w in STRUCTURAL or w in titles
                        or w in NOT_CLINICAL or is_common_word(w)):
                    continue
                # A first name or surname of the full lists needs context, however rare.
                rows[w] = "nofuzzy" if zipf(w) < RARE_ZIPF and w not in names else "ctx"
    header = (
        "# Condition words from ICD-10-CM inclusion terms and code titles below the subcategory,\n"
        "# chapters A00-R99 (CMS/CDC NCHS, public domain), via PyPI simple-icd-10-cm 1.5.0.\n"
        "# Generated by scripts/gen_conditions_icd10cm_more.py; do not edit.\n"
        "# Format: term[<TAB>flags]; ctx = needs clinical context (see README.md)."
    )
    write_list(os.path.join(ASSETS, "conditions_icd10cm_more.txt"), header, list(rows.items()))
    print(f"{len(rows)} terms, {sum(1 for v in rows.values() if v == 'ctx')} context-only")


if __name__ == "__main__":
    main()
