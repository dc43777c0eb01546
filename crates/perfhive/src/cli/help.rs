//! One placeholder style in every command's help, enforced where the command tree is built
//! rather than by a convention each file must remember: a value whose placeholder was left to
//! clap (the field name in capitals: `<MAX_TIME>`, `<N_PLUS_ONE>`) is named by its type —
//! `<DURATION>` for durations, `<N>` for counts, `<ADDR>` for socket and IP addresses — or else
//! by the last word of the field. Placeholders a command names itself (`<FILE>`, `<RPS>`,
//! `<EXPR>`) are kept.

use clap::{Arg, Command};
use std::any::TypeId;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Placeholders that stay as they are even for integers: they name what the number is.
const INTEGER_NOUNS: &[&str] = &["PORT", "PID"];

/// The placeholder of a value of this type, when the type says it.
fn by_type(arg: &Arg) -> Option<&'static str> {
    let t = arg.get_value_parser().type_id();
    if t == TypeId::of::<Duration>() {
        return Some("DURATION");
    }
    if t == TypeId::of::<SocketAddr>() || t == TypeId::of::<IpAddr>() {
        return Some("ADDR");
    }
    let integers = [
        TypeId::of::<u8>(),
        TypeId::of::<u16>(),
        TypeId::of::<u32>(),
        TypeId::of::<u64>(),
        TypeId::of::<usize>(),
        TypeId::of::<i32>(),
        TypeId::of::<i64>(),
    ];
    integers.iter().any(|i| t == *i).then_some("N")
}

fn normalise_arg(arg: Arg) -> Arg {
    if !arg.get_action().takes_values() || arg.is_positional() {
        return arg;
    }
    let id = arg.get_id().as_str().to_ascii_uppercase();
    let names: Vec<String> = arg
        .get_value_names()
        .map(|v| v.iter().map(|s| s.to_string()).collect())
        .unwrap_or_default();
    // only the placeholder clap derived from the field name is replaced
    if !(names.is_empty() || names == [id.clone()]) {
        return arg;
    }
    let name = match by_type(&arg) {
        Some("N") if INTEGER_NOUNS.contains(&id.as_str()) => id,
        Some(t) => t.to_string(),
        None => id.rsplit('_').next().unwrap_or(&id).to_string(),
    };
    arg.value_name(name)
}

/// Applies the placeholder style to `cmd` and every subcommand.
pub fn normalise(cmd: Command) -> Command {
    let args: Vec<_> = cmd.get_arguments().map(|a| a.get_id().clone()).collect();
    let mut cmd = cmd;
    for id in args {
        cmd = cmd.mut_arg(id, normalise_arg);
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in subs {
        cmd = cmd.mut_subcommand(name, normalise);
    }
    cmd
}

#[cfg(test)]
mod tests {
    /// Every placeholder of every command: one word in capitals, durations `DURATION`, counts
    /// `N` (a command's own names for its values are kept).
    #[test]
    fn every_placeholder_follows_one_style() {
        let mut cmd = super::super::command();
        cmd.build();
        let mut bad = Vec::new();
        fn walk(c: &clap::Command, path: String, bad: &mut Vec<String>) {
            for a in c.get_arguments().filter(|a| a.get_action().takes_values()) {
                for v in a.get_value_names().unwrap_or_default() {
                    let v = v.as_str();
                    if v.contains('_') || v != v.to_ascii_uppercase() {
                        bad.push(format!("{path} --{}: <{v}>", a.get_id()));
                    }
                }
                if a.get_value_parser().type_id() == std::any::TypeId::of::<std::time::Duration>() {
                    let names: Vec<&str> = a
                        .get_value_names()
                        .unwrap_or_default()
                        .iter()
                        .map(|s| s.as_str())
                        .collect();
                    if names != ["DURATION"] {
                        bad.push(format!("{path} --{}: {names:?} for a duration", a.get_id()));
                    }
                }
            }
            for s in c.get_subcommands() {
                walk(s, format!("{path} {}", s.get_name()), bad);
            }
        }
        walk(&cmd, "perfhive".into(), &mut bad);
        assert!(bad.is_empty(), "{bad:#?}");
    }
}
