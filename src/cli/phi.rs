//! `frontdesk phi check [TEXT]`: the PHI gate's verdict as JSON lines (SPEC §4). Needs no
//! database and no config file; uses `[phi] allow` when a config names it. Must not import
//! store or provider.

use std::io::{self, BufRead, BufWriter, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use super::Context;
use crate::phi::{Gate, Verdict};

#[derive(Debug, Args)]
pub struct PhiArgs {
    #[command(subcommand)]
    pub command: PhiCommand,
}

#[derive(Debug, Subcommand)]
pub enum PhiCommand {
    /// Check TEXT, or each line of standard input, for clinical detail. Prints one JSON
    /// object per line: {"blocked":bool,"findings":[{"start","end","category","rule","text"}]}
    /// with byte offsets into the line. Exit 0 whether blocked or not.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The text to check; without it, every line of standard input is checked.
    pub text: Option<String>,
    /// Print a human-readable table instead of JSON.
    #[arg(long)]
    pub explain: bool,
}

pub fn run(args: PhiArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    match args.command {
        PhiCommand::Check(check) => run_check(check, ctx),
    }
}

fn run_check(args: CheckArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let gate = crate::workflow::sender::gate(&ctx.config);
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let result = match args.text {
        Some(text) => write_verdict(&mut out, &text, &gate.check(&text), args.explain),
        None => check_lines(io::stdin().lock(), &mut out, &gate, args.explain),
    };
    let result = result.and_then(|()| out.flush().map_err(anyhow::Error::from));
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // `frontdesk phi check < big.txt | head`: the reader left; that is not an error.
        Err(e) if is_broken_pipe(&e) => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e),
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// One verdict per input line, with one reused line buffer: memory stays constant however
/// long the input is.
fn check_lines(
    mut input: impl BufRead,
    out: &mut impl Write,
    gate: &Gate,
    explain: bool,
) -> anyhow::Result<()> {
    let mut raw = Vec::with_capacity(1024);
    let mut number = 0u64;
    loop {
        raw.clear();
        let read = input
            .read_until(b'\n', &mut raw)
            .context("reading standard input")?;
        if read == 0 {
            return Ok(());
        }
        number += 1;
        if raw.last() == Some(&b'\n') {
            raw.pop();
            if raw.last() == Some(&b'\r') {
                raw.pop();
            }
        }
        let line = std::str::from_utf8(&raw).map_err(|e| {
            anyhow::anyhow!(
                "line {number} of standard input is not UTF-8 (byte {}); convert the file to UTF-8 and run again",
                e.valid_up_to() + 1
            )
        })?;
        write_verdict(out, line, &gate.check(line), explain)?;
    }
}

fn write_verdict(
    out: &mut impl Write,
    text: &str,
    verdict: &Verdict,
    explain: bool,
) -> anyhow::Result<()> {
    if !explain {
        serde_json::to_writer(&mut *out, verdict)?;
        out.write_all(b"\n")?;
        return Ok(());
    }
    writeln!(out, "{text}")?;
    writeln!(out, "  {}", verdict.summary())?;
    if !verdict.findings.is_empty() {
        writeln!(
            out,
            "  {:<11} {:<12} {:<22} text",
            "span", "category", "rule"
        )?;
        for f in &verdict.findings {
            let span = format!("{}..{}", f.start, f.end);
            let rule = if f.allowed {
                format!("{} (allowed)", f.rule)
            } else {
                f.rule.to_string()
            };
            writeln!(
                out,
                "  {:<11} {:<12} {:<22} {}",
                span,
                f.category.as_str(),
                rule,
                f.text
            )?;
        }
    }
    writeln!(out)?;
    Ok(())
}
