//! `perfhive completions SHELL` (clap_complete) and `perfhive man` (clap_mangen): both
//! generated from the command tree the binary parses with, so they never drift from it.

use crate::exit::Code;
use crate::output::Printer;
use anyhow::Context;
use clap::Args;
use clap_complete::Shell;
use std::path::PathBuf;

/// Arguments of `perfhive completions`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  perfhive completions bash > ~/.local/share/bash-completion/completions/perfhive\n  \
perfhive completions zsh > ~/.zfunc/_perfhive\n  perfhive completions fish > ~/.config/fish/completions/perfhive.fish\n  \
perfhive completions powershell >> $PROFILE"
)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

/// Arguments of `perfhive man`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  perfhive man | man -l -\n  perfhive man --out-dir /usr/local/share/man/man1"
)]
pub struct ManArgs {
    /// Write perfhive.1 and one page per command (perfhive-run.1, …) to this folder instead.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Prints the completion script.
pub fn completions(a: CompletionsArgs, out: &mut Printer) -> anyhow::Result<Code> {
    let mut cmd = super::command();
    // generated into memory first: clap_complete's writer panics on a write error (a closed pipe)
    let mut script = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "perfhive", &mut script);
    out.out().write_all(&script)?;
    Ok(Code::OK)
}

/// Prints the manual page, or writes every page to a folder.
pub fn man(a: ManArgs, out: &mut Printer) -> anyhow::Result<Code> {
    let cmd = super::command();
    match a.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create `{}`", dir.display()))?;
            clap_mangen::generate_to(cmd, &dir)
                .with_context(|| format!("cannot write the pages to `{}`", dir.display()))?;
            writeln!(out.out(), "manual pages written to {}", dir.display())?;
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut page)?;
            out.out().write_all(&page)?;
        }
    }
    Ok(Code::OK)
}
