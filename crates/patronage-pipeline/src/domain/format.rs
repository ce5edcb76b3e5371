//! A source format as the runner knows it: its declaration for the pipeline file
//! (name, domain, streaming, options) and its reader, whose kind fixes the rows
//! it yields. Each format is one file under `formats/`; this file only says what
//! such a file declares.

use patronage_normalize::events::Event;
use patronage_normalize::{LaborFigure, TradeFlow};

use super::aid::AidRecord;
use super::files::ReadFile;
use super::outcome::{FileMeta, FileOutcome};
use crate::config::{FormatSpec, Pipeline, Source};
use crate::PipelineError;

/// Reads a whole source at once, for formats whose files depend on each other
/// (pages chained by links, ids unique across files); outcomes in file order.
pub(crate) type ReadSource<T> =
    fn(&Pipeline, &Source) -> Result<Vec<(FileMeta, FileOutcome<T>)>, PipelineError>;

/// How a format's files are read, and so which canonical table its rows feed.
pub(crate) enum Reader {
    /// File by file, to `trade_flows` rows.
    Trade(ReadFile<TradeFlow>),
    /// File by file, to `aid_events` rows.
    Aid(ReadFile<AidRecord>),
    /// The whole source at once, to `aid_events` rows.
    AidSource(ReadSource<AidRecord>),
    /// File by file, to `labor_stock` rows.
    Labor(ReadFile<LaborFigure>),
    /// File by file, to `events` rows.
    Events(ReadFile<Event>),
}

#[cfg(test)]
impl Reader {
    /// The domain whose canonical table the reader's rows feed.
    pub(crate) fn domain(&self) -> crate::config::Domain {
        match self {
            Reader::Trade(_) => crate::config::Domain::Trade,
            Reader::Aid(_) | Reader::AidSource(_) => crate::config::Domain::Aid,
            Reader::Labor(_) => crate::config::Domain::Labor,
            Reader::Events(_) => crate::config::Domain::Events,
        }
    }
}

/// A source format: what a pipeline file may say of it, and how it is read.
pub(crate) struct Format {
    /// The declaration the pipeline file is checked against.
    pub spec: FormatSpec,
    /// The reader.
    pub reader: Reader,
}

/// A source's options as its format built them. Only the format that built them
/// reads them, so another type is a defect in the tool, reported as such.
pub(crate) fn options_of<'a, T: 'static>(
    p: &Pipeline,
    source: &'a Source,
) -> Result<&'a T, PipelineError> {
    source.options::<T>().ok_or_else(|| PipelineError::Invalid {
        path: p.path.clone(),
        line: 0,
        message: format!(
            "source `{}`: its options were not built by format `{}` (a defect in the tool)",
            source.id, source.format.name
        ),
    })
}
