//! Sources through extract and normalize: their files read by their formats'
//! readers, every file's rows accounted for, the kept rows framed as the domain's
//! canonical table (`trade_flows`, ...); and a domain's canonical table from all
//! its sources, sorted by key so declaration order never shows in the output.
//!
//! Reading many sources never nests parallel work per source, so no thread's
//! stack grows with their number: every file of every source is one job of a flat
//! parallel pass, then each source is framed (and handed to the caller) on one of
//! a few plain threads. A rayon job that waits (for polars' pool, or for a job it
//! forked) runs other jobs meanwhile on top of its own stack; with one job per
//! source doing that, the stack grew with the number of sources until it
//! overflowed. A plain thread just waits.

use std::path::Path;
use std::sync::Mutex;

use patronage_normalize::events::Event;
use patronage_normalize::{LaborFigure, TradeFlow};
use polars::prelude::*;
use rayon::prelude::*;

use super::aid::AidRecord;
use super::format::{ReadSource, Reader};
use super::manifest::{InputEntry, RowAccount};
use super::outcome::{table_error, FileMeta, FileOutcome, RejectRow, SourceAccount, SourceOutput};
use super::spill::spill_frame;
use super::{aid, events, files, formats, labor, trade};
use crate::config::{Domain, Pipeline, Source};
use crate::PipelineError;

/// One file's outcome, or the error that stopped its reader.
type FileResult<T> = Result<(FileMeta, FileOutcome<T>), PipelineError>;

/// A source whose files are read, or whose reader reads it whole, before it is
/// framed.
enum Pending {
    Trade(Vec<FileResult<TradeFlow>>),
    Aid(Vec<FileResult<AidRecord>>),
    AidSource(ReadSource<AidRecord>),
    Labor(Vec<FileResult<LaborFigure>>),
    Events(Vec<FileResult<Event>>),
    NoReader,
}

/// Read `sources` with their formats' readers and hand each source's output to
/// `then` (with the source's index in `sources`): its results, or the error that
/// stopped the source, in the order given. Files of formats read file by file
/// are read in one flat parallel pass per kind of row; a format that reads its
/// source as a whole reads it when the source is framed.
pub(crate) fn read_sources<R: Send>(
    p: &Pipeline,
    sources: &[&Source],
    then: impl Fn(usize, SourceOutput) -> Result<R, PipelineError> + Sync,
) -> Vec<Result<R, PipelineError>> {
    let mut trade = read_flat(p, sources, |r| match r {
        Reader::Trade(read) => Some(*read),
        _ => None,
    });
    let mut aid = read_flat(p, sources, |r| match r {
        Reader::Aid(read) => Some(*read),
        _ => None,
    });
    let mut labor = read_flat(p, sources, |r| match r {
        Reader::Labor(read) => Some(*read),
        _ => None,
    });
    let mut events = read_flat(p, sources, |r| match r {
        Reader::Events(read) => Some(*read),
        _ => None,
    });
    let pending: Vec<Pending> = sources
        .iter()
        .map(|source| {
            let n = source.files.len();
            match formats::of(source).map(|f| &f.reader) {
                Some(Reader::Trade(_)) => Pending::Trade(trade.by_ref().take(n).collect()),
                Some(Reader::Aid(_)) => Pending::Aid(aid.by_ref().take(n).collect()),
                Some(Reader::AidSource(read)) => Pending::AidSource(*read),
                Some(Reader::Labor(_)) => Pending::Labor(labor.by_ref().take(n).collect()),
                Some(Reader::Events(_)) => Pending::Events(events.by_ref().take(n).collect()),
                None => Pending::NoReader,
            }
        })
        .collect();
    on_threads(pending, |i, pending| {
        let source = sources[i];
        let output = match pending {
            Pending::Trade(files) => assemble(source, ok(files)?, trade::canonical_frame),
            Pending::Aid(files) => assemble(source, ok(files)?, aid::canonical_frame),
            Pending::AidSource(read) => assemble(source, read(p, source)?, aid::canonical_frame),
            Pending::Labor(files) => assemble(source, ok(files)?, labor::canonical_frame),
            Pending::Events(files) => assemble(source, ok(files)?, events::canonical_frame),
            Pending::NoReader => Err(PipelineError::Invalid {
                path: p.path.clone(),
                line: 0,
                message: format!(
                    "source `{}`: format `{}` has no reader (a defect in the tool)",
                    source.id, source.format.name
                ),
            }),
        }?;
        then(i, output)
    })
}

/// Every file of the sources whose reader `pick` returns, read in one parallel
/// pass (a job per file), in source then file order.
fn read_flat<T: Send>(
    p: &Pipeline,
    sources: &[&Source],
    pick: impl Fn(&Reader) -> Option<files::ReadFile<T>>,
) -> std::vec::IntoIter<FileResult<T>> {
    let jobs: Vec<(&Source, files::ReadFile<T>, &Path)> = sources
        .iter()
        .filter_map(|s| Some((*s, pick(&formats::of(s)?.reader)?)))
        .flat_map(|(s, read)| s.files.iter().map(move |f| (s, read, f.as_path())))
        .collect();
    jobs.par_iter()
        .map(|(s, read, f)| files::read_one(p, s, f, *read))
        .collect::<Vec<_>>()
        .into_iter()
}

/// A source's file outcomes, or the first error among them.
fn ok<T>(files: Vec<FileResult<T>>) -> Result<Vec<(FileMeta, FileOutcome<T>)>, PipelineError> {
    files.into_iter().collect()
}

/// `f` over `items` on as many plain threads as rayon has (the calling thread
/// alone for one item), the results in the items' order. A panic on one of
/// them goes on in the caller.
fn on_threads<T: Send, R: Send>(items: Vec<T>, f: impl Fn(usize, T) -> R + Sync) -> Vec<R> {
    if items.len() <= 1 {
        return items
            .into_iter()
            .enumerate()
            .map(|(i, t)| f(i, t))
            .collect();
    }
    let threads = rayon::current_num_threads().clamp(1, items.len());
    let queue = Mutex::new(items.into_iter().enumerate());
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
                        let Some((i, item)) = next else {
                            return mine;
                        };
                        mine.push((i, f(i, item)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// The canonical table of a domain from its sources' frames, in declaration order,
/// taken out of `outputs` (left empty there); an empty table of the right types
/// when no source feeds it.
pub(crate) fn canonical(
    domain: Domain,
    outputs: &mut [SourceOutput],
) -> Result<DataFrame, PipelineError> {
    let spec = domain.canonical_table();
    let mut frames = outputs
        .iter_mut()
        .filter(|o| o.domain == domain)
        .map(|o| std::mem::take(&mut o.canonical));
    let Some(mut df) = frames.next() else {
        return empty_canonical(domain).map_err(table_error(spec));
    };
    for f in frames {
        df.vstack_mut_owned(f).map_err(table_error(spec))?;
    }
    // Sorted by the table's key, as every table is written: the order the sources
    // are declared in does not show in the output. Rows already in key order (one
    // streamed source's files, read in line order) are not copied by a sort.
    if in_key_order(&df, spec.key).map_err(table_error(spec))? {
        return Ok(df);
    }
    df.sort(
        spec.key.iter().copied(),
        SortMultipleOptions::default().with_maintain_order(true),
    )
    .map_err(table_error(spec))
}

/// Whether every row of `df` is at or after the row before it by `key` (nulls
/// first, as the sort puts them), so a stable sort would leave the frame as it
/// is. `false` for a key column of a type this does not compare.
fn in_key_order(df: &DataFrame, key: &[&str]) -> PolarsResult<bool> {
    Ok(key_ties(df, key)?.is_some())
}

/// For a frame in `key` order (see [`in_key_order`]), whether each row ties
/// with the next on every column of `key` (`n - 1` answers for `n` rows);
/// `None` when the frame is not in that order or a key column is of a type
/// this does not compare. Rows that tie are adjacent in such a frame, so the
/// rows that tie with none before them are its distinct keys.
pub(crate) fn key_ties(df: &DataFrame, key: &[&str]) -> PolarsResult<Option<Vec<bool>>> {
    use std::cmp::Ordering;
    /// The order of each row against the next.
    fn steps<T: PartialOrd>(mut values: impl Iterator<Item = Option<T>>) -> Vec<Option<Ordering>> {
        let mut out = Vec::new();
        if let Some(mut before) = values.next() {
            for v in values {
                out.push(before.partial_cmp(&v));
                before = v;
            }
        }
        out
    }
    let n = df.height();
    // Whether rows i and i + 1 are equal on the key columns seen so far.
    let mut tied = vec![true; n.saturating_sub(1)];
    for name in key {
        let c = df.column(name)?.as_materialized_series();
        let order = match c.dtype() {
            DataType::String => steps(c.str()?.iter()),
            DataType::Int64 => steps(c.i64()?.iter()),
            DataType::Int32 => steps(c.i32()?.iter()),
            DataType::UInt32 => steps(c.u32()?.iter()),
            _ => return Ok(None),
        };
        for (t, o) in tied.iter_mut().zip(order) {
            if *t {
                match o {
                    Some(Ordering::Less) => *t = false,
                    Some(Ordering::Equal) => {}
                    _ => return Ok(None),
                }
            }
        }
    }
    Ok(Some(tied))
}

fn empty_canonical(domain: Domain) -> PolarsResult<DataFrame> {
    match domain {
        Domain::Trade => trade::canonical_frame(Vec::new()),
        Domain::Aid => aid::canonical_frame(Vec::new()),
        Domain::Labor => labor::canonical_frame(Vec::new()),
        Domain::Events => events::canonical_frame(Vec::new()),
    }
}

/// Check each file's accounting, then gather the files' outcomes (in the order
/// given) into the source's output.
fn assemble<T, F>(
    source: &Source,
    files: Vec<(FileMeta, FileOutcome<T>)>,
    frame: F,
) -> Result<SourceOutput, PipelineError>
where
    F: Fn(Vec<T>) -> PolarsResult<DataFrame>,
{
    let mut results: Vec<(InputEntry, FileOutcome<T>)> = Vec::with_capacity(files.len());
    for (meta, outcome) in files {
        let account = RowAccount {
            read: outcome.read,
            kept: outcome.kept(),
            dropped: outcome.dropped.clone(),
            rejected: outcome.rejects.len() as u64,
        };
        if !account.balances() {
            return Err(patronage_core::Unbalanced {
                file: meta.file,
                read: account.read,
                kept: account.kept,
                dropped: account.dropped_total(),
                rejected: account.rejected,
            }
            .into());
        }
        let entry = InputEntry {
            source_id: source.id.clone(),
            format: source.format.name,
            file: meta.file,
            bytes: meta.bytes,
            sha256: meta.sha256,
            rows: account,
        };
        results.push((entry, outcome));
    }

    let mut account = SourceAccount {
        source_id: source.id.clone(),
        files: 0,
        rows: RowAccount::default(),
    };
    let domain = source.format.domain;
    let spec = domain.canonical_table();
    let (mut rows, mut rejects, mut inputs) = (Vec::new(), Vec::new(), Vec::new());
    // Files framed as they streamed keep their frames: the records of the files
    // before them are framed first, so the rows stay in file order.
    let mut frames: Vec<DataFrame> = Vec::new();
    let mut spilled = Vec::new();
    for (entry, outcome) in results {
        account.files += 1;
        account.rows.add(&entry.rows);
        spilled.extend(outcome.spilled);
        if !outcome.frames.is_empty() {
            if !rows.is_empty() {
                frames.push(frame(std::mem::take(&mut rows)).map_err(table_error(spec))?);
            }
            frames.extend(outcome.frames);
        }
        rows.extend(outcome.rows);
        rejects.extend(
            outcome
                .rejects
                .into_iter()
                .map(|(stage, reject)| RejectRow {
                    stage,
                    source_id: source.id.clone(),
                    source_file: entry.file.clone(),
                    reject,
                }),
        );
        inputs.push(entry);
    }
    let canonical = if frames.is_empty() {
        frame(rows).map_err(table_error(spec))?
    } else {
        if !rows.is_empty() {
            frames.push(frame(rows).map_err(table_error(spec))?);
        }
        let mut parts = frames.into_iter();
        let mut df = parts.next().unwrap_or_default();
        for part in parts {
            df.vstack_mut_owned(part).map_err(table_error(spec))?;
        }
        df.rechunk_mut();
        df
    };
    // A source with rows on disk has them all there (files of its format read
    // whole, if any, join them), so its rows are in one place.
    let canonical = match spilled.first().and_then(|s| s.path.parent()) {
        Some(dir) if canonical.height() > 0 => {
            spilled.extend(spill_frame(dir, &canonical)?);
            frame(Vec::new()).map_err(table_error(spec))?
        }
        _ => canonical,
    };
    Ok(SourceOutput {
        domain,
        canonical,
        spilled,
        rejects,
        inputs,
        account,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SYNTHETIC frames, checked by hand: rows tied on the first column are
    /// ordered by the next; a later column out of order matters only where the
    /// earlier ones tie; a null comes first, as the sort puts it; a column of a
    /// type not compared (float) never passes for sorted.
    #[test]
    fn key_order_is_told_as_the_sort_would_leave_it() {
        let frame = |file: &[Option<&str>], line: &[i64]| {
            df!("source_file" => file, "source_line" => line).unwrap()
        };
        let key = ["source_file", "source_line"];
        let sorted = frame(&[Some("a"), Some("a"), Some("b"), Some("b")], &[2, 3, 1, 1]);
        assert!(in_key_order(&sorted, &key).unwrap());
        let later = frame(&[Some("a"), Some("a"), Some("b")], &[3, 2, 1]);
        assert!(!in_key_order(&later, &key).unwrap());
        let first = frame(&[Some("b"), Some("a")], &[1, 2]);
        assert!(!in_key_order(&first, &key).unwrap());
        let null_first = frame(&[None, Some("a")], &[9, 1]);
        assert!(in_key_order(&null_first, &key).unwrap());
        let null_after = frame(&[Some("a"), None], &[1, 9]);
        assert!(!in_key_order(&null_after, &key).unwrap());
        let floats = df!("x" => [1.0f64, 2.0]).unwrap();
        assert!(!in_key_order(&floats, &["x"]).unwrap());
        let one = frame(&[Some("z")], &[1]);
        assert!(in_key_order(&one, &key).unwrap());
    }
}
