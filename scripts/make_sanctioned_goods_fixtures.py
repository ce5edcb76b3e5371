#!/usr/bin/env python3
"""Write the fixtures of China's imports of sanctioned goods from the DPRK:
coal (HS 2701, anthracite 270111) and woven apparel (HS chapter 62), around the
UN Security Council's bans of 2016-2017.

Every figure is one that KITA, KDI, China customs' spokesman or the press published
from China customs statistics, cited in fixtures/SOURCES.md ("Sanctioned goods");
nothing is derived. Annual and monthly figures go into a comtradeapicall CSV
(fixtures/comtrade/chn_prk_sanctioned_goods.csv, written with the helpers of
make_comtrade_fixtures.py); figures for a quarter or a half year, which Comtrade's
layouts cannot hold, go into China customs (GACC) downloads, one per period
(fixtures/china_customs/chn_prk_2017*_import.csv), written as GACC writes them:
GB18030, every field quoted, a trailing comma, thousands separators.

Run from the repository root: python3 scripts/make_sanctioned_goods_fixtures.py
"""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from make_comtrade_fixtures import CN, KP, OUT, csv_text, record  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent

ANTHRACITE, COAL, WOVEN_APPAREL = "270111", "2701", "62"

# (year, month or None, code, US dollars)
FIGURES = [
    (2009, None, WOVEN_APPAREL, 56_000_000),
    (2010, None, ANTHRACITE, 386_190_000),
    (2011, None, ANTHRACITE, 1_126_850_000),
    (2012, None, ANTHRACITE, 1_189_790_000),
    (2013, None, ANTHRACITE, 1_373_710_000),
    (2014, None, ANTHRACITE, 1_132_180_000),
    (2014, None, WOVEN_APPAREL, 622_000_000),
    (2015, 1, ANTHRACITE, 79_710_000),
    (2015, None, WOVEN_APPAREL, 633_000_000),
    (2016, 2, COAL, 70_100_000),
    (2016, 10, COAL, 102_000_000),
    (2016, 10, WOVEN_APPAREL, 45_000_000),
    (2016, 11, COAL, 139_400_000),
    (2016, None, COAL, 1_180_000_000),
    (2017, 2, COAL, 97_600_000),
    (2018, None, WOVEN_APPAREL, 0),
    (2019, None, WOVEN_APPAREL, 0),
]

# (file, commodity code, commodity, US dollars as GACC writes them); the period
# is declared by the pipeline's source (see pipelines/dprk.toml).
GACC = [
    ("chn_prk_2017q1_coal_import.csv", COAL, "Coal; briquettes, ovoids and similar solid fuels manufactured from coal", "220,600,000"),
    ("chn_prk_2017q2_coal_import.csv", COAL, "Coal; briquettes, ovoids and similar solid fuels manufactured from coal", "0"),
    ("chn_prk_2017h1_apparel_import.csv", WOVEN_APPAREL, "Articles of apparel and clothing accessories, not knitted or crocheted", "220,000,000"),
]
GACC_HEADER = ("Commodity code", "Commodity", "Trading partner code", "Trading partner", "US dollar")


def main():
    records = [
        record(year, CN, "M", KP, value, month=month, cmd=code)
        for year, month, code, value in sorted(FIGURES, key=lambda f: (f[2], f[0], f[1] or 0))
    ]
    (OUT / "chn_prk_sanctioned_goods.csv").write_bytes(csv_text(records).encode("utf-8"))
    print("wrote fixtures/comtrade/chn_prk_sanctioned_goods.csv")
    for name, code, desc, usd in GACC:
        lines = [GACC_HEADER, (code, desc, "109", "Korea,DPR", usd)]
        text = "".join(",".join(f'"{f}"' for f in line) + ",\n" for line in lines)
        (ROOT / "fixtures" / "china_customs" / name).write_bytes(text.encode("gb18030"))
        print(f"wrote fixtures/china_customs/{name}")


if __name__ == "__main__":
    main()
