#!/usr/bin/env python3
"""Regenerate crates/patronage-core/data/comtrade_countries.tsv.

Inputs are the official UN Comtrade reference lists, read from a folder given as
the first argument (default: ../shared/formats/comtrade beside the checkout):
  comtrade_v1_ref_partner_country.csv   v1 partner areas (latin-1, trailing comma,
                                        one field fewer when ISO2 is empty)
  comtrade_legacy_country_codes.csv     legacy list with Start/End Valid Year
                                        (not valid CSV: unquoted commas in names)

Rules (docs/sources.md, "Country codes"):
  * iso3 is the v1 ISO alpha-3 with trailing spaces removed; code 0 (v1 "W00")
    becomes WLD, and 490 "Other Asia, nes" becomes TWN, as Comtrade uses it for Taiwan.
  * valid_to is the legacy End Valid Year when it is before 2061, else the v1
    entryExpiredDate year; 810 (USSR) is therefore valid through 1991.
  * valid_from is the v1 entryEffectiveDate year when after 1900, else the legacy
    Start Valid Year when after 1962; otherwise open.
  * kind: world, country, historical (has valid_to), area (a "nes" area or group
    without an ISO code).
"""
import csv
import io
import pathlib
import sys

here = pathlib.Path(__file__).resolve().parent.parent
src = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else here.parent / "shared/formats/comtrade"
out = here / "crates/patronage-core/data/comtrade_countries.tsv"

legacy = {}
for line in (src / "comtrade_legacy_country_codes.csv").read_text(encoding="latin-1").splitlines()[1:]:
    p = line.split(",")
    if p[-1] == "NULL":
        continue  # 492 "Europe EU" carries no validity years
    legacy[p[0]] = {"iso3": p[-3], "start": int(p[-2]), "end": int(p[-1]), "name": p[1]}

rows = []
text = (src / "comtrade_v1_ref_partner_country.csv").read_text(encoding="latin-1")
for r in list(csv.reader(io.StringIO(text)))[1:]:
    if not r:
        continue
    r = [f for f in r]
    while r and r[-1] == "":
        r.pop()
    code, name = r[0], r[3].strip()
    # Rows drop partnerNote and/or ISO2 when empty: ISO3 is the field before the first date.
    first_date = next(i for i, f in enumerate(r) if "T00:00:00" in f)
    is_group = r[-1] == "true"
    dates = [f for f in r[first_date:] if "T00:00:00" in f]
    iso3 = r[first_date - 1].strip()
    eff = int(dates[0][:4])
    exp = int(dates[1][:4]) if len(dates) > 1 else None
    leg = legacy.get(code)
    valid_to = None
    if leg and leg["end"] < 2061:
        valid_to = leg["end"]
    elif exp:
        valid_to = exp
    valid_from = None
    if eff > 1901:
        valid_from = eff
    elif leg and leg["start"] > 1962:
        valid_from = leg["start"]
    if code == "0":
        iso3, kind = "WLD", "world"
    elif code == "490":
        iso3, kind = "TWN", "country"
    elif len(iso3) != 3 or not iso3.isalpha() or not iso3.isupper() or is_group:
        kind = "area"
    elif valid_to is not None:
        kind = "historical"
    else:
        kind = "country"
    rows.append((int(code), iso3, name, valid_from, valid_to, kind))

for code, leg in legacy.items():
    if int(code) not in {r[0] for r in rows} and leg["iso3"] not in ("NULL", "EU2"):
        rows.append((int(code), leg["iso3"], leg["name"], None, leg["end"] if leg["end"] < 2061 else None,
                     "historical" if leg["end"] < 2061 else "country"))

rows.sort()
buf = io.StringIO()
# Tab separated and unquoted: names hold commas but never tabs, so the binary reads
# it with a plain split.
w = csv.writer(buf, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE)
w.writerow(["code", "iso3", "name", "valid_from", "valid_to", "kind"])
for code, iso3, name, vf, vt, kind in rows:
    w.writerow([code, iso3, name, "" if vf is None else vf, "" if vt is None else vt, kind])
out.write_text(buf.getvalue(), encoding="utf-8")
print(f"wrote {len(rows)} codes to {out}")
