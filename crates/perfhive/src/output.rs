//! All terminal output goes through [`Printer`]: results to stdout, diagnostics and progress to
//! stderr, colour only on terminals (and never when NO_COLOR is set).

use anyhow::Context;
use std::io::{self, IsTerminal, Write};
use std::path::Path;

/// The process's output.
pub struct Printer {
    stdout: Stdout,
    stderr: io::Stderr,
}

/// Standard output that remembers whether its reader went away (a write failed with a broken
/// pipe): main then ends quietly instead of reporting an error.
struct Stdout {
    inner: io::Stdout,
    closed: bool,
}

impl Stdout {
    fn note<T>(&mut self, r: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &r {
            if e.kind() == io::ErrorKind::BrokenPipe {
                self.closed = true;
            }
        }
        r
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = self.inner.write(buf);
        self.note(r)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let r = self.inner.write_all(buf);
        self.note(r)
    }

    fn flush(&mut self) -> io::Result<()> {
        let r = self.inner.flush();
        self.note(r)
    }
}

impl Printer {
    /// Wraps the standard streams.
    pub fn new() -> Self {
        Printer {
            stdout: Stdout {
                inner: io::stdout(),
                closed: false,
            },
            stderr: io::stderr(),
        }
    }

    /// Whether to colour output written to stdout (`to_stderr` for stderr).
    pub fn color(&self, to_stderr: bool) -> bool {
        std::env::var_os("NO_COLOR").is_none()
            && if to_stderr {
                self.stderr.is_terminal()
            } else {
                self.stdout.inner.is_terminal()
            }
    }

    /// Whether stderr is an interactive terminal (for live progress).
    pub fn interactive(&self) -> bool {
        self.stderr.is_terminal()
    }

    /// Whether a write to stdout failed because its reader went away (`| head -1`).
    pub fn stdout_closed(&self) -> bool {
        self.stdout.closed
    }

    /// Standard output.
    pub fn out(&mut self) -> &mut dyn Write {
        &mut self.stdout
    }

    /// Standard error.
    pub fn err(&mut self) -> &mut dyn Write {
        &mut self.stderr
    }

    /// Writes a rendered report to `file`, or to stdout, with its one-line `summary` on stderr
    /// (after the path written; on stdout only when the report is not the `terminal` one,
    /// which says it already).
    pub fn report(
        &mut self,
        report: &[u8],
        file: Option<&Path>,
        summary: &str,
        terminal: bool,
    ) -> anyhow::Result<()> {
        match file {
            Some(path) => {
                std::fs::write(path, report)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                writeln!(self.stderr, "{summary}\nwrote {}", path.display())?;
            }
            None => {
                self.stdout.write_all(report)?;
                if !terminal {
                    writeln!(self.stderr, "{summary}")?;
                }
            }
        }
        Ok(())
    }

    /// Prints an error and its causes.
    pub fn error(&mut self, err: &anyhow::Error) {
        let red = self.color(true);
        let label = if red {
            "\x1b[31;1merror\x1b[0m"
        } else {
            "error"
        };
        let _ = writeln!(self.stderr, "{label}: {err}");
        for cause in err.chain().skip(1) {
            let _ = writeln!(self.stderr, "  caused by: {cause}");
        }
    }

    /// Prints a warning line.
    pub fn warn(&mut self, msg: &str) {
        let label = if self.color(true) {
            "\x1b[33mwarning\x1b[0m"
        } else {
            "warning"
        };
        let _ = writeln!(self.stderr, "{label}: {msg}");
    }
}
