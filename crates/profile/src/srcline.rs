//! Source file and line of native application functions, from their object's debug information.
//!
//! perf names native functions but not their source; asking it for every frame's `srcline` makes
//! `perf script` run addr2line on each sample, far too slow for a live profile. Only the ranked
//! application functions need a location, so after ranking each is looked up once: the symbol's
//! address with `nm --defined-only` (one run per object), then its file and line with `addr2line`
//! (one run per object for all its functions) — GNU binutils, which perf's own `srcline` uses
//! too. The line is where the function starts. Objects without debug information, or a machine
//! without binutils, leave the location unknown; nothing fails.

use std::collections::HashMap;
use std::process::{Command, Stdio};

use crate::collapse::FunctionShare;
use crate::stack::{FrameKind, Stack};

/// Fills `file` and `line` of native application functions in `shares` that have none.
pub fn resolve(shares: &mut [FunctionShare], stacks: &[Stack]) {
    // function -> object, from the frames.
    let mut object_of: HashMap<&str, &str> = HashMap::new();
    for s in stacks {
        for f in &s.frames {
            if let (FrameKind::Application, None, Some(module)) = (f.kind, &f.file, &f.module) {
                object_of
                    .entry(f.function.as_str())
                    .or_insert(module.as_str());
            }
        }
    }
    let mut wanted: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, share) in shares.iter().enumerate() {
        if share.file.is_some() || share.kind != Some(FrameKind::Application) {
            continue;
        }
        if let Some(object) = object_of.get(share.function.as_str()) {
            wanted.entry(object).or_default().push(i);
        }
    }
    for (object, indices) in wanted {
        let Some(addresses) = symbol_addresses(object) else {
            continue;
        };
        let lookups: Vec<(usize, u64)> = indices
            .into_iter()
            .filter_map(|i| addresses.get(&shares[i].function).map(|a| (i, *a)))
            .collect();
        let Some(lines) = addr2line(object, lookups.iter().map(|(_, a)| *a)) else {
            continue;
        };
        for ((i, _), location) in lookups.into_iter().zip(lines) {
            if let Some((file, line)) = location {
                shares[i].file = Some(file);
                shares[i].line = Some(line);
            }
        }
    }
}

/// Defined text symbols of `object` and their addresses.
fn symbol_addresses(object: &str) -> Option<HashMap<String, u64>> {
    let out = Command::new("nm")
        .args(["--defined-only", "--demangle"])
        .arg(object)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut map = HashMap::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, ' ');
        let (Some(addr), Some(kind), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if !matches!(kind, "T" | "t" | "W" | "w") {
            continue;
        }
        if let Ok(addr) = u64::from_str_radix(addr, 16) {
            map.entry(name.to_owned()).or_insert(addr);
        }
    }
    Some(map)
}

/// `file:line` of each address in `object` (`None` where addr2line does not know).
fn addr2line(
    object: &str,
    addresses: impl Iterator<Item = u64>,
) -> Option<Vec<Option<(String, u32)>>> {
    let args: Vec<String> = addresses.map(|a| format!("{a:#x}")).collect();
    if args.is_empty() {
        return Some(Vec::new());
    }
    let out = Command::new("addr2line")
        .arg("-e")
        .arg(object)
        .args(&args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8_lossy(&out.stdout);
    Some(text.lines().map(parse_location).collect())
}

/// `/src/hot.c:10` (or `/src/hot.c:10 (discriminator 2)`) → (`/src/hot.c`, 10); `??:0` → None.
fn parse_location(line: &str) -> Option<(String, u32)> {
    let line = line.split(" (").next()?.trim();
    let (file, number) = line.rsplit_once(':')?;
    let number: u32 = number.parse().ok()?;
    (file != "??" && number > 0).then(|| (file.to_owned(), number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        assert_eq!(
            parse_location("/src/hot.c:10"),
            Some(("/src/hot.c".into(), 10))
        );
        assert_eq!(
            parse_location("/src/hot.c:12 (discriminator 3)"),
            Some(("/src/hot.c".into(), 12))
        );
        assert_eq!(parse_location("??:0"), None);
        assert_eq!(parse_location("??:?"), None);
    }
}
