//! CSV → a typed table: a header row, then records, each with the line it starts on.
//!
//! Cells are trimmed of surrounding whitespace. A record with a different number of fields from
//! the header is an error naming its line; so is a header that names a column twice.

use crate::{Error, Result};
use std::collections::HashMap;
use std::io::Read;

/// One data record and the (1-based) line of the file it starts on; the header is line 1.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub record: csv::StringRecord,
}

impl Row {
    /// The cell in column `index` (empty when the index is out of range, which a `Table`'s
    /// checked column indices never are).
    pub fn get(&self, index: usize) -> &str {
        self.record.get(index).unwrap_or("")
    }
}

/// A CSV file read whole: the header's column names and the records.
#[derive(Debug, Clone)]
pub struct Table {
    headers: Vec<String>,
    index: HashMap<String, usize>,
    rows: Vec<Row>,
}

impl Table {
    /// Reads CSV with a header row.
    pub fn read(mut reader: impl Read) -> Result<Table> {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).map_err(|e| Error::Csv {
            line: 0,
            message: format!("cannot read: {e}"),
        })?;
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .from_reader(bytes.as_slice());
        let headers: Vec<String> = csv
            .headers()
            .map_err(csv_error)?
            .iter()
            .map(str::to_owned)
            .collect();
        let mut rows = Vec::new();
        for record in csv.records() {
            let record = record.map_err(csv_error)?;
            let line = record
                .position()
                .map_or(0, |p| start_line(&bytes, p.byte(), p.line()));
            rows.push(Row { line, record });
        }
        Table::new(headers, rows)
    }

    /// A table from a header and rows (each row's field count must equal the header's).
    pub fn new(headers: Vec<String>, rows: Vec<Row>) -> Result<Table> {
        let mut index = HashMap::with_capacity(headers.len());
        for (i, h) in headers.iter().enumerate() {
            if index.insert(h.clone(), i).is_some() {
                return Err(Error::DuplicateColumn { column: h.clone() });
            }
        }
        if let Some(row) = rows.iter().find(|r| r.record.len() != headers.len()) {
            return Err(Error::Csv {
                line: row.line,
                message: format!(
                    "{} fields, the header has {}",
                    row.record.len(),
                    headers.len()
                ),
            });
        }
        Ok(Table {
            headers,
            index,
            rows,
        })
    }

    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The index of a column, or `MissingColumn` naming it.
    pub fn column(&self, name: &str) -> Result<usize> {
        self.index
            .get(name)
            .copied()
            .ok_or_else(|| Error::MissingColumn {
                column: name.to_owned(),
            })
    }

    /// A 0/1 column as bytes; any other cell is `NotBinary` naming its line and the column.
    pub fn binary(&self, name: &str) -> Result<Vec<u8>> {
        let c = self.column(name)?;
        self.rows
            .iter()
            .map(|row| parse_binary(row.get(c)).ok_or_else(|| not_binary(row, name, c)))
            .collect()
    }

    /// A column of finite numbers; any other cell is `NotNumber` naming its line and the column.
    pub fn numbers(&self, name: &str) -> Result<Vec<f64>> {
        let c = self.column(name)?;
        self.rows
            .iter()
            .map(|row| {
                parse_number(row.get(c)).ok_or_else(|| Error::NotNumber {
                    line: row.line,
                    column: name.to_owned(),
                    value: row.get(c).to_owned(),
                })
            })
            .collect()
    }
}

fn not_binary(row: &Row, name: &str, c: usize) -> Error {
    Error::NotBinary {
        line: row.line,
        column: name.to_owned(),
        value: row.get(c).to_owned(),
    }
}

/// `0` or `1` (also `0.0`/`1.0`, as a CSV written from floats has them).
pub fn parse_binary(s: &str) -> Option<u8> {
    match s {
        "0" | "0.0" => Some(0),
        "1" | "1.0" => Some(1),
        _ => None,
    }
}

/// A finite number as Rust (and Python's `float`) reads it; `NaN`, `inf` and empty are not.
pub fn parse_number(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// The csv crate puts a record that follows blank lines at the first blank line; the record
/// starts after them.
fn start_line(bytes: &[u8], byte: u64, line: u64) -> u64 {
    let skipped = bytes
        .get(usize::try_from(byte).unwrap_or(usize::MAX)..)
        .unwrap_or(&[])
        .iter()
        .take_while(|b| matches!(b, b'\n' | b'\r'))
        .filter(|&&b| b == b'\n')
        .count();
    line + skipped as u64
}

fn csv_error(e: csv::Error) -> Error {
    let line = e.position().map_or(0, csv::Position::line);
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields, the header has {expected_len}"),
        csv::ErrorKind::Utf8 { err, .. } => {
            format!("field {} is not valid UTF-8", err.field() + 1)
        }
        csv::ErrorKind::Io(err) => format!("cannot read: {err}"),
        _ => e.to_string(),
    };
    Error::Csv { line, message }
}
