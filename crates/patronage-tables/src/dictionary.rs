//! The data dictionary, generated from the table contracts and nothing else: as
//! Markdown (docs/tables.md embeds it, and a test keeps the two equal) and as JSON
//! (`patronage schema --json`), for tools that load the tables and want the
//! column types, units and keys without parsing prose.

use crate::contracts::{TableSpec, ALL_TABLES, MIRROR_ALL_TABLES, SCHEMA_VERSION};
use serde::Serialize;

#[derive(Serialize)]
struct Dictionary {
    schema_version: u32,
    tables: Vec<Table>,
    /// Written by `patronage mirror-all`, and by `patronage run` only with a
    /// `[mirror_all]` step.
    mirror_all_tables: Vec<Table>,
}

#[derive(Serialize)]
struct Table {
    name: &'static str,
    file: String,
    doc: &'static str,
    key: &'static [&'static str],
    columns: Vec<Column>,
}

#[derive(Serialize)]
struct Column {
    name: &'static str,
    #[serde(rename = "type")]
    dtype: &'static str,
    nullable: bool,
    doc: &'static str,
}

fn table(t: &TableSpec) -> Table {
    Table {
        name: t.name,
        file: format!("{}.parquet", t.name),
        doc: t.doc,
        key: t.key,
        columns: t
            .columns
            .iter()
            .map(|c| Column {
                name: c.name,
                dtype: c.dtype.as_str(),
                nullable: c.nullable,
                doc: c.doc,
            })
            .collect(),
    }
}

/// Every table contract as pretty-printed JSON, ending in a newline:
/// `{"schema_version": N, "tables": [{"name", "file", "doc", "key", "columns":
/// [{"name", "type", "nullable", "doc"}]}], "mirror_all_tables": [...]}`, tables in
/// dictionary order; `mirror_all_tables` are those `patronage mirror-all` writes.
pub fn json() -> String {
    let d = Dictionary {
        schema_version: SCHEMA_VERSION,
        tables: ALL_TABLES.iter().map(|t| table(t)).collect(),
        mirror_all_tables: MIRROR_ALL_TABLES.iter().map(|t| table(t)).collect(),
    };
    let mut s = serde_json::to_string_pretty(&d).unwrap_or_default();
    s.push('\n');
    s
}

/// The data dictionary in Markdown, generated from the contracts: docs/tables.md
/// embeds it between `<!-- tables:begin -->` and `<!-- tables:end -->`, and a test
/// keeps the two equal.
pub fn markdown() -> String {
    let mut s = String::new();
    for t in ALL_TABLES.iter().chain(MIRROR_ALL_TABLES) {
        s.push_str(&format!(
            "### `{}`\n\n{} Key: `{}`.\n\n",
            t.name,
            t.doc,
            t.key.join("`, `")
        ));
        s.push_str("| column | type | nulls | meaning |\n|---|---|---|---|\n");
        for c in t.columns {
            let nulls = if c.nullable { "yes" } else { "no" };
            s.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                c.name,
                c.dtype.as_str(),
                nulls,
                c.doc.replace('|', "\\|")
            ));
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn lists_every_contract_with_its_columns() {
        let v: serde_json::Value = serde_json::from_str(&super::json()).unwrap();
        let tables = v["tables"].as_array().unwrap();
        assert_eq!(tables.len(), super::ALL_TABLES.len());
        for (t, spec) in tables.iter().zip(super::ALL_TABLES) {
            assert_eq!(t["name"], spec.name);
            assert_eq!(t["columns"].as_array().unwrap().len(), spec.columns.len());
        }
        let flows = &tables[0];
        assert_eq!(flows["name"], "trade_flows");
        assert_eq!(flows["columns"][3]["name"], "source_column");
        assert_eq!(flows["columns"][4]["name"], "year");
        assert_eq!(flows["columns"][4]["type"], "int32");
        assert_eq!(flows["columns"][5]["nullable"], true);
    }
}
