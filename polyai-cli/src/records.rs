//! Printing a list of records as a table, JSON Lines, JSON or CSV.

use std::io::Write;

use crate::cli::Format;
use crate::error::CliResult;
use crate::output;

/// One CSV field (RFC 4180): quoted, with its quotes doubled, when it holds a comma, a quote
/// or a line break.
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Prints `records` (each with its table/CSV cells and its JSON form) in `format`, or in the
/// default format: a table on a terminal, JSON Lines otherwise.
pub fn print(
    format: Option<Format>,
    headers: &[&str],
    records: &[(Vec<String>, serde_json::Value)],
) -> CliResult {
    let format = format.unwrap_or(if output::stdout_is_terminal() {
        Format::Table
    } else {
        Format::Jsonl
    });
    let mut out = std::io::stdout().lock();
    let w = crate::error::stdout_write;
    match format {
        Format::Table => {
            let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
            for (cells, _) in records {
                for (i, cell) in cells.iter().enumerate() {
                    if let Some(width) = widths.get_mut(i) {
                        *width = (*width).max(cell.chars().count());
                    }
                }
            }
            let line = |cells: Vec<String>| {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{:w$}", output::sanitize(c), w = *w))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_string()
            };
            writeln!(
                out,
                "{}",
                line(headers.iter().map(|h| h.to_uppercase()).collect())
            )
            .map_err(w)?;
            for (cells, _) in records {
                writeln!(out, "{}", line(cells.clone())).map_err(w)?;
            }
        }
        Format::Csv => {
            writeln!(out, "{}", headers.join(",")).map_err(w)?;
            for (cells, _) in records {
                let cells: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
                writeln!(out, "{}", cells.join(",")).map_err(w)?;
            }
        }
        Format::Json => {
            let all: Vec<&serde_json::Value> = records.iter().map(|(_, v)| v).collect();
            serde_json::to_writer_pretty(&mut out, &all).map_err(crate::error::stdout_json)?;
            writeln!(out).map_err(w)?;
        }
        Format::Jsonl => {
            for (_, value) in records {
                serde_json::to_writer(&mut out, value).map_err(crate::error::stdout_json)?;
                writeln!(out).map_err(w)?;
            }
        }
    }
    out.flush().map_err(w)
}
