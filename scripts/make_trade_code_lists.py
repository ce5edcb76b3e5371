#!/usr/bin/env python3
"""Regenerate the trade code lists compiled into patronage-core:

  crates/patronage-core/data/iso2_codes.tsv     ISO 3166 alpha-2 -> Comtrade code(s)
  crates/patronage-core/data/gacc_partners.tsv  China customs (GACC) partner code -> Comtrade code

Both map onto the Comtrade registry (comtrade_countries.tsv), which carries the ISO3
and the validity years, so every source's country codes go through one table.

Inputs, from a folder given as the first argument (default: ../shared/formats beside
the checkout):
  comtrade/comtrade_legacy_country_codes.csv  legacy list with ISO2, ISO3 and validity
                                             years (not valid CSV: unquoted commas)
  gacc/gacc_partners_en-TradingPartner-cleaned-manually.csv  GACC codes, plain names
  gacc/gacc_partners_en-TradingPartner.csv   GACC codes as published (GB18030,
                                             unquoted commas: `109,Korea,DPR,`)

Rules:
  * ISO2: every legacy entry with an ISO2 and an ISO3 gives `iso2 code`; an ISO2 may
    map to several codes (DE: 280 West Germany to 1990, 276 Germany); the lookup picks
    the one valid in the row's year.
  * GACC: the English name is matched to a Comtrade name (case and punctuation
    ignored), else through ALIASES below; GACC's "nes" areas and codes with no
    Comtrade counterpart get no code and are rejected at normalization.
"""
import pathlib
import re
import sys

here = pathlib.Path(__file__).resolve().parent.parent
src = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else here.parent / "shared/formats"
data = here / "crates/patronage-core/data"

registry = {}
for line in (data / "comtrade_countries.tsv").read_text().splitlines()[1:]:
    code, iso3, name, vf, vt, kind = line.split("\t")
    registry[int(code)] = (iso3, name, kind)

legacy_lines = (src / "comtrade/comtrade_legacy_country_codes.csv").read_text(encoding="utf-8").splitlines()[1:]
iso2 = []
names = {}
for line in legacy_lines:
    p = line.split(",")
    code = int(p[0])
    two, three = p[-4], p[-3]
    if code in registry:
        names.setdefault(norm := re.sub(r"[^a-z]", "", p[1].lower()), code)
        if re.fullmatch(r"[A-Z]{2}", two) and re.fullmatch(r"[A-Z]{3}", three):
            iso2.append((two, code))
for code, (iso3, name, kind) in registry.items():
    names.setdefault(re.sub(r"[^a-z]", "", name.lower()), code)

ALIASES = {
    # GACC English name -> Comtrade code, where the names differ.
    "North Korea": 408, "South Korea": 410, "China": 156, "Taiwan": 490, "Hong Kong": 344,
    "Macau": 446, "Russia": 643, "Iran": 364, "Laos": 418, "Syria": 760, "Vietnam": 704,
    "Brunei": 96, "East Timor": 626, "Palestine": 275, "Turkey": 792, "Moldova": 498,
    "Czech Republic": 203, "North Macedonia": 807, "Vatican City State": 336,
    "Republic of the Congo": 178, "Democratic Republic of the Congo": 180,
    "Ivory Coast": 384, "Cape Verde": 132, "Tanzania": 834, "Eswatini": 748,
    "United Kingdom": 826, "United States": 842, "France": 251, "Italy": 381,
    "Norway": 579, "Switzerland": 757, "India": 699, "Bolivia": 68, "Venezuela": 862,
    "Federated States of Micronesia": 583, "Saint Kitts and Nevis": 659,
    "Serbia and Montenegro": 891, "Netherlands Antilles": 530, "Curaçao": 531,
    "Saint Lucia": 662, "Saint Vincent and the Grenadines": 670,
    "Central African Republic": 140, "Dominican Republic": 214, "Libya": 434,
    "Egypt": 818, "Gambia": 270, "Bahamas": 44, "Bosnia and Herzegovina": 70,
    "British Virgin Islands": 92, "Faroe Islands": 234, "Cook Islands": 184,
    "Wallis and Futuna": 876, "Saint Pierre and Miquelon": 666, "Mayotte": 175,
    "Réunion": 638, "Western Sahara": 732, "South Sudan": 728, "Sudan": 729,
    "Cayman Islands": 136, "Solomon Islands": 90, "Marshall Islands": 584,
    "São Tomé and Príncipe": 678, "Turks and Caicos Islands": 796,
}

gacc = []
unmatched = []
for line in (src / "gacc/gacc_partners_en-TradingPartner-cleaned-manually.csv").read_text(encoding="utf-8").splitlines()[1:]:
    p = line.split(",", 2)
    if len(p) < 2 or not p[0].strip().isdigit():
        continue
    code, name = int(p[0]), p[1].replace("\x00", "").strip()
    ct = ALIASES.get(name)
    if ct is None and not name.endswith(" nes"):
        ct = names.get(re.sub(r"[^a-z]", "", name.lower()))
    if ct is not None and ct not in registry:
        ct = None
    if ct is None:
        unmatched.append((code, name))
    gacc.append((code, "" if ct is None else str(ct), name))

published = {}
raw = (src / "gacc/gacc_partners_en-TradingPartner.csv").read_bytes().decode("gb18030")
for line in raw.splitlines()[1:]:
    code, _, rest = line.partition(",")
    if code.strip().isdigit():
        published[int(code)] = rest.rstrip(",").replace("\x00", "").strip()

with open(data / "iso2_codes.tsv", "w") as f:
    f.write("iso2\tcode\n")
    for two, code in sorted(set(iso2)):
        f.write(f"{two}\t{code}\n")
with open(data / "gacc_partners.tsv", "w") as f:
    f.write("gacc_code\tcomtrade_code\tname\tpublished_name\n")
    for code, ct, name in sorted(gacc):
        f.write(f"{code}\t{ct}\t{name}\t{published.get(code, '')}\n")
print(f"iso2: {len(set(iso2))} pairs; gacc: {len(gacc)} codes, {len(unmatched)} without a Comtrade code:",
      ", ".join(f"{c} {n}" for c, n in unmatched), file=sys.stderr)
