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

/// The texts a coded column may hold, in a fixed order: either a type's whole list (`ALL`),
/// or the distinct values of one call padded to a fixed number of slots — the statement's
/// text must not change from call to call, or SQLite would parse and plan a new 128-row
/// statement each time (that cost more than the copies it saves). A call with more distinct
/// values than slots binds that column's texts as they are ([`Dict::is_open`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Dict<'a> {
    texts: Vec<&'a str>,
    slots: usize,
}

/// Slots of a dictionary made from a call's values (`provider`, `created_by` …).
const SLOTS: usize = 4;

impl<'a> Dict<'a> {
    /// Every text the column can hold, in a fixed order.
    pub(super) fn all(texts: impl Iterator<Item = &'a str>) -> Self {
        let texts: Vec<&str> = texts.collect();
        Self {
            slots: texts.len(),
            texts,
        }
    }

    /// The distinct values of one call.
    pub(super) fn of(values: impl Iterator<Item = Option<&'a str>>) -> Self {
        let mut texts: Vec<&str> = values.flatten().collect();
        texts.sort_unstable();
        texts.dedup();
        Self {
            texts,
            slots: SLOTS,
        }
    }

    /// More distinct values than slots: the column is bound as text in this call.
    pub(super) fn is_open(&self) -> bool {
        self.texts.len() > self.slots
    }

    /// What a row binds for `value`: its place in the dictionary (`NULL` for none), or the
    /// text itself when the dictionary [`is_open`](Self::is_open). A value outside a closed
    /// dictionary gets `NULL`, which a `NOT NULL` column refuses (it cannot happen: a call's
    /// dictionaries hold its own rows' values or a type's whole list).
    pub(super) fn code(&self, value: Option<&'a str>) -> Coded<'a> {
        if self.is_open() {
            return Coded::Text(value);
        }
        Coded::Code(value.and_then(|v| self.texts.iter().position(|t| *t == v)))
    }
}

/// A coded column's value for one row (see [`Dict::code`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Coded<'a> {
    Code(Option<usize>),
    Text(Option<&'a str>),
}

impl ToSql for Coded<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match *self {
            Self::Code(Some(code)) => ToSqlOutput::Owned(Value::Integer(code as i64)),
            Self::Text(Some(text)) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            Self::Code(None) | Self::Text(None) => ToSqlOutput::Owned(Value::Null),
        })
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
        rows * self.cols.len() + 1 + self.dicts[..d].iter().map(|x| x.slots).sum::<usize>()
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
                    Col::Coded(d) if !self.dicts[d].is_open() => {
                        let start = self.dict_start(rows, d);
                        let _ = write!(sql, "CASE ?{p}");
                        if self.dicts[d].slots == 0 {
                            sql.push_str(" WHEN NULL THEN NULL");
                        }
                        for j in 0..self.dicts[d].slots {
                            let _ = write!(sql, " WHEN {j} THEN ?{}", start + j);
                        }
                        write!(sql, " END")
                    }
                    Col::Bound | Col::Coded(_) => write!(sql, "?{p}"),
                };
            }
            sql.push(')');
        }
        sql
    }

    fn bind_dicts(&self, stmt: &mut Statement<'_>, rows: usize) -> rusqlite::Result<()> {
        for (d, dict) in self.dicts.iter().enumerate().filter(|(_, x)| !x.is_open()) {
            let start = self.dict_start(rows, d);
            for (j, text) in dict.texts.iter().enumerate() {
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

/// Rows per statement for what is left after the [`CHUNK`]s, before the last few go one by
/// one: three statement texts per table in all, so SQLite's statement cache keeps each one
/// prepared (a text per remainder length was a new parse of a statement of CASEs per call).
const TAIL: usize = 8;

/// Insert `rows` [`CHUNK`] at a time (then [`TAIL`], then one); `bind` binds one row's values
/// (a [`Col::Coded`] column's code, not its text) from the 1-based parameter index it is
/// given.
pub(super) fn insert<R>(
    conn: &Connection,
    shape: &Shape<'_>,
    rows: &[R],
    bind: impl Fn(&mut Statement<'_>, usize, &R) -> rusqlite::Result<()>,
) -> Result<()> {
    // Until the end of the caller's transaction: a broken reference fails the commit. Set
    // only when it is not yet on: setting a flag pragma expires every prepared statement, and
    // each insert call's first execution of its 128-row statement then parsed it again.
    let deferred: bool = conn.pragma_query_value(None, "defer_foreign_keys", |r| r.get(0))?;
    if !deferred {
        conn.pragma_update(None, "defer_foreign_keys", true)?;
    }
    let mut rest = rows;
    for size in [CHUNK, TAIL, 1] {
        let whole = rest.len() - rest.len() % size;
        let (these, after) = rest.split_at(whole);
        rest = after;
        if these.is_empty() {
            continue;
        }
        // Prepared (and its dictionaries bound) once for the call: a statement keeps its
        // bindings from one execution to the next, and looking a long text up in the cache
        // per chunk hashed and compared it each time.
        let mut stmt = conn.prepare_cached(&shape.sql(size))?;
        shape.bind_dicts(&mut stmt, size)?;
        for chunk in these.chunks(size) {
            for (n, row) in chunk.iter().enumerate() {
                bind(&mut stmt, n * shape.cols.len() + 1, row)?;
            }
            stmt.raw_execute()?;
        }
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
        let dicts = [Dict::all(["out", "in"].into_iter())];
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
        assert_eq!(dicts[0].code(Some("in")), Coded::Code(Some(1)));
        assert_eq!(dicts[0].code(None), Coded::Code(None));
        assert_eq!(dicts[0].code(Some("sideways")), Coded::Code(None));
    }

    #[test]
    fn a_calls_own_dictionary_keeps_its_slots_whatever_it_holds() {
        // The statement's text is the same for one distinct value as for four: SQLite keeps
        // one prepared statement instead of parsing a new one per call.
        let sql = |values: &[&'static str]| {
            let dicts = [Dict::of(values.iter().map(|v| Some(*v)))];
            let shape = Shape {
                head: "INSERT INTO t (b) VALUES ",
                cols: &[Col::Coded(0)],
                dicts: &dicts,
            };
            (shape.sql(1), dicts[0].is_open())
        };
        assert_eq!(sql(&["system"]), sql(&["a", "b", "c", "d"]));
        let (open, is_open) = sql(&["a", "b", "c", "d", "e"]);
        assert!(is_open);
        assert_eq!(open, "INSERT INTO t (b) VALUES (?1)", "bound as text");
    }

    fn read(conn: &Connection) -> Vec<(i64, String, Option<String>)> {
        conn.prepare("SELECT n, word, never FROM t ORDER BY n")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[rstest::rstest]
    #[case::closed(&["ngozi", "", "Zoë", "ngozi"])]
    #[case::open_past_its_slots(&["ngozi", "", "Zoë", "ngozi", "o'brien", "Đặng"])]
    fn a_coded_text_reads_back_as_the_text_and_an_empty_dictionary_as_null(
        #[case] words: &[&'static str],
    ) {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (n INTEGER, word TEXT, never TEXT)")
            .unwrap();
        let dicts = [
            Dict::of(words.iter().map(|w| Some(*w))),
            Dict::of(std::iter::empty()),
        ];
        let shape = Shape {
            head: "INSERT INTO t (n, word, never) VALUES ",
            cols: &[Col::Bound, Col::Coded(0), Col::Coded(1)],
            dicts: &dicts,
        };
        // A full statement, a tail statement and single rows.
        let rows: Vec<(i64, &str)> = (0..(CHUNK + TAIL + 3) as i64)
            .map(|i| (i, words[i as usize % words.len()]))
            .collect();
        insert(&conn, &shape, &rows, |s, i, (n, w)| {
            bind(s, i, n)?;
            bind(s, i + 1, dicts[0].code(Some(w)))?;
            bind(s, i + 2, dicts[1].code(None))
        })
        .unwrap();
        let want: Vec<_> = rows
            .iter()
            .map(|(n, w)| (*n, w.to_string(), None))
            .collect();
        assert_eq!(read(&conn), want);
        let typed: String = conn
            .query_row("SELECT DISTINCT typeof(word) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(typed, "text", "stored as text, not as the code");
    }
}
