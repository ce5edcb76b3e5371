#!/usr/bin/env python3
"""Write the Comtrade-layout fixtures in fixtures/comtrade/ from published figures.

UN Comtrade data may not be redistributed, so the fixtures are not Comtrade
downloads: they are files in Comtrade's three v1 layouts (comtradeapicall CSV,
API JSON, bulk final TSV) that carry figures published by ministries, customs
services, KOTRA and ITC, each cited in fixtures/SOURCES.md. Figures marked
"derived" there are computed from published ones as SOURCES.md explains.

Run from the repository root: python3 scripts/make_comtrade_fixtures.py
"""
import csv
import io
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fixtures" / "comtrade"

API_COLUMNS = [
    "typeCode", "freqCode", "refPeriodId", "refYear", "refMonth", "period", "reporterCode",
    "reporterISO", "reporterDesc", "flowCode", "flowDesc", "partnerCode", "partnerISO",
    "partnerDesc", "partner2Code", "partner2ISO", "partner2Desc", "classificationCode",
    "classificationSearchCode", "isOriginalClassification", "cmdCode", "cmdDesc", "aggrLevel",
    "isLeaf", "customsCode", "customsDesc", "mosCode", "motCode", "motDesc", "qtyUnitCode",
    "qtyUnitAbbr", "qty", "isQtyEstimated", "altQtyUnitCode", "altQtyUnitAbbr", "altQty",
    "isAltQtyEstimated", "netWgt", "isNetWgtEstimated", "grossWgt", "isGrossWgtEstimated",
    "cifvalue", "fobvalue", "primaryValue", "legacyEstimationFlag", "isReported", "isAggregate",
]
BULK_COLUMNS = [
    "datasetCode", "typeCode", "freqCode", "refPeriodId", "refYear", "refMonth", "period",
    "reporterCode", "flowCode", "partnerCode", "partner2Code", "classificationSearchCode",
    "classificationCode", "isOriginalClassification", "cmdCode", "customsCode", "mosCode",
    "motCode", "qtyUnitCode", "qty", "isQtyEstimated", "altQtyUnitCode", "altQty",
    "isAltQtyEstimated", "netWgt", "isNetWgtEstimated", "grossWgt", "isGrossWgtEstimated",
    "CIFValue", "FOBValue", "primaryValue", "legacyEstimationFlag", "isReported", "isAggregate",
]
ISO = {643: ("RUS", "Russian Federation"), 408: ("PRK", "Dem. People's Rep. of Korea"),
       156: ("CHN", "China"), 842: ("USA", "USA"), 344: ("HKG", "China, Hong Kong SAR"),
       490: ("S19", "Other Asia, nes"), 0: ("W00", "World"),
       384: ("CIV", "C\u00f4te d'Ivoire"), 792: ("TUR", "T\u00fcrkiye")}
FLOW = {"M": "Import", "X": "Export"}


def record(year, reporter, flow, partner, value, month=None, cls=None, cmd="TOTAL",
           partner2=0, customs="C00", net_wgt=None):
    """One v1 record as a dict of typed values (API spelling)."""
    annual = month is None
    # The HS revision in force that year: HS2007 (H3) to 2011, HS2012 (H4), HS2017 (H5), HS2022 (H6).
    cls = cls or ("H3" if year < 2012 else "H4" if year < 2017 else "H5" if year < 2022 else "H6")
    level = 0 if cmd == "TOTAL" else len(cmd)
    return {
        "typeCode": "C", "freqCode": "A" if annual else "M",
        "refPeriodId": int(f"{year}{1 if annual else month:02d}01"), "refYear": year,
        "refMonth": 52 if annual else month, "period": str(year) if annual else f"{year}{month:02d}",
        "reporterCode": reporter, "reporterISO": ISO[reporter][0], "reporterDesc": ISO[reporter][1],
        "flowCode": flow, "flowDesc": FLOW[flow],
        "partnerCode": partner, "partnerISO": ISO[partner][0], "partnerDesc": ISO[partner][1],
        "partner2Code": partner2, "partner2ISO": ISO[partner2][0], "partner2Desc": ISO[partner2][1],
        "classificationCode": cls, "classificationSearchCode": "HS", "isOriginalClassification": True,
        "cmdCode": cmd, "cmdDesc": "All Commodities" if cmd == "TOTAL" else "Electronic integrated circuits" if cmd == "8542" else "",
        "aggrLevel": level, "isLeaf": cmd != "TOTAL", "customsCode": customs,
        "customsDesc": "TOTAL CPC" if customs == "C00" else "", "mosCode": "0", "motCode": 0,
        "motDesc": "TOTAL MOT", "qtyUnitCode": -1, "qtyUnitAbbr": "N/A", "qty": None,
        "isQtyEstimated": False, "altQtyUnitCode": -1, "altQtyUnitAbbr": "N/A", "altQty": None,
        "isAltQtyEstimated": False, "netWgt": net_wgt, "isNetWgtEstimated": False, "grossWgt": None,
        "isGrossWgtEstimated": False,
        "cifvalue": float(value) if flow == "M" else None,
        "fobvalue": float(value) if flow == "X" else None,
        "primaryValue": float(value), "legacyEstimationFlag": 0, "isReported": True, "isAggregate": False,
    }


def csv_text(records, describe=False):
    """comtradeapicall CSV: Python-style True/False, empty for None; description
    columns empty unless the download asked for them (includeDesc)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(API_COLUMNS)
    for r in records:
        row = []
        for c in API_COLUMNS:
            v = r[c]
            if not describe and (c.endswith("ISO") or c.endswith("Desc") or c in ("qtyUnitAbbr", "altQtyUnitAbbr", "isLeaf", "aggrLevel")):
                v = None
            row.append("" if v is None else str(v))
        w.writerow(row)
    return buf.getvalue()


def web_export_bytes(records):
    """The Comtrade Plus website's CSV export (`TradeData_*.csv`): the 47 API
    columns with their descriptions, a trailing comma on every line, windows-1252."""
    lines = csv_text(records, describe=True).splitlines()
    return "".join(line + ",\n" for line in lines).encode("cp1252")


def bulk_text(records):
    """Bulk final file: TAB, CRLF, booleans 0/1, CIFValue/FOBValue."""
    lines = ["\t".join(BULK_COLUMNS)]
    for r in records:
        row = []
        for c in BULK_COLUMNS:
            if c == "datasetCode":
                v = "0"  # UNSD's internal dataset key; published figures carry none.
            else:
                v = r[{"CIFValue": "cifvalue", "FOBValue": "fobvalue"}.get(c, c)]
            if isinstance(v, bool):
                v = int(v)
            row.append("" if v is None else str(v))
        lines.append("\t".join(row))
    return "\r\n".join(lines) + "\r\n"


def json_text(records):
    return json.dumps({"elapsedTime": "0.05 secs", "count": len(records), "data": records, "error": ""},
                      indent=4, ensure_ascii=False) + "\n"


RU, KP, CN, US = 643, 408, 156, 842

# Russia's own reports of its trade with the DPRK (embassy, customs via RIA/TASS).
russia_reported = [
    record(2011, RU, "X", KP, 99_200_000), record(2011, RU, "M", KP, 14_500_000),
    record(2017, RU, "X", KP, 74_200_000), record(2017, RU, "M", KP, 3_700_000),
    record(2020, RU, "X", KP, 42_026_000), record(2020, RU, "M", KP, 714_000),
]
# ITC Trade Map figures (Russia's reports) as quoted by KBS and Yonhap.
itc = [
    record(2014, RU, "X", KP, 71_770_000), record(2014, RU, "M", KP, 13_000_000),
    record(2015, RU, "X", KP, 77_500_000), record(2015, RU, "M", KP, 5_720_000),
    record(2019, RU, "X", KP, 44_900_000), record(2019, RU, "M", KP, 3_000_000),
]
# KOTRA's mirror figures: the partner's exports are DPRK imports and vice versa.
kotra = [
    record(2012, CN, "X", KP, 3_500_000_000), record(2012, CN, "M", KP, 2_400_000_000),
    record(2014, RU, "X", KP, 82_170_000), record(2014, RU, "M", KP, 10_170_000),
    record(2019, CN, "X", KP, 2_880_000_000), record(2019, CN, "M", KP, 220_000_000),
    record(2021, CN, "X", KP, 623_550_000), record(2021, CN, "M", KP, 58_110_000),
]
# China's General Administration of Customs.
gacc = [
    record(2017, CN, "X", KP, 3_340_000_000), record(2017, CN, "M", KP, 1_720_000_000),
    record(2022, CN, "X", KP, 894_000_000), record(2022, CN, "M", KP, 134_000_000),
]
# Russian customs, January-February running totals (refMonth 2 = through February).
jan_feb = [
    record(2016, RU, "X", KP, 7_828_181, month=2), record(2016, RU, "M", KP, 3_703_704, month=2),
    record(2017, RU, "X", KP, 19_500_000, month=2), record(2017, RU, "M", KP, 300_000, month=2),
    record(2018, RU, "X", KP, 2_620_000, month=2), record(2018, RU, "M", KP, 420_000, month=2),
]
# A Comtrade Plus web export: Russia's 2017 reports (cited above) beside
# Cote d'Ivoire's and Turkiye's 2019 trade with the DPRK, whose values are
# SYNTHETIC (see SOURCES.md): the file tests the encoding, not the figures.
CI, TR = 384, 792
web_export = [
    record(2017, RU, "X", KP, 74_200_000), record(2017, RU, "M", KP, 3_700_000),
    record(2019, CI, "X", KP, "1204311.517"), record(2019, CI, "M", KP, "310000.5"),
    record(2019, TR, "X", KP, "2480116.25"), record(2019, TR, "M", KP, "95012.004"),
]

# China's imports of integrated circuits (HS 8542) from the USA, for a pipeline
# whose focus is the USA. The 2015 breakdown rows are SYNTHETIC (see SOURCES.md).
hs8542 = [
    record(2010, CN, "M", US, 7_903_767_147, cls="H3", cmd="8542", net_wgt=853234.0),
    record(2015, CN, "M", US, 11_369_627_279, cls="H4", cmd="8542"),
    record(2015, CN, "M", US, 10_000_000_000, cls="H4", cmd="8542", partner2=344),
    record(2015, CN, "M", US, 1_369_627_279, cls="H4", cmd="8542", partner2=490),
    record(2015, CN, "M", US, 11_000_000_000, cls="H4", cmd="8542", customs="C01"),
]

# Russia's trade with the DPRK in 2014 and 2015 as 6-digit HS rows only, no
# TOTAL row, as a by-commodity extract has it. The totals are ITC's (above); how
# each is split among commodities is SYNTHETIC (see SOURCES.md). The chapter-27
# row beside its 6-digit rows is their sum, as Comtrade publishes both levels.
hs6_split = [
    record(2014, RU, "X", KP, 30_000_000, cmd="270112"),
    record(2014, RU, "X", KP, 25_500_000, cmd="271019"),
    record(2014, RU, "X", KP, 16_270_000, cmd="100630"),
    record(2014, RU, "X", KP, 55_500_000, cmd="27"),
    record(2014, RU, "M", KP, 8_000_000, cmd="030389"),
    record(2014, RU, "M", KP, 5_000_000, cmd="620342"),
    record(2015, RU, "X", KP, 60_000_000, cmd="270112"),
    record(2015, RU, "X", KP, 17_500_000, cmd="100630"),
    record(2015, RU, "M", KP, 5_720_000, cmd="620342"),
]

def main():
    files = {
        "rus_prk_russia_reported_annual.csv": csv_text(russia_reported),
        "rus_prk_itc_annual.tsv": bulk_text(itc),
        "rus_prk_hs6_SYNTHETIC_split_2014-2015.tsv": bulk_text(hs6_split),
        "prk_kotra_mirror_annual.json": json_text(kotra),
        "chn_prk_gacc_annual.csv": csv_text(gacc, describe=True),
        "rus_prk_jan_feb_2016-2018.csv": csv_text(jan_feb),
        "chn_imports_from_usa_hs8542.csv": csv_text(hs8542),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (OUT / name).write_bytes(text.encode("utf-8"))
        print(f"wrote fixtures/comtrade/{name}")
    name = "TradeData_SYNTHETIC_civ_tur_rus_prk.csv"
    (OUT / name).write_bytes(web_export_bytes(web_export))
    print(f"wrote fixtures/comtrade/{name}")


if __name__ == "__main__":
    main()
