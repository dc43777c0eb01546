//! `perfhive`: a performance lab in one binary. Thin main: parse, run, print the error chain,
//! map to the documented exit code.

mod cli;
mod exit;
mod output;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let mut out = output::Printer::new();
    match cli::exec(args, &mut out) {
        Ok(code) => code.into(),
        Err(err) => {
            out.error(&err);
            exit::code_for_error(&err).into()
        }
    }
}
