//! The focus country is a parameter: the USA's integrated-circuit exports to
//! China, mirrored from China's reported imports (fixture in the comtradeapicall
//! CSV layout of China's HS 8542 imports from the USA).

use crate::common::*;
use polars::prelude::*;

#[test]
fn usa_focus_mirrors_chinas_imports() {
    let (_tmp, out) = run_to_temp("pipelines/usa_chn_hs8542.toml");
    let m = table(&out, "mirror_trade");
    assert_eq!(m.height(), 2);
    let year = |y: i32| {
        m.clone()
            .lazy()
            .filter(col("year").eq(lit(y)))
            .collect()
            .unwrap()
    };
    for (y, usd) in [(2010, 7_903_767_147.0), (2015, 11_369_627_279.0)] {
        let r = year(y);
        assert_eq!(str_at(&r, "focus_iso3", 0), "USA");
        assert_eq!(str_at(&r, "partner_iso3", 0), "CHN");
        assert_eq!(str_at(&r, "commodity_code", 0), "8542");
        // China's imports from the USA are US exports to China.
        assert_eq!(f64_at(&r, "focus_exports_usd"), Some(usd), "{y}");
        // China's exports are not in the file: unknown, not zero.
        assert_eq!(f64_at(&r, "focus_imports_usd"), None);
        assert_eq!(f64_at(&r, "total_usd"), None);
    }
    // The 2015 breakdown rows (two by second partner, one by customs procedure)
    // are dropped and counted, not added to the total.
    let man = manifest(&out);
    let rows = &man["inputs"][0]["rows"];
    assert_eq!(rows["read"], 5);
    assert_eq!(rows["kept"], 2);
    assert_eq!(rows["dropped"]["breakdown_second_partner"], 2);
    assert_eq!(rows["dropped"]["breakdown_customs_procedure"], 1);
    let flows = table(&out, "trade_flows");
    assert_eq!(str_at(&flows, "partner_iso3", 0), "USA");
    assert_eq!(str_at(&flows, "reporter_iso3", 0), "CHN");
    assert_eq!(
        flows.column("net_weight_kg").unwrap().f64().unwrap().get(0),
        Some(853_234.0)
    );
    assert_eq!(
        flows
            .column("commodity_level")
            .unwrap()
            .i32()
            .unwrap()
            .get(0),
        Some(4)
    );
}
