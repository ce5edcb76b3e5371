#!/usr/bin/env python3
"""Write the fixtures in the China customs, Russian customs and legacy Comtrade
layouts (fixtures/china_customs, fixtures/russia_customs, fixtures/comtrade_legacy:
the 35-column download and the legacy API's JSON response).

Every figure is cited in fixtures/SOURCES.md. China customs files are written as
GACC writes its downloads: GB18030, every field quoted, a trailing comma on every
line, dollars with thousands separators; the 2021 file is a Chinese-language
download (Chinese headers, partner name 朝鲜).
"""
import json
import pathlib

root = pathlib.Path(__file__).resolve().parent.parent / "fixtures"


def gacc(name, rows, header=("Trading partner code", "Trading partner", "US dollar")):
    text = ",".join(f'"{h}"' for h in header) + ",\n"
    for r in rows:
        text += ",".join(f'"{f}"' for f in r) + ",\n"
    (root / "china_customs" / name).write_bytes(text.encode("gb18030"))


for d in ("china_customs", "russia_customs", "comtrade_legacy"):
    (root / d).mkdir(exist_ok=True)

gacc("chn_prk_2017_import_export.csv", [("109", "Korea,DPR", "5,060,000,000")])
gacc("chn_prk_2017_import.csv", [("109", "Korea,DPR", "1,720,000,000")])
gacc("chn_prk_2019_import_export.csv", [("109", "Korea,DPR", "2,790,000,000")])
gacc("chn_prk_2021_import_export.csv", [("109", "朝鲜", "318,000,000")],
     header=("贸易伙伴编码", "贸易伙伴名称", "美元"))

# An FTS export not broken down by commodity: no TNVED, EDIZM, NETTO, KOL columns.
(root / "russia_customs/rus_prk_2017.csv").write_text(
    "NAPR,PERIOD,STRANA,STOIM\nЭК,2017,KP,74200000.00\nИМ,2017,KP,3700000.00\n", encoding="utf-8")

header = ("Classification,Year,Period,Period Desc.,Aggregate Level,Is Leaf Code,Trade Flow Code,"
          "Trade Flow,Reporter Code,Reporter,Reporter ISO,Partner Code,Partner,Partner ISO,"
          "2nd Partner Code,2nd Partner,2nd Partner ISO,Customs Proc. Code,Customs,"
          "Mode of Transport Code,Mode of Transport,Commodity Code,Commodity,Qty Unit Code,Qty Unit,"
          "Qty,Alt Qty Unit Code,Alt Qty Unit,Alt Qty,Netweight (kg),Gross weight (kg),"
          "Trade Value (US$),CIF Trade Value (US$),FOB Trade Value (US$),Flag\n")
rows = [
    "H3,2011,2011,2011,0,0,1,Import,643,Russian Federation,RUS,408,Dem. People's Rep. of Korea,PRK,"
    ",,,,,,,TOTAL,All Commodities,1,No Quantity,,,,,,,14500000,,,0",
    "H3,2011,2011,2011,0,0,2,Export,643,Russian Federation,RUS,408,Dem. People's Rep. of Korea,PRK,"
    ",,,,,,,TOTAL,All Commodities,1,No Quantity,,,,,,,99200000,,,0",
]
# Legacy downloads end with an empty line.
(root / "comtrade_legacy/rus_prk_2011_download.csv").write_text(header + "\n".join(rows) + "\n\n")


def legacy_api_record(flow, partner, value):
    """One record of the legacy Comtrade API's JSON (`comtrade.un.org/api/get`),
    its 35 keys in the order the API gave them."""
    names = {408: ("Dem. People's Rep. of Korea", "PRK"), 0: ("World", "WLD")}
    return {
        "pfCode": "H3", "yr": 2011, "period": 2011, "periodDesc": "2011", "aggrLevel": 0,
        "IsLeaf": 0, "rgCode": flow, "rgDesc": {1: "Import", 2: "Export"}[flow],
        "rtCode": 643, "rtTitle": "Russian Federation", "rt3ISO": "RUS",
        "ptCode": partner, "ptTitle": names[partner][0], "pt3ISO": names[partner][1],
        "ptCode2": None, "ptTitle2": "", "pt3ISO2": "", "cstCode": "", "cstDesc": "",
        "motCode": "", "motDesc": "", "cmdCode": "TOTAL", "cmdDescE": "All Commodities",
        "qtCode": 1, "qtDesc": "No Quantity", "qtAltCode": None, "qtAltDesc": "",
        "TradeQuantity": None, "AltQuantity": None, "NetWeight": None, "GrossWeight": None,
        "TradeValue": value, "CIFValue": None, "FOBValue": None, "estCode": 0,
    }


# The legacy API's response for Russia's 2011 trade with the DPRK and the World
# (r=643, p=408,0), saved as it came: one line. The DPRK figures are the ones of
# the legacy download above; the World rows' values are SYNTHETIC (SOURCES.md):
# the reader drops World rows, so they reach no table.
dataset = [
    legacy_api_record(1, 408, 14500000), legacy_api_record(1, 0, 310000000000),
    legacy_api_record(2, 408, 99200000), legacy_api_record(2, 0, 515000000000),
]
response = {
    "validation": {
        "status": {"name": "Ok", "value": 0, "category": 0, "description": "",
                   "helpUrl": "For more information, see https://comtrade.un.org/data/doc/api/"},
        "message": None,
        "count": {"value": len(dataset)},
    },
    "dataset": dataset,
}
(root / "comtrade_legacy/rus_prk_2011_api.json").write_text(
    json.dumps(response, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")
