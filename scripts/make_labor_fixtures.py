#!/usr/bin/env python3
"""Write the labor statistics sheet fixtures: an .xlsx workbook in the layouts
Russian agencies publish (Rosstat form N 2-T (migratsiya) section II, and MVD work
permits by citizenship) and each sheet saved as CSV, as a spreadsheet program
saves it (merged cells keep their text in the first cell only).

The figures are those published by officials (see fixtures/SOURCES.md, section
"labor/"); no agency table for the DPRK is published, so, as with the Comtrade
fixtures, the files carry published figures in the agencies' layouts.
fixtures/labor/bad/ holds synthetic damaged workbooks for the error tests.

Usage: pip install openpyxl==3.1.5 && python3 scripts/make_labor_fixtures.py
The outputs are committed; tests do not run this script.
"""

import csv
import datetime
import pathlib

from openpyxl import Workbook

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fixtures" / "labor"
FIXED_TIME = datetime.datetime(2019, 2, 5, 0, 0, 0)

FORM_2T = {
    "title": "2-T",
    "rows": [
        ["Сведения о численности и составе иностранной рабочей силы (форма N 2-Т (миграция)). "
         "Раздел II. Численность иностранных работников по странам происхождения"],
        ["за 2018 год, человек"],
        ["Наименование страны", "№ строки", "Код страны по ОКСМ", "Численность иностранных работников"],
        [None, None, None, "на начало периода", "прибыло", "выбыло", "на конец периода"],
        # Ambassador Matsegora (Sputnik, 5 Feb 2019): 34,000 at resolution 2397
        # (22 Dec 2017), 11,000 by December 2018. Movements were not published: "…".
        ["Корейская Народно-Демократическая Республика", "01", "408", 34000, "…", "…", 11000],
    ],
    "merged": ["A1:G1", "A2:G2", "A3:A4", "B3:B4", "C3:C4", "D3:G3"],
    "width": 7,
}

PERMITS = {
    "title": "permits",
    "rows": [
        ["Выдано разрешений на работу иностранным гражданам по гражданству, человек"],
        [],
        ["Гражданство", "Код страны по ОКСМ", "Выдано разрешений на работу (рабочих виз)"],
        [None, None, "2016", "2017"],
        # Ambassador Matsegora (Meduza/Interfax, 7 Feb 2018): "almost 24,000" work
        # visas in 2017. 2016 was not published as a single figure: "…".
        ["КНДР", "408", "…", "почти 24 000"],
    ],
    "merged": ["A1:D1", "A3:A4", "B3:B4", "C3:D3"],
    "width": 4,
}


def add_sheet(wb, spec, title=None, merged=None, edit=None):
    ws = wb.create_sheet(title or spec["title"])
    rows = [list(r) for r in spec["rows"]]
    if edit:
        edit(rows)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row, start=1):
            if v is not None:
                ws.cell(row=r, column=c, value=v)
    for m in merged if merged is not None else spec["merged"]:
        ws.merge_cells(m)
    return rows


def save(wb, path):
    wb.properties.creator = "patronage fixtures"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.save(path)


def save_csv(spec, path):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        for row in spec["rows"]:
            cells = ["" if v is None else str(v) for v in row]
            w.writerow(cells + [""] * (spec["width"] - len(cells)))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bad").mkdir(exist_ok=True)

    wb = Workbook()
    wb.remove(wb.active)
    add_sheet(wb, FORM_2T)
    add_sheet(wb, PERMITS)
    save(wb, OUT / "ru_labor_sheets.xlsx")
    save_csv(FORM_2T, OUT / "ru_form_2t_2018.csv")
    save_csv(PERMITS, OUT / "ru_mvd_permits.csv")

    # Synthetic, for the error tests: "прибыло" merged over two columns of the
    # header, and a figure merged over two cells of the data rows.
    bad = Workbook()
    bad.remove(bad.active)

    def merge_leaf(rows):
        rows[3][5] = None

    add_sheet(bad, FORM_2T, "merged header", FORM_2T["merged"] + ["E4:F4"], merge_leaf)

    def merge_figure(rows):
        rows[4][4] = None

    add_sheet(bad, FORM_2T, "merged data", FORM_2T["merged"] + ["D5:E5"], merge_figure)
    save(bad, OUT / "bad" / "merged_cells.xlsx")


if __name__ == "__main__":
    main()
