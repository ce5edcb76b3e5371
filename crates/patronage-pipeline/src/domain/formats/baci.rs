//! `baci`: CEPII BACI (`t,i,j,k,v,q`), streamed block by block so only kept rows
//! stay in memory, normalized to `trade_flows`. Options: `scope` (`all`, or
//! `focus`: rows whose exporter or importer is the pipeline's focus) and
//! `country_codes` (the release's code list, whose content is part of the
//! source's fingerprint).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use patronage_core::CountryRegistry;
use patronage_extract::{baci, Extracted};
use patronage_normalize::baci::{BaciNormalizer, BaciOptions};
use patronage_normalize::scope::{count_outside, Scope};
use patronage_normalize::{Normalized, TradeFlow};

use crate::config::options::{existing_file, scope};
use crate::config::{Domain, FormatSpec, Invalid, OptionsInput, Parsed, Pipeline, Source};
use crate::domain::files;
use crate::domain::format::{options_of, Format, Reader};
use crate::domain::outcome::FileOutcome;
use crate::domain::trade::{context, file_name, focus_codes, BlockFrames};
use crate::PipelineError;

/// The format.
pub(crate) static FORMAT: Format = Format {
    spec: FormatSpec {
        name: "baci",
        domain: Domain::Trade,
        streams: true,
        option_keys: &["scope", "country_codes"],
        options,
    },
    reader: Reader::Trade(read),
};

/// A BACI source's options.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Baci {
    /// Which rows are kept.
    scope: Scope,
    /// The release's country code file.
    country_codes: Option<PathBuf>,
}

fn options(input: &OptionsInput<'_>) -> Result<Parsed, Invalid> {
    let scope = scope(input)?;
    let country_codes = input
        .country_codes
        .map(|v| existing_file(input, v, "country_codes"))
        .transpose()?;
    Ok(Parsed {
        auxiliary: country_codes.iter().cloned().collect(),
        ..Parsed::new(Baci {
            scope,
            country_codes,
        })
    })
}

/// Stream a BACI file: each block is normalized as it arrives, so only kept rows
/// stay in memory.
fn read(
    p: &Pipeline,
    source: &Source,
    file: &Path,
    rel: &str,
    _bytes: Vec<u8>,
) -> Result<FileOutcome<TradeFlow>, PipelineError> {
    let opts = options_of::<Baci>(p, source)?;
    // The code list named by `country_codes`, or else the release archive's own
    // `country_codes_*.csv` member (the load puts either in `auxiliary`).
    let codes_file = opts.country_codes.as_ref().or(source.auxiliary.first());
    let country_codes = match codes_file {
        None => None,
        Some(path) => {
            let bytes = patronage_extract::archive::read(path)?;
            let codes: HashSet<u32> = baci::read_country_codes(path, &bytes)?
                .into_iter()
                .map(|c| c.code)
                .collect();
            Some(codes)
        }
    };
    let name = file_name(file);
    let registry = CountryRegistry::comtrade();
    let mut normalizer = BaciNormalizer::new(
        BaciOptions {
            focus: p.focus.clone(),
            scope: opts.scope,
            classification: Arc::from(baci::classification_from_name(&name)),
            country_codes,
        },
        registry,
    );
    let mut input = files::open_hashed(file)?;
    let ctx = context(source, rel);
    let mut out = Normalized::default();
    let mut extract_rejects = Vec::new();
    // Rows outside the focus are left out as they are read, before a record is
    // built for them.
    let focus = focus_codes(p, opts.scope);
    let keep = |i: u32, j: u32| {
        focus
            .as_ref()
            .is_none_or(|f| f.contains(i) || f.contains(j))
    };
    let mut outside = 0u64;
    let mut frames = BlockFrames::new(p, source, rel);
    let read = baci::stream_keeping(
        file,
        &mut input, // read in blocks of megabytes: no buffer in between
        keep,
        |block: Extracted<_>, left_out| {
            extract_rejects.extend(block.rejects);
            outside += left_out;
            normalizer.push(block.rows, &ctx, registry, &mut out);
            frames.take(&mut out.flows);
        },
    )?;
    count_outside(&mut out.dropped, outside);
    let mut outcome = frames.outcome(read, extract_rejects, out)?;
    outcome.input = Some(files::finish_hashed(file, input)?);
    Ok(outcome)
}
