//! The batch-export route: Blue Cherry reports dropped as CSV files into a folder after each
//! cycle, parsed into the same model types as the JSON gateway.
//!
//! Rules (also in `docs/bluecherry-gateway.md`):
//! - only complete files are read: with [`Completion::Rename`] every `*.csv` (writers write
//!   `*.tmp` and rename); with [`Completion::DoneMarker`] only `X.csv` beside an `X.csv.done`;
//! - a file that parses is handed to the caller; once the caller has applied it, [`CsvDrop::archive`]
//!   moves it to the archive folder and records its SHA-256 in the ledger there;
//! - a file with any bad row moves to the rejected folder with `X.csv.error.txt` beside it;
//! - a file whose bytes are in the ledger is a no-op: it is moved to the archive, not applied.

mod cells;
mod parse;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

pub use parse::{DropContent, FileMeta, PriceRow, parse_report};

use crate::config::{Completion, CsvDropConfig};
use crate::error::{CsvDropError, CsvRowError};

/// Name of the ledger of ingested file hashes, inside the archive folder.
pub const LEDGER: &str = "ingested.sha256";

/// A complete, valid file waiting to be applied and then archived.
#[derive(Debug, Clone, PartialEq)]
pub struct DropFile {
    /// Where it lies now.
    pub path: PathBuf,
    /// File name.
    pub name: String,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
    /// What it contained.
    pub content: DropContent,
}

/// What one poll found for one complete file.
#[derive(Debug, Clone, PartialEq)]
pub enum Pickup {
    /// Parsed; apply it, then call [`CsvDrop::archive`].
    Ready(DropFile),
    /// Failed validation; already moved to the rejected folder with its error file.
    Rejected {
        /// File name.
        name: String,
        /// Every problem found (capped).
        errors: Vec<CsvRowError>,
    },
    /// Same bytes as a file already ingested; moved to the archive, nothing to apply.
    Duplicate {
        /// File name.
        name: String,
    },
}

/// The drop folder.
#[derive(Debug, Clone)]
pub struct CsvDrop {
    config: CsvDropConfig,
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> CsvDropError {
    let path = path.to_path_buf();
    move |source| CsvDropError::Io {
        action,
        path,
        source,
    }
}

impl CsvDrop {
    /// A drop folder handled by `config`'s rules.
    pub fn new(config: CsvDropConfig) -> Self {
        Self { config }
    }

    fn archive_dir(&self) -> PathBuf {
        self.config.folder.join(&self.config.archive_dir)
    }

    fn rejected_dir(&self) -> PathBuf {
        self.config.folder.join(&self.config.rejected_dir)
    }

    /// Complete `*.csv` files in the folder, sorted by name (exports carry sortable stamps).
    pub fn complete_files(&self) -> Result<Vec<PathBuf>, CsvDropError> {
        let folder = &self.config.folder;
        let mut files = Vec::new();
        for entry in fs::read_dir(folder).map_err(io("reading folder", folder))? {
            let entry = entry.map_err(io("reading folder", folder))?;
            let path = entry.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let is_csv = name.to_ascii_lowercase().ends_with(".csv") && !name.starts_with('.');
            if !is_csv
                || !entry
                    .file_type()
                    .map_err(io("reading folder", &path))?
                    .is_file()
            {
                continue;
            }
            if self.config.completion == Completion::DoneMarker && !marker(&path).exists() {
                continue; // still being written
            }
            files.push(path);
        }
        files.sort();
        Ok(files)
    }

    /// Looks at every complete file once: parses it, rejects it, or skips it as a duplicate.
    pub fn poll(&self) -> Result<Vec<Pickup>, CsvDropError> {
        let ledger = self.ledger()?;
        let mut out = Vec::new();
        for path in self.complete_files()? {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            let bytes = fs::read(&path).map_err(io("reading", &path))?;
            let sha256 = hex::encode(Sha256::digest(&bytes));
            if ledger.iter().any(|h| h == &sha256) {
                self.move_into(&path, &self.archive_dir(), &sha256)?;
                out.push(Pickup::Duplicate { name });
                continue;
            }
            let modified = fs::metadata(&path)
                .and_then(|m| m.modified())
                .map(OffsetDateTime::from)
                .map_err(io("reading metadata of", &path))?;
            let meta = FileMeta {
                cycle_id: cycle_id_of(&name, modified),
                modified,
            };
            match parse_report(&name, &bytes, meta) {
                Ok(content) => out.push(Pickup::Ready(DropFile {
                    path,
                    name,
                    sha256,
                    content,
                })),
                Err(errors) => {
                    self.reject(&path, &name, &sha256, &errors)?;
                    out.push(Pickup::Rejected { name, errors });
                }
            }
        }
        Ok(out)
    }

    /// Moves an applied file to the archive and records its hash, so it is never applied twice.
    pub fn archive(&self, file: &DropFile) -> Result<PathBuf, CsvDropError> {
        let dir = self.archive_dir();
        fs::create_dir_all(&dir).map_err(io("creating", &dir))?;
        let ledger = dir.join(LEDGER);
        // Ledger first: a crash between the two leaves a file that the next poll skips as a duplicate.
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&ledger)
            .map_err(io("opening", &ledger))?;
        writeln!(f, "{}  {}", file.sha256, file.name).map_err(io("writing", &ledger))?;
        f.sync_all().map_err(io("syncing", &ledger))?;
        self.move_into(&file.path, &dir, &file.sha256)
    }

    fn ledger(&self) -> Result<Vec<String>, CsvDropError> {
        let path = self.archive_dir().join(LEDGER);
        match fs::read_to_string(&path) {
            Ok(text) => Ok(text
                .lines()
                .filter_map(|l| l.split_whitespace().next())
                .map(str::to_string)
                .collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(io("reading", &path)(e)),
        }
    }

    fn reject(
        &self,
        path: &Path,
        name: &str,
        sha256: &str,
        errors: &[CsvRowError],
    ) -> Result<(), CsvDropError> {
        let dir = self.rejected_dir();
        let moved = self.move_into(path, &dir, sha256)?;
        let moved_name = moved.file_name().and_then(|n| n.to_str()).unwrap_or(name);
        let report = dir.join(format!("{moved_name}.error.txt"));
        let mut text = format!("{name} was rejected: {} problem(s)\n", errors.len());
        for e in errors {
            text.push_str(&e.to_string());
            text.push('\n');
        }
        fs::write(&report, text).map_err(io("writing", &report))
    }

    /// Moves `path` into `dir` (keeping the name unless taken) and drops its `.done` marker.
    fn move_into(&self, path: &Path, dir: &Path, sha256: &str) -> Result<PathBuf, CsvDropError> {
        fs::create_dir_all(dir).map_err(io("creating", dir))?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("report.csv");
        let mut target = dir.join(name);
        // Exports often reuse one name every cycle: keep every copy, tagged by content hash
        // (and a counter for the same bytes dropped again), since rename would overwrite.
        let stem = name.strip_suffix(".csv").unwrap_or(name);
        let tag = &sha256[..12.min(sha256.len())];
        let mut n = 1;
        while target.exists() {
            target = if n == 1 {
                dir.join(format!("{stem}.{tag}.csv"))
            } else {
                dir.join(format!("{stem}.{tag}.{n}.csv"))
            };
            n += 1;
        }
        fs::rename(path, &target).map_err(io("moving", path))?;
        let done = marker(path);
        if done.exists() {
            fs::remove_file(&done).map_err(io("removing", &done))?;
        }
        Ok(target)
    }
}

fn marker(csv: &Path) -> PathBuf {
    let mut s = csv.as_os_str().to_os_string();
    s.push(".done");
    PathBuf::from(s)
}

/// `inventory_000123.csv` -> 123; otherwise the modification time in Unix seconds.
fn cycle_id_of(name: &str, modified: OffsetDateTime) -> u64 {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let digits = stem.rsplit_once('_').map_or("", |(_, d)| d);
    if !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && let Ok(id) = digits.parse()
    {
        return id;
    }
    u64::try_from(modified.unix_timestamp()).unwrap_or(0)
}
