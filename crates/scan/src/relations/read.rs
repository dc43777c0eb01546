//! Reading a function back from a loop, line by line: the loop around a read, the names the
//! function binds before it, and the queryset chain a name stands for. Only Django's own
//! queryset methods are followed; anything else leaves the chain unknown.

/// Whether the queryset method `m` returns a queryset of the same rows, with the same
/// relations to load (Django's own, and `iterator`): a chain made of these alone says what
/// it loads. A union's rows come from other querysets too.
fn same_rows(m: &str) -> bool {
    m == "iterator"
        || (crate::drf::QUERYSET_API.contains(&m)
            && !matches!(m, "union" | "intersection" | "difference"))
}

/// The line's code with its strings and its comment blanked out (same byte offsets): what
/// is read from a line is never inside a string, but for the `{…}` fields of an f-string,
/// which are code. A triple-quoted string is blanked to the line's end.
pub(super) fn code_of(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    // the open string's quote, whether it is an f-string, and how deep in its fields
    let mut quote: Option<(char, bool)> = None;
    let mut fields = 0;
    let blank = |out: &mut String, c: char| out.extend(std::iter::repeat_n(' ', c.len_utf8()));
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some((_, true)) if fields > 0 => {
                match c {
                    '{' => fields += 1,
                    '}' => fields -= 1,
                    _ => {}
                }
                out.push(c);
            }
            Some((_, true)) if c == '{' && chars.peek() == Some(&'{') => {
                chars.next();
                out.push_str("  ");
            }
            Some((_, true)) if c == '{' => {
                fields = 1;
                out.push(c);
            }
            Some(_) if c == '\\' => {
                blank(&mut out, c);
                if let Some(n) = chars.next() {
                    blank(&mut out, n);
                }
            }
            Some((q, _)) if c == q => {
                quote = None;
                out.push(c);
            }
            Some(_) => blank(&mut out, c),
            None if c == '#' => {
                out.extend(std::iter::repeat_n(' ', line.len() - out.len()));
                break;
            }
            None if c == '"' || c == '\'' => {
                let prefix = out
                    .chars()
                    .rev()
                    .take_while(|p| p.is_ascii_alphabetic())
                    .collect::<String>();
                quote = Some((c, prefix.contains(['f', 'F'])));
                fields = 0;
                out.push(c);
            }
            None => out.push(c),
        }
    }
    out
}

/// The byte offset of the line's assignment `=` at bracket depth 0 (not `==`, `<=`, `+=`, a
/// keyword argument or an annotation's default), in code from [`code_of`].
pub(super) fn assignment_at(code: &str) -> Option<usize> {
    let b = code.as_bytes();
    let mut depth = 0i32;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            b'=' if depth == 0 => {
                let prev = i.checked_sub(1).map(|p| b[p]);
                let next = b.get(i + 1).copied();
                let compound = prev.is_some_and(|p| b"=!<>:+-*/%&|^@".contains(&p));
                if !compound && next != Some(b'=') {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// A loop over rows around a read: the line of its header, its iterable's text, the line
/// of the function's `def`, and, for a loop whose body follows its header on the same
/// line, where that body starts (the reads of the line before it are the header's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Loop {
    pub(super) row: usize,
    pub(super) walked: String,
    pub(super) def_row: usize,
    pub(super) body_at: Option<usize>,
}

/// The `for var in …` (or `for i, var in enumerate(…)`) loop around line `row` (0-based),
/// within its function; the line itself when it is a loop whose body follows on it.
pub(super) fn loop_over(lines: &[&str], row: usize, var: &str) -> Option<Loop> {
    let at = *lines.get(row)?;
    let mut found = header(at, var).and_then(|(walked, colon)| {
        let body = colon + 1;
        (!code_of(at)[body..].trim().is_empty()).then_some((row, walked, Some(body)))
    });
    for r in blocks_around(lines, row) {
        let l = lines[r];
        let t = l.trim_start();
        if t.starts_with("class ") {
            return None;
        }
        if t.starts_with("def ") || t.starts_with("async def ") {
            return found.map(|(row, walked, body_at)| Loop {
                row,
                walked,
                def_row: r,
                body_at,
            });
        }
        if found.is_none() && rx!(r"^\s*for\s").is_match(l) {
            found = header(&continued(lines, r, l), var).map(|(walked, _)| (r, walked, None));
        }
    }
    None
}

/// The lines that open the blocks around line `row`, innermost first: each line above it
/// indented less than every line before it. Blank lines, comments and the closing lines of
/// bracketed expressions say nothing of the blocks around a line.
fn blocks_around<'l>(lines: &'l [&str], row: usize) -> impl Iterator<Item = usize> + 'l {
    let mut limit = lines.get(row).map_or(0, |l| indent(l));
    (0..row.min(lines.len())).rev().filter(move |&r| {
        let l = lines[r];
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') || t.starts_with([')', ']', '}']) {
            return false;
        }
        if indent(l) >= limit {
            return false;
        }
        limit = indent(l);
        true
    })
}

/// The iterable of the loop header `line` (`for var in …:`, maybe continued on the lines
/// after) when it walks rows named `var`, with the offset of the header's colon in `line`.
/// A pair of names (`for i, var in …`) walks rows only in `enumerate(…)`.
fn header(line: &str, var: &str) -> Option<(String, usize)> {
    let head = rx!(r"^\s*for\s+(?:([A-Za-z_]\w*)\s*,\s*)?([A-Za-z_]\w*)\s+in\s+");
    let c = head.captures(line)?;
    if &c[2] != var {
        return None;
    }
    let from = c.get(0)?.end();
    let code = code_of(line);
    let mut d = 0i32;
    let colon = code[from..].char_indices().find_map(|(i, ch)| {
        match ch {
            '(' | '[' | '{' => d += 1,
            ')' | ']' | '}' => d -= 1,
            ':' if d == 0 => return Some(from + i),
            _ => {}
        }
        None
    })?;
    let walked = line[from..colon].trim().to_string();
    if c.get(1).is_some() && !rx!(r"^enumerate\s*\(").is_match(&walked) {
        return None;
    }
    Some((walked, colon))
}

/// The comprehension around the read at byte `at` of line `row` whose own `for` walks rows
/// named `var` (`[o.customer for o in orders]`, over lines too), looking no further back
/// than line `first` (where the comprehension starts): the iterable's text, the line of the
/// function's `def`, and the comprehension's span on line `row` (bytes).
pub(super) fn comprehension_over(
    lines: &[&str],
    first: usize,
    row: usize,
    at: usize,
    var: &str,
) -> Option<(String, usize, std::ops::Range<usize>)> {
    if first > row || row >= lines.len() {
        return None;
    }
    // the code of lines `first..` up to twenty past the read's, as one text
    let last = (row + 20).min(lines.len() - 1);
    let mut text = String::new();
    let mut starts = Vec::new();
    for l in &lines[first..=last] {
        starts.push(text.len());
        text.push_str(&code_of(l));
        text.push('\n');
    }
    let read = starts[row - first] + at;
    let bytes = text.as_bytes();
    // the brackets open at the read, innermost first
    let mut open = Vec::new();
    let mut d = 0i32;
    for i in (0..read).rev() {
        match bytes[i] {
            b')' | b']' | b'}' => d += 1,
            b'(' | b'[' | b'{' if d > 0 => d -= 1,
            b'(' | b'[' | b'{' => open.push(i),
            _ => {}
        }
    }
    let clause = rx!(r"\bfor\s+(?:([A-Za-z_]\w*)\s*,\s*)?([A-Za-z_]\w*)\s+in\s");
    for o in open {
        let close = closing(&text, o)?;
        // the clauses at the comprehension's own depth
        let inner = &text[o + 1..close];
        let top: Vec<usize> = top_level(inner);
        let Some(c) = clause
            .captures_iter(inner)
            .find(|c| top.contains(&c.get(0).map_or(0, |m| m.start())))
        else {
            continue;
        };
        if &c[2] != var {
            return None;
        }
        // `next(o.customer for o in …)` reads one row
        if bytes[o] == b'(' && text[..o].trim_end().ends_with("next") {
            return None;
        }
        let from = c.get(0)?.end();
        let end = rx!(r"\s(?:if|for|async\s+for)\s")
            .find_iter(&inner[from..])
            .map(|m| from + m.start())
            .find(|i| top.contains(&(i + 1)))
            .unwrap_or(inner.len());
        let walked = inner[from..end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if c.get(1).is_some() && !rx!(r"^enumerate\s*\(").is_match(&walked) {
            return None;
        }
        // the original text of the iterable: strings are blanked in `text`
        let original: String = lines[first..=last].join("\n");
        let walked = if original.len() + 1 == text.len() {
            original[o + 1 + from..o + 1 + end]
                .lines()
                .map(uncommented)
                .flat_map(str::split_whitespace)
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            walked
        };
        let line_start = starts[row - first];
        let line_end = line_start + lines[row].len();
        let span = o.max(line_start) - line_start..close.min(line_end) - line_start;
        let def_row = def_above(lines, first)?;
        return Some((walked, def_row, span));
    }
    None
}

/// The byte offsets of `s` at bracket depth 0 (where a comprehension's clauses start).
fn top_level(s: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut d = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '(' | '[' | '{' => d += 1,
            ')' | ']' | '}' => d -= 1,
            _ if d == 0 => out.push(i),
            _ => {}
        }
    }
    out
}

/// The line of the `def` of the function around line `row`; `None` in a class body or at
/// module level.
fn def_above(lines: &[&str], row: usize) -> Option<usize> {
    lines.get(row)?;
    blocks_around(lines, row)
        .map(|r| (r, lines[r].trim_start()))
        .find(|(_, t)| {
            t.starts_with("class ") || t.starts_with("def ") || t.starts_with("async def ")
        })
        .filter(|(_, t)| !t.starts_with("class "))
        .map(|(r, _)| r)
}

/// A line's indentation, in bytes.
pub(super) fn indent(l: &str) -> usize {
    l.len() - l.trim_start().len()
}

/// `start`, the text of line `row` from some point, with the lines after it that close its
/// open brackets or follow a line join (at most twenty), trimmed.
pub(super) fn continued(lines: &[&str], row: usize, start: &str) -> String {
    let mut s = uncommented(start).trim_end().to_string();
    let mut next = row + 1;
    loop {
        let joined = s.ends_with('\\');
        if joined {
            s.pop();
        }
        if !(joined || depth(&code_of(&s)) > 0) || next >= lines.len() || next >= row + 20 {
            break;
        }
        s.push(' ');
        s.push_str(uncommented(lines[next]).trim());
        s = s.trim_end().to_string();
        next += 1;
    }
    s.trim().to_string()
}

/// The line without its comment.
fn uncommented(line: &str) -> &str {
    crate::suppress::outside_quotes(line, &["#"]).map_or(line, |i| &line[..i])
}

/// Whether `w` occurs in `s` as a whole name (`order` in `order.customer`, not in
/// `orders` or `x.order`).
pub(super) fn has_word(s: &str, w: &str) -> bool {
    s.match_indices(w).any(|(i, _)| word_at(s, i, w))
}

/// Whether the `w` at byte `i` of `s` is a whole name.
pub(super) fn word_at(s: &str, i: usize, w: &str) -> bool {
    let before = s[..i].chars().next_back();
    let after = s[i + w.len()..].chars().next();
    !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
        && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Open brackets in code from [`code_of`].
pub(super) fn depth(code: &str) -> i32 {
    code.chars().fold(0, |d, c| match c {
        '(' | '[' | '{' => d + 1,
        ')' | ']' | '}' => d - 1,
        _ => d,
    })
}

/// How a name is bound on a line of the function.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Bound {
    /// `name = <rhs>`.
    To(String),
    /// Any other binding or use that changes what the name's rows hold (a `for` or `with`
    /// target, a tuple target, `+=`, `:=`, `prefetch_related_objects(name, …)`).
    Other,
}

/// The bindings of `name` in the function whose `def` is line `def_row`, on the lines before
/// `row`, in order; the bodies of functions and classes nested in it and the lines inside a
/// bracketed expression or after a line join are not bindings of its own.
fn bindings(lines: &[&str], def_row: usize, row: usize, name: &str) -> Vec<(usize, Bound)> {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut out = Vec::new();
    let mut open = 0i32;
    let mut joined = false;
    let mut nested: Option<usize> = None;
    for (r, line) in lines.iter().enumerate().take(row).skip(def_row + 1) {
        let code = code_of(line);
        let inside = open > 0 || joined;
        open += depth(&code);
        joined = code.trim_end().ends_with('\\');
        let t = code.trim_start();
        if inside || t.is_empty() {
            continue;
        }
        if let Some(n) = nested {
            if indent(line) > n {
                continue;
            }
            nested = None;
        }
        if t.starts_with("def ") || t.starts_with("async def ") || t.starts_with("class ") {
            nested = Some(indent(line));
            continue;
        }
        if !has_word(&code, name) {
            continue;
        }
        let simple = rx!(r"^\s*([A-Za-z_]\w*)\s*(?::[^=]*)?$");
        let bound = match assignment_at(&code) {
            Some(eq) if simple.captures(&code[..eq]).is_some_and(|c| &c[1] == name) => {
                Some(Bound::To(continued(lines, r, &line[eq + 1..])))
            }
            Some(eq) if has_word(&code[..eq], name) => Some(Bound::Other),
            _ => {
                let other = rx!(r"^\s*(?:async\s+)?for\s+(.*?)\s+in\b");
                let targets = other.captures(&code).map(|c| c[1].to_string());
                let as_name = rx!(r"\bas\s+([A-Za-z_]\w*)");
                if targets.is_some_and(|t| has_word(&t, name))
                    || as_name.captures_iter(&code).any(|c| &c[1] == name)
                    || code.contains(&format!("{name} :="))
                    || code.contains(&format!("{name}:="))
                    || rx!(r"^\s*[A-Za-z_]\w*\s*[-+*/%&|^@]=")
                        .find(&code)
                        .is_some_and(|m| has_word(m.as_str(), name))
                    || code.contains("prefetch_related_objects")
                {
                    Some(Bound::Other)
                } else {
                    None
                }
            }
        };
        // an assignment in a block that returns or raises before the loop does not reach it
        if matches!(bound, Some(Bound::To(_))) && leaves(lines, r, row) {
            continue;
        }
        if let Some(b) = bound {
            out.push((r, b));
        }
    }
    out
}

/// Whether the block holding line `r` (deeper than line `row`'s) ends in a `return` or
/// `raise` of its own level before line `row`.
fn leaves(lines: &[&str], r: usize, row: usize) -> bool {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let level = indent(lines[r]);
    if lines.get(row).is_none_or(|l| indent(l) >= level) {
        return false;
    }
    for l in &lines[r + 1..row] {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if indent(l) < level {
            return false;
        }
        if indent(l) == level && (t.starts_with("return") || t.starts_with("raise")) {
            return true;
        }
    }
    false
}

/// The model of the queryset `expr` walks (the iterable of the loop on line `row`, in the
/// function whose `def` is line `def_row`), read back through the name's bindings, with the
/// method calls of every chain read on the way. `None` when a chain holds anything but
/// Django's own queryset methods, or a name is bound otherwise than by one assignment.
pub(super) fn queryset(
    lines: &[&str],
    def_row: usize,
    row: usize,
    expr: &str,
) -> Option<(String, Vec<String>)> {
    let mut calls = Vec::new();
    let mut cur = expr.to_string();
    let mut upto = row;
    for _ in 0..8 {
        let (head, mut own) = chain(&cur)?;
        calls.append(&mut own);
        match head {
            Head::Model(m) => return Some((m, calls)),
            Head::Name(n) => {
                let binds = bindings(lines, def_row, upto, &n);
                let (at, last) = binds.last()?;
                let Bound::To(rhs) = last else {
                    return None;
                };
                cur = rhs.clone();
                upto = *at;
            }
        }
    }
    None
}

/// Where a chain starts.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Head {
    /// `Model.objects`.
    Model(String),
    /// A name bound earlier.
    Name(String),
}

/// A queryset chain's head and its method calls (`select_related("customer")`), when it is
/// a `Model.objects` or a name followed only by [`same_rows`] calls and subscripts, maybe
/// in `list(…)`, `sorted(…)` or parentheses.
fn chain(expr: &str) -> Option<(Head, Vec<String>)> {
    let mut e = expr.trim();
    loop {
        if e.starts_with('(') && closing(e, 0) == Some(e.len() - 1) {
            e = e[1..e.len() - 1].trim();
            continue;
        }
        let wrap = rx!(r"^(?:list|tuple|sorted|reversed|enumerate)\s*\(");
        if let Some(m) = wrap.find(e) {
            let open = m.end() - 1;
            if closing(e, open) != Some(e.len() - 1) {
                return None;
            }
            let inner = &e[open + 1..e.len() - 1];
            let first = super::arguments(inner).into_iter().next()?;
            let at = inner.find(first.trim())?;
            e = inner[at..at + first.trim().len()].trim();
            continue;
        }
        break;
    }
    let model = rx!(r"^([A-Z]\w*)\s*\.\s*objects\b");
    let name = rx!(r"^([a-z_]\w*)\b");
    let (head, mut at) = if let Some(c) = model.captures(e) {
        (Head::Model(c[1].to_string()), c.get(0)?.end())
    } else {
        let c = name.captures(e)?;
        if matches!(&c[1], "self" | "cls") {
            return None;
        }
        (Head::Name(c[1].to_string()), c.get(0)?.end())
    };
    let ident = rx!(r"^\s*\.\s*([A-Za-z_]\w*)\s*");
    let mut calls = Vec::new();
    loop {
        let rest = &e[at..];
        if rest.trim().is_empty() {
            return Some((head, calls));
        }
        if rest.trim_start().starts_with('[') {
            let open = at + (rest.len() - rest.trim_start().len());
            at = closing(e, open)? + 1;
            continue;
        }
        let c = ident.captures(rest)?;
        let method = c.get(1)?.as_str();
        let open = at + c.get(0)?.end();
        if e.as_bytes().get(open) != Some(&b'(') || !same_rows(method) {
            return None;
        }
        let close = closing(e, open)?;
        calls.push(format!("{method}{}", &e[open..=close]));
        at = close + 1;
    }
}

/// The offset of the bracket that closes the one at `open` in `s` (strings skipped).
pub(super) fn closing(s: &str, open: usize) -> Option<usize> {
    let code = code_of(&s[open..]);
    let mut d = 0i32;
    for (i, c) in code.char_indices() {
        match c {
            '(' | '[' | '{' => d += 1,
            ')' | ']' | '}' => {
                d -= 1;
                if d == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}
