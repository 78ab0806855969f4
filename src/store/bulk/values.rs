//! The multi-row `INSERT … VALUES` statements of the bulk writer, and how their few
//! repeated texts are bound. Must not import workflow.
//!
//! Why texts are coded: SQLite copies every bound text into an allocation of its own
//! (rusqlite binds with `SQLITE_TRANSIENT`) and frees it at the next bind — for a message
//! about ten allocations and frees, seven of them for a handful of values repeated on every
//! row (`direction`, `kind`, `status`, `encoding`, `provider`, `created_by`, `error_code`).
//! A [`Col::Coded`] column binds a small integer per row instead, and the statement turns it
//! into the text with `CASE ?row WHEN 0 THEN ?d0 WHEN 1 THEN ?d1 … END`, where `?d0, ?d1 …`
//! hold that call's distinct texts ([`Dict`]), bound once per statement. `OP_Variable` copies
//! a bound text into its register without allocating, so the row stores the same text it
//! would have been bound with (the tests read the rows back).

use rusqlite::{Connection, Statement, ToSql};

use super::super::Result;

/// Rows per multi-row `INSERT`: large enough that the per-statement cost vanishes, small
/// enough to stay far under SQLite's limit of 32,766 bound parameters.
pub(super) const CHUNK: usize = 128;

/// One column of a multi-row insert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Col {
    /// Bound per row as it is.
    Bound,
    /// Bound per row as a code into dictionary `n` of the call (see [`Dict`]).
    Coded(usize),
}

/// The distinct texts of one coded column in one call, sorted; a row binds
/// [`Dict::code`] of its value (`NULL` for none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Dict<'a>(Vec<&'a str>);

impl<'a> Dict<'a> {
    pub(super) fn of(values: impl Iterator<Item = Option<&'a str>>) -> Self {
        let mut all: Vec<&str> = values.flatten().collect();
        all.sort_unstable();
        all.dedup();
        Self(all)
    }

    /// The code of `value`: its place in the dictionary. A value the dictionary was not made
    /// from gets `NULL`, which a `NOT NULL` column refuses (it cannot happen: each call builds
    /// its dictionaries from its own rows).
    pub(super) fn code(&self, value: Option<&str>) -> Option<i64> {
        let value = value?;
        self.0.binary_search(&value).ok().map(|i| i as i64)
    }
}

/// How a multi-row insert is written: `head` (`INSERT … VALUES `), its columns, and the
/// dictionaries its coded columns use.
pub(super) struct Shape<'a> {
    pub head: &'a str,
    pub cols: &'a [Col],
    pub dicts: &'a [Dict<'a>],
}

impl Shape<'_> {
    /// The first parameter number of dictionary `d` in a statement of `rows` rows.
    fn dict_start(&self, rows: usize, d: usize) -> usize {
        rows * self.cols.len() + 1 + self.dicts[..d].iter().map(|x| x.0.len()).sum::<usize>()
    }

    /// `head` followed by `rows` groups, every parameter numbered (`?N`): row `r`'s column
    /// `c` is `r * cols + c + 1`, the dictionaries follow the rows.
    fn sql(&self, rows: usize) -> String {
        use std::fmt::Write as _;
        let mut sql = String::with_capacity(self.head.len() + rows * self.cols.len() * 8);
        sql.push_str(self.head);
        for r in 0..rows {
            sql.push_str(if r > 0 { ",(" } else { "(" });
            for (c, col) in self.cols.iter().enumerate() {
                if c > 0 {
                    sql.push(',');
                }
                let p = r * self.cols.len() + c + 1;
                // Writing into a String cannot fail.
                let _ = match *col {
                    Col::Bound => write!(sql, "?{p}"),
                    Col::Coded(d) => {
                        let start = self.dict_start(rows, d);
                        let _ = write!(sql, "CASE ?{p}");
                        if self.dicts[d].0.is_empty() {
                            sql.push_str(" WHEN NULL THEN NULL");
                        }
                        for j in 0..self.dicts[d].0.len() {
                            let _ = write!(sql, " WHEN {j} THEN ?{}", start + j);
                        }
                        write!(sql, " END")
                    }
                };
            }
            sql.push(')');
        }
        sql
    }

    fn bind_dicts(&self, stmt: &mut Statement<'_>, rows: usize) -> rusqlite::Result<()> {
        for (d, dict) in self.dicts.iter().enumerate() {
            let start = self.dict_start(rows, d);
            for (j, text) in dict.0.iter().enumerate() {
                stmt.raw_bind_parameter(start + j, *text)?;
            }
        }
        Ok(())
    }
}

/// Bind `value` at the 1-based parameter `index`.
pub(super) fn bind<T: ToSql>(
    stmt: &mut Statement<'_>,
    index: usize,
    value: T,
) -> rusqlite::Result<()> {
    stmt.raw_bind_parameter(index, value)
}

/// Insert `rows` [`CHUNK`] at a time; `bind` binds one row's values (a [`Col::Coded`]
/// column's code, not its text) from the 1-based parameter index it is given.
pub(super) fn insert<R>(
    conn: &Connection,
    shape: &Shape<'_>,
    rows: &[R],
    bind: impl Fn(&mut Statement<'_>, usize, &R) -> rusqlite::Result<()>,
) -> Result<()> {
    // Until the end of the caller's transaction: a broken reference fails the commit.
    conn.pragma_update(None, "defer_foreign_keys", true)?;
    let columns = shape.cols.len();
    let full = shape.sql(CHUNK);
    for chunk in rows.chunks(CHUNK) {
        let short;
        let sql = if chunk.len() == CHUNK {
            &full
        } else {
            short = shape.sql(chunk.len());
            &short
        };
        let mut stmt = conn.prepare_cached(sql)?;
        for (n, row) in chunk.iter().enumerate() {
            bind(&mut stmt, n * columns + 1, row)?;
        }
        shape.bind_dicts(&mut stmt, chunk.len())?;
        stmt.raw_execute()?;
    }
    Ok(())
}

/// `n` columns bound as they are.
pub(super) const fn bound<const N: usize>() -> [Col; N] {
    [Col::Bound; N]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coded_columns_name_their_dictionary_after_the_rows() {
        let dicts = [Dict::of([Some("out"), Some("in"), Some("out")].into_iter())];
        let shape = Shape {
            head: "INSERT INTO t (a, b) VALUES ",
            cols: &[Col::Bound, Col::Coded(0)],
            dicts: &dicts,
        };
        assert_eq!(
            shape.sql(2),
            "INSERT INTO t (a, b) VALUES (?1,CASE ?2 WHEN 0 THEN ?5 WHEN 1 THEN ?6 END),\
             (?3,CASE ?4 WHEN 0 THEN ?5 WHEN 1 THEN ?6 END)"
        );
        assert_eq!(dicts[0].code(Some("in")), Some(0));
        assert_eq!(dicts[0].code(Some("out")), Some(1));
        assert_eq!(dicts[0].code(None), None);
        assert_eq!(dicts[0].code(Some("sideways")), None);
    }

    #[test]
    fn a_coded_text_reads_back_as_the_text_and_an_empty_dictionary_as_null() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (n INTEGER, word TEXT, never TEXT)")
            .unwrap();
        let words = ["ngozi", "", "Zoë", "ngozi", "o'brien", "ngozi"];
        let dicts = [
            Dict::of(words.iter().map(|w| Some(*w))),
            Dict::of(std::iter::empty()),
        ];
        let shape = Shape {
            head: "INSERT INTO t (n, word, never) VALUES ",
            cols: &[Col::Bound, Col::Coded(0), Col::Coded(1)],
            dicts: &dicts,
        };
        // More rows than a chunk: a full statement and a short one.
        let rows: Vec<(i64, &str)> = (0..CHUNK as i64 + 5)
            .map(|i| (i, words[i as usize % words.len()]))
            .collect();
        insert(&conn, &shape, &rows, |s, i, (n, w)| {
            bind(s, i, n)?;
            bind(s, i + 1, dicts[0].code(Some(w)))?;
            bind(s, i + 2, dicts[1].code(None))
        })
        .unwrap();
        let read: Vec<(i64, String, Option<String>)> = conn
            .prepare("SELECT n, word, never FROM t ORDER BY n")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let want: Vec<_> = rows
            .iter()
            .map(|(n, w)| (*n, w.to_string(), None))
            .collect();
        assert_eq!(read, want);
        let typed: String = conn
            .query_row("SELECT DISTINCT typeof(word) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(typed, "text", "stored as text, not as the code");
    }
}
