//! The CSV reader of path tables (the `csv` crate; errors name the line and the column).

use crate::{Channel, Error, PathRow, PathTable, Problem, Result};
use rust_decimal::Decimal;
use std::str::FromStr;

const PATH: &str = "path";
const CONVERSIONS: &str = "conversions";
const NON_CONVERSIONS: &str = "non_conversions";
const VALUE: &str = "value";

fn csv_error(e: &csv::Error) -> Error {
    let line = e.position().map_or(0, csv::Position::line);
    let reason = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} cells where the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "not UTF-8".to_owned(),
        _ => e.to_string(),
    };
    Error::Csv { line, reason }
}

pub(crate) fn from_csv(r: impl std::io::Read) -> Result<PathTable> {
    let mut rd = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(r);
    let header = rd.headers().map_err(|e| csv_error(&e))?.clone();
    let header_line = header.position().map_or(1, csv::Position::line);
    let column = |name: &'static str| header.iter().position(|h| h == name);
    let need = |name: &'static str| {
        column(name).ok_or(Error::MissingColumn {
            line: header_line,
            column: name,
        })
    };
    let (path, conv, non) = (need(PATH)?, need(CONVERSIONS)?, need(NON_CONVERSIONS)?);
    let value = column(VALUE);
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match rd.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(&e)),
        }
        let line = record.position().map_or(0, csv::Position::line);
        let cell = |i: usize| record.get(i).unwrap_or("");
        let at = |i: usize, name: &'static str| {
            move |problem| Error::Cell {
                line,
                column: i + 1,
                name,
                problem,
            }
        };
        let row = PathRow {
            path: parse_path(cell(path)).map_err(at(path, PATH))?,
            conversions: parse_count(cell(conv)).map_err(at(conv, CONVERSIONS))?,
            non_conversions: parse_count(cell(non)).map_err(at(non, NON_CONVERSIONS))?,
            value: match value {
                Some(i) => parse_value(cell(i)).map_err(at(i, VALUE))?,
                None => Decimal::ZERO,
            },
        };
        if let Some(i) = value {
            if row.conversions == 0 && !row.value.is_zero() {
                return Err(at(i, VALUE)(Problem::ValueWithoutConversions(
                    cell(i).to_owned(),
                )));
            }
        }
        rows.push(row);
    }
    PathTable::new(rows)
}

fn parse_path(s: &str) -> Result<Vec<Channel>, Problem> {
    if s.is_empty() {
        return Err(Problem::EmptyPath);
    }
    s.split('>')
        .enumerate()
        .map(|(i, c)| Channel::new(c).ok_or(Problem::EmptyChannel { touch: i + 1 }))
        .collect()
}

fn parse_count(s: &str) -> Result<u64, Problem> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Problem::NotACount(s.to_owned()));
    }
    s.parse().map_err(|_| Problem::NotACount(s.to_owned()))
}

fn parse_value(s: &str) -> Result<Decimal, Problem> {
    if s.is_empty() {
        return Ok(Decimal::ZERO);
    }
    let ok = s
        .bytes()
        .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
    let d = ok
        .then(|| {
            Decimal::from_str(s)
                .or_else(|_| Decimal::from_scientific(s))
                .ok()
        })
        .flatten()
        .ok_or_else(|| Problem::NotADecimal(s.to_owned()))?;
    if d.is_sign_negative() && !d.is_zero() {
        return Err(Problem::NegativeValue(s.to_owned()));
    }
    Ok(d)
}
