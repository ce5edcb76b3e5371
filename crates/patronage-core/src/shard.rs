//! Shards: which slice of a job one process of a fan-out does (`--shard I/N`, or
//! the index a Kubernetes Indexed Job or a Slurm job array hands each process).
//!
//! Invariant: the assignment of work to shards depends only on the units' names,
//! their weights and the shard count — never on the order the units were listed
//! in, the machine or the time — so every process of a fan-out, `patronage plan
//! --shards N` and `patronage merge` compute the same assignment independently,
//! and every unit goes to exactly one shard.

use std::fmt;
use std::str::FromStr;

/// One process's place in a fan-out: shard `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shard {
    /// Which shard, from 0 to `count - 1`.
    pub index: u32,
    /// How many shards the job has.
    pub count: u32,
}

/// A shard that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// `--shard` is not `I/N` with `0 <= I < N`.
    #[error("shard {text:?} is not I/N with 0 <= I < N (for example 0/4)")]
    Syntax {
        /// The text given.
        text: String,
    },
    /// `--shard-count N` without an index in the environment.
    #[error(
        "--shard-count {count} needs the shard's index: set JOB_COMPLETION_INDEX \
         (a Kubernetes Indexed Job sets it) or SLURM_ARRAY_TASK_ID (a Slurm job array \
         sets it), or give --shard I/{count}"
    )]
    NoIndex {
        /// The count given.
        count: u32,
    },
    /// The index the environment gave is not a shard of `count`.
    #[error("{variable}={value} is not a shard index below --shard-count {count}")]
    BadIndex {
        /// The environment variable read.
        variable: &'static str,
        /// Its value.
        value: String,
        /// The count given.
        count: u32,
    },
}

impl Shard {
    /// Shard `index` of `count`, checked.
    pub fn new(index: u32, count: u32) -> Result<Self, ShardError> {
        if count == 0 || index >= count {
            return Err(ShardError::Syntax {
                text: format!("{index}/{count}"),
            });
        }
        Ok(Shard { index, count })
    }

    /// The shard of a process started with `--shard-count count`, from its
    /// environment: `JOB_COMPLETION_INDEX` (Kubernetes, 0-based), else
    /// `SLURM_ARRAY_TASK_ID` less `SLURM_ARRAY_TASK_MIN` (so `--array=1-4` and
    /// `--array=0-3` both give 0..3). `var` reads a variable (`std::env::var`
    /// in the binary; a map in tests).
    pub fn from_env(count: u32, var: impl Fn(&str) -> Option<String>) -> Result<Self, ShardError> {
        let parse = |variable: &'static str, value: &str| {
            value
                .trim()
                .parse::<u32>()
                .map_err(|_| ShardError::BadIndex {
                    variable,
                    value: value.to_string(),
                    count,
                })
        };
        let bad = |variable: &'static str, value: String| ShardError::BadIndex {
            variable,
            value,
            count,
        };
        let (variable, value, index) = if let Some(v) = var("JOB_COMPLETION_INDEX") {
            let i = parse("JOB_COMPLETION_INDEX", &v)?;
            ("JOB_COMPLETION_INDEX", v, i)
        } else if let Some(v) = var("SLURM_ARRAY_TASK_ID") {
            let id = parse("SLURM_ARRAY_TASK_ID", &v)?;
            let min = match var("SLURM_ARRAY_TASK_MIN") {
                Some(m) => parse("SLURM_ARRAY_TASK_MIN", &m)?,
                None => 0,
            };
            let i = id
                .checked_sub(min)
                .ok_or_else(|| bad("SLURM_ARRAY_TASK_ID", v.clone()))?;
            ("SLURM_ARRAY_TASK_ID", v, i)
        } else {
            return Err(ShardError::NoIndex { count });
        };
        Shard::new(index, count).map_err(|_| bad(variable, value))
    }

    /// The folder a shard writes under its job's output: `shards/I-of-N`.
    pub fn folder(&self) -> String {
        format!("shards/{}-of-{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ShardError;
    fn from_str(s: &str) -> Result<Self, ShardError> {
        let syntax = || ShardError::Syntax {
            text: s.to_string(),
        };
        let (i, n) = s.split_once('/').ok_or_else(syntax)?;
        let index = i.trim().parse::<u32>().map_err(|_| syntax())?;
        let count = n.trim().parse::<u32>().map_err(|_| syntax())?;
        Shard::new(index, count).map_err(|_| syntax())
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Whether `rel`, a path a shard's manifest lists, stays inside the shard's
/// folder: not empty, every part a plain name (no `..`, `.`, root or prefix).
/// A merge refuses a manifest that names anything else.
pub fn inside_folder(rel: &str) -> bool {
    let path = std::path::Path::new(rel);
    !rel.is_empty()
        && path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// Assign units of work (a name and a weight, such as an input's bytes) to
/// `count` shards; returns each unit's shard, in the order the units were given.
///
/// The rule, printed by `patronage plan --shards N`: take the units heaviest
/// first (equal weights by name, then by position for equal names), and give
/// each to the shard with the least weight so far (equal loads: the lowest
/// index). It balances the shards' bytes within the largest unit, and depends
/// only on the names, the weights and `count`.
pub fn assign(units: &[(&str, u64)], count: u32) -> Vec<u32> {
    let count = count.max(1) as usize;
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by(|&a, &b| {
        units[b]
            .1
            .cmp(&units[a].1)
            .then_with(|| units[a].0.cmp(units[b].0))
            .then(a.cmp(&b))
    });
    let mut load = vec![0u128; count];
    let mut out = vec![0u32; units.len()];
    for i in order {
        let (shard, _) = load
            .iter()
            .enumerate()
            .min_by_key(|&(s, l)| (*l, s))
            .unwrap_or((0, &0));
        load[shard] += u128::from(units[i].1);
        out[i] = shard as u32;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn a_shard_is_parsed_and_checked() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!(Shard::new(2, 4).map(|s| s.to_string()), Ok("2/4".into()));
        for bad in ["4/4", "0/0", "1", "-1/4", "a/4", "1/b", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(
            Shard::new(1, 3).map(|s| s.folder()),
            Ok("shards/1-of-3".into())
        );
    }

    #[test]
    fn the_index_comes_from_kubernetes_or_slurm() {
        let env = |pairs: &[(&str, &str)]| {
            let m: HashMap<String, String> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            move |k: &str| m.get(k).cloned()
        };
        assert_eq!(
            Shard::from_env(4, env(&[("JOB_COMPLETION_INDEX", "3")])),
            Ok(Shard { index: 3, count: 4 })
        );
        // `sbatch --array=1-4`: task 1 is shard 0, task 4 is shard 3.
        assert_eq!(
            Shard::from_env(
                4,
                env(&[("SLURM_ARRAY_TASK_ID", "4"), ("SLURM_ARRAY_TASK_MIN", "1")])
            ),
            Ok(Shard { index: 3, count: 4 })
        );
        assert_eq!(
            Shard::from_env(4, env(&[("SLURM_ARRAY_TASK_ID", "0")])),
            Ok(Shard { index: 0, count: 4 })
        );
        assert_eq!(
            Shard::from_env(4, env(&[])),
            Err(ShardError::NoIndex { count: 4 })
        );
        assert!(matches!(
            Shard::from_env(4, env(&[("JOB_COMPLETION_INDEX", "4")])),
            Err(ShardError::BadIndex {
                variable: "JOB_COMPLETION_INDEX",
                ..
            })
        ));
    }

    #[test]
    fn a_listed_path_stays_inside_the_shard_folder() {
        assert!(inside_folder("mirror_all/year=2019/part-0.parquet"));
        assert!(inside_folder(".patronage/sources/kotra/record.json"));
        for outside in ["", "../x", "a/../../x", "/etc/passwd", "./a"] {
            assert!(!inside_folder(outside), "{outside}");
        }
    }

    #[test]
    fn units_go_heaviest_first_to_the_lightest_shard() {
        // Weights 10, 7, 5, 4, 3 over two shards, by hand: 10 -> 0; 7 -> 1;
        // 5 -> 1 (7 < 10); 4 -> 0 (10 < 12); 3 -> 1 (12 < 14). Loads 14 and 15.
        let units = [("e", 3), ("a", 10), ("c", 5), ("b", 7), ("d", 4)];
        assert_eq!(assign(&units, 2), vec![1, 0, 1, 1, 0]);
        // The order the units are listed in does not change the assignment.
        let mut shuffled = units;
        shuffled.reverse();
        let mut back = assign(&shuffled, 2);
        back.reverse();
        assert_eq!(back, vec![1, 0, 1, 1, 0]);
        // Equal weights go by name: four equal files over four shards, one each.
        let equal = [("y2019", 5), ("y2017", 5), ("y2018", 5), ("y2020", 5)];
        assert_eq!(assign(&equal, 4), vec![2, 0, 1, 3]);
        // More shards than units: the extra shards get nothing.
        assert_eq!(assign(&[("a", 1)], 3), vec![0]);
    }
}
