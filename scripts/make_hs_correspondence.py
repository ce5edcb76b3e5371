#!/usr/bin/env python3
"""Regenerate crates/patronage-core/data/hs_codes.tsv and hs_correspondence.tsv.

Inputs are the United Nations Statistics Division's HS correlation and conversion
tables (https://unstats.un.org/unsd/trade/classifications/correspondence-tables.asp),
as redistributed unchanged in the data-raw/ folder of the public repository
insongkim/concordance (commit 201c812), read from a folder given as the first
argument. All 21 pairs of HS 1992 (H0), 1996 (H1), 2002 (H2), 2007 (H3), 2012 (H4),
2017 (H5) and 2022 (H6) are read, each from its "Correlation" sheet: one row per
pair of 6-digit codes, the newer revision's code first. Reading the .xls files
needs xlrd and the .xlsx files openpyxl (`pip install xlrd openpyxl`); the
generated files need neither.

Outputs:
  hs_codes.tsv           `code revisions`: every 6-digit code and the revisions it
                         exists in (a string of revision digits, "0123456" = all),
                         taken from the codes the correlation tables name.
  hs_correspondence.tsv  `newer older newer_code older_codes`: for each pair of
                         revisions, each newer code with the older codes it
                         corresponds to (space separated), leaving out a code that
                         corresponds to itself and to nothing else in both
                         directions (implied by hs_codes.tsv, which keeps the file
                         small).
"""
import collections
import pathlib
import re
import sys

here = pathlib.Path(__file__).resolve().parent.parent
src = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path("data-raw")
out = here / "crates/patronage-core/data"

YEARS = {1992: 0, 1996: 1, 2002: 2, 2007: 3, 2012: 4, 2017: 5, 2022: 6}
CODE = re.compile(r"^\d{6}$")


def code(v):
    if v is None:
        return None
    if isinstance(v, float):
        v = "%06d" % int(v)
    v = str(v).strip().lstrip("'")
    return v if CODE.match(v) else None


def rows_of(path):
    """(sheet name, rows) of every sheet."""
    if path.suffix == ".xls":
        import xlrd

        book = xlrd.open_workbook(str(path))
        for s in book.sheets():
            yield s.name, (s.row_values(r) for r in range(s.nrows))
    else:
        import openpyxl

        book = openpyxl.load_workbook(str(path), read_only=True)
        for s in book.worksheets:
            yield s.title, s.iter_rows(values_only=True)


pairs = collections.defaultdict(set)  # (newer, older) -> {(newer_code, older_code)}
for path in sorted(src.iterdir()):
    m = re.match(r"^HS ?(\d{4}) ?(?:-|to) ?HS ?(\d{4})", path.name.replace("to", " to "))
    m = m or re.match(r"^HS ?(\d{4}).*?HS ?(\d{4})", path.name)
    if not m or path.suffix not in (".xls", ".xlsx"):
        continue
    newer, older = YEARS[int(m.group(1))], YEARS[int(m.group(2))]
    for name, rows in rows_of(path):
        if "correl" not in name.lower():
            continue
        for r in rows:
            codes = [c for c in map(code, r) if c]
            if len(codes) == 2:
                pairs[(newer, older)].add((codes[0], codes[1]))

assert len(pairs) == 21, sorted(pairs)
revisions = collections.defaultdict(set)
for (n, o), ps in pairs.items():
    for a, b in ps:
        revisions[a].add(n)
        revisions[b].add(o)

with open(out / "hs_codes.tsv", "w") as f:
    f.write("code\trevisions\n")
    for c in sorted(revisions):
        f.write("%s\t%s\n" % (c, "".join(str(r) for r in sorted(revisions[c]))))

with open(out / "hs_correspondence.tsv", "w") as f:
    f.write("newer\tolder\tnewer_code\tolder_codes\n")
    for (n, o) in sorted(pairs):
        fwd = collections.defaultdict(set)
        back = collections.defaultdict(set)
        for a, b in pairs[(n, o)]:
            fwd[a].add(b)
            back[b].add(a)
        for a in sorted(fwd):
            if fwd[a] == {a} and back[a] == {a}:
                continue
            f.write("H%d\tH%d\t%s\t%s\n" % (n, o, a, " ".join(sorted(fwd[a]))))
