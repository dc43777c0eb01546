//! The text of a Python file's loops, read before the file is parsed: every `for` and `while`
//! statement (its header, body and `else` block, by indentation) and every comprehension or
//! generator (the brackets around its `for`). A rule that reports a node inside a loop can
//! only match where its words occur in this text, so a file whose loops lack them need not be
//! parsed (the prefilter's `Req::Region`). The text is a superset of every loop node's text
//! as tree-sitter parses a file without syntax errors (a seeded test checks it against
//! tree-sitter's parse of random fragments; its error recovery may stretch a loop further,
//! so a file with errors is walked whole): when the reading is in doubt it is the whole file — a bracket or string left
//! open, an f-string expression holding the string's own quote (Python 3.12), a form feed or a
//! tab after a space in the indentation (Python and tree-sitter measure those apart), a
//! carriage return not followed by a line feed, a zero-width space or a backtick outside
//! strings and comments.

/// The node kinds of tree-sitter-python whose text the loop text holds.
pub(crate) const LOOP_KINDS: [&str; 6] = [
    "for_statement",
    "while_statement",
    "list_comprehension",
    "set_comprehension",
    "dictionary_comprehension",
    "generator_expression",
];

/// The byte ranges of `text`'s loops, merged and in order; `None` when the whole file must be
/// taken.
pub(crate) fn loop_ranges(text: &[u8]) -> Option<Vec<(usize, usize)>> {
    // a byte-order mark opens the file as whitespace
    let skip = if text.starts_with(BOM) { BOM.len() } else { 0 };
    let body = &text[skip..];
    // a carriage return alone ends a line for Python and starts tree-sitter's indentation
    // count again, where the lines read here would take it for a blank
    if memchr::memchr_iter(b'\r', body).any(|i| body.get(i + 1) != Some(&b'\n')) {
        return None;
    }
    let lex = lex(body)?;
    let mut ranges = lex.bracketed;
    for &at in &lex.statements {
        ranges.push(statement_range(&lex.lines, at, body.len()));
    }
    for r in &mut ranges {
        *r = (r.0 + skip, r.1 + skip);
    }
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    Some(merged)
}

/// Whether the bytes `start..end` meet one of `ranges` (a file's [`loop_ranges`]: sorted and
/// disjoint); a range that only touches an edge counts, so that nothing of a loop is missed.
pub(crate) fn meets(ranges: &[(usize, usize)], start: usize, end: usize) -> bool {
    // the first range that does not end before `start`
    let i = ranges.partition_point(|&(_, e)| e < start);
    ranges.get(i).is_some_and(|&(s, _)| s <= end)
}

/// The text of [`loop_ranges`], each range on its own lines; the whole text when in doubt.
#[cfg(test)]
pub(crate) fn loop_text(text: &[u8]) -> Vec<u8> {
    text_of(text, loop_ranges(text).as_deref())
}

/// The text of `ranges` of `text` (its [`loop_ranges`]), each range on its own lines; the
/// whole text when they are `None`.
pub(crate) fn text_of(text: &[u8], ranges: Option<&[(usize, usize)]>) -> Vec<u8> {
    let Some(ranges) = ranges else {
        return text.to_vec();
    };
    let mut out = Vec::with_capacity(ranges.iter().map(|(s, e)| e - s + 1).sum());
    for &(s, e) in ranges {
        out.extend_from_slice(&text[s..e]);
        out.push(b'\n');
    }
    out
}

const BOM: &[u8] = "\u{FEFF}".as_bytes();

/// Zero-width characters tree-sitter's Python grammar reads as whitespace.
const ZERO_WIDTH: [&[u8]; 3] = [BOM, "\u{200B}".as_bytes(), "\u{2060}".as_bytes()];

/// The start of a logical line: where it starts, its indentation, and what it holds.
#[derive(Debug, Clone, Copy)]
struct Line {
    start: usize,
    indent: usize,
    /// Only whitespace or a comment: it neither ends nor continues a block.
    blank: bool,
    /// It starts with the keyword `else`.
    is_else: bool,
}

#[derive(Debug, Default)]
struct Lexed {
    /// Logical line starts, in order.
    lines: Vec<Line>,
    /// `for`/`while` keywords outside brackets: loop statements.
    statements: Vec<usize>,
    /// Brackets holding a `for` (comprehensions, generators), and f-strings that spell one.
    bracketed: Vec<(usize, usize)>,
}

fn ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Whether `text[at..]` is the keyword `word` as a whole word.
fn keyword(text: &[u8], at: usize, word: &[u8]) -> bool {
    text[at..].starts_with(word)
        && (at == 0 || !ident(text[at - 1]))
        && text.get(at + word.len()).is_none_or(|&b| !ident(b))
}

/// Python's indentation width of the line starting at `start` (a tab advances to the next
/// multiple of 8), where its first token is, or `None` at a form feed.
fn indentation(text: &[u8], start: usize) -> Option<(usize, usize)> {
    let mut width = 0;
    let mut i = start;
    let mut space = false;
    while let Some(&b) = text.get(i) {
        match b {
            b' ' => {
                width += 1;
                space = true;
            }
            // Python's tab stops and tree-sitter's eight columns per tab agree unless a
            // tab follows a space
            b'\t' if space => return None,
            b'\t' => width = (width / 8 + 1) * 8,
            0x0c => return None,
            // a line join inside the indentation: the indentation goes on (tree-sitter)
            b'\\' => match (text.get(i + 1), text.get(i + 2)) {
                (Some(b'\n'), _) => i += 1,
                (Some(b'\r'), Some(b'\n')) => i += 2,
                _ => break,
            },
            _ => break,
        }
        i += 1;
    }
    Some((width, i))
}

/// The line that starts a logical line at `start`.
fn line_at(text: &[u8], start: usize) -> Option<Line> {
    let (indent, first) = indentation(text, start)?;
    let blank = matches!(text.get(first), None | Some(b'\n' | b'\r' | b'#'));
    Some(Line {
        start,
        indent,
        blank,
        is_else: keyword(text, first, b"else"),
    })
}

/// Reads strings, comments, brackets and line structure.
fn lex(text: &[u8]) -> Option<Lexed> {
    let mut out = Lexed::default();
    // open brackets: where, and whether a `for` stands directly inside
    let mut open: Vec<(usize, bool)> = Vec::new();
    out.lines.push(line_at(text, 0)?);
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        match b {
            b'#' => {
                while i < text.len() && text[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'\\' if matches!(text.get(i + 1), Some(b'\n')) => {
                // an explicit line join: the next line continues this one
                i += 2;
                continue;
            }
            b'\\' if text.get(i + 1) == Some(&b'\r') && text.get(i + 2) == Some(&b'\n') => {
                i += 3;
                continue;
            }
            b'\n' => {
                i += 1;
                if open.is_empty() && i < text.len() {
                    out.lines.push(line_at(text, i)?);
                }
                continue;
            }
            // outside strings and comments, a backtick (Python 2's repr) or a character
            // tree-sitter takes for whitespace and Python does not leaves the reading in doubt
            b'`' => return None,
            0xE2 | 0xEF if ZERO_WIDTH.iter().any(|z| text[i..].starts_with(z)) => return None,
            b'(' | b'[' | b'{' => open.push((i, false)),
            b')' | b']' | b'}' => {
                if let Some((start, has_for)) = open.pop() {
                    if has_for {
                        out.bracketed.push((start, i + 1));
                    }
                }
            }
            b'"' | b'\'' => {
                let prefix = string_prefix(text, i);
                // f- and t-strings hold expressions, which may hold a comprehension
                let fmt = prefix.iter().any(|c| b"fFtT".contains(c));
                let end = string_end(text, i, fmt)?;
                if fmt {
                    let body = &text[i..end];
                    if (0..body.len())
                        .any(|k| keyword(body, k, b"for") || keyword(body, k, b"while"))
                    {
                        out.bracketed.push((i - prefix.len(), end));
                    }
                }
                i = end;
                continue;
            }
            _ if ident(b) && (i == 0 || !ident(text[i - 1])) => {
                let start = i;
                while i < text.len() && ident(text[i]) {
                    i += 1;
                }
                let run = &text[start..i];
                if ZERO_WIDTH
                    .iter()
                    .any(|z| memchr::memmem::find(run, z).is_some())
                {
                    return None;
                }
                // a character that is no letter or digit glued to a word (`for\u{3000}o`,
                // a no-break space): tree-sitter may read it as a gap, Python does not
                if run.iter().any(|&c| c >= 0x80)
                    && std::str::from_utf8(run).map_or(true, |w| {
                        w.chars().any(|c| !c.is_alphanumeric() && c != '_')
                    })
                {
                    return None;
                }
                // a number may run into a keyword (`[x*1for x in y]`)
                let glued = b.is_ascii_digit()
                    && (memchr::memmem::find(run, b"for").is_some()
                        || memchr::memmem::find(run, b"while").is_some());
                if glued || keyword(text, start, b"for") || keyword(text, start, b"while") {
                    match open.last_mut() {
                        Some(top) => top.1 = true,
                        None => out.statements.push(start),
                    }
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    // a bracket left open: the reading is in doubt
    open.is_empty().then_some(out)
}

/// The prefix letters (`f`, `rb`, …) of the string whose quote is at `quote`.
fn string_prefix(text: &[u8], quote: usize) -> &[u8] {
    let mut s = quote;
    while s > 0 && text[s - 1].is_ascii_alphabetic() {
        s -= 1;
    }
    let p = &text[s..quote];
    let letters = p.len() <= 3 && p.iter().all(|c| b"rRbBuUfFtT".contains(c));
    if letters && (s == 0 || !ident(text[s - 1])) {
        p
    } else {
        &[]
    }
}

/// Where the string starting at `quote` ends (just past its closing quote). A backslash
/// escapes the next byte in every string (a raw string cannot end on one either). In an f- or
/// t-string (`fmt`), braces are counted. `None` when the reading is in doubt: a string left
/// open, or an f-string expression that holds the string's own quote.
fn string_end(text: &[u8], quote: usize, fmt: bool) -> Option<usize> {
    let q = text[quote];
    let triple = text.get(quote + 1) == Some(&q) && text.get(quote + 2) == Some(&q);
    let mut i = quote + if triple { 3 } else { 1 };
    // open `{` of an f- or t-string's expressions (`{{` is a brace of the text)
    let mut braces = 0usize;
    while i < text.len() {
        match text[i] {
            b'\\' if text.get(i + 1) == Some(&b'\r') && text.get(i + 2) == Some(&b'\n') => i += 3,
            b'\\' => i += 2,
            b'{' if fmt && text.get(i + 1) == Some(&b'{') && braces == 0 => i += 2,
            b'}' if fmt && text.get(i + 1) == Some(&b'}') && braces == 0 => i += 2,
            b'{' if fmt => {
                braces += 1;
                i += 1;
            }
            b'}' if fmt => {
                braces = braces.saturating_sub(1);
                i += 1;
            }
            // a one-quote string left open at its line's end, or an expression that goes
            // on past it: tree-sitter may read the rest as code
            b'\n' if !triple => return None,
            // the quote inside an expression: a nested string (Python 3.12), which this
            // reading does not follow
            c if c == q && braces > 0 => return None,
            c if c == q => {
                if !triple {
                    return Some(i + 1);
                }
                if text.get(i + 1) == Some(&q) && text.get(i + 2) == Some(&q) {
                    return Some(i + 3);
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

/// The range of the loop statement whose keyword is at `at`: from its logical line to the
/// first later logical line indented no deeper, past an `else` block at its own depth.
fn statement_range(lines: &[Line], at: usize, len: usize) -> (usize, usize) {
    let k = lines.partition_point(|l| l.start <= at).saturating_sub(1);
    let own = lines[k];
    let mut rest = lines[k + 1..].iter().filter(|l| !l.blank);
    let Some(first) = rest.clone().next() else {
        return (own.start, len);
    };
    // tree-sitter opens a body one level above the indentation it has pushed, which is the
    // header's own unless that indentation was unexpected (a fragment indented as a whole):
    // a body ends below its first line's indentation, and never deeper than the header's
    let mut below = first.indent.min(own.indent + 1);
    let mut in_else = false;
    for l in rest.by_ref() {
        if l.indent >= below {
            continue;
        }
        if l.is_else && !in_else && l.indent <= own.indent {
            // the loop's `else` (or an enclosing statement's: more text is no harm)
            in_else = true;
            below = l.indent + 1;
            continue;
        }
        return (own.start, l.start);
    }
    (own.start, len)
}

#[cfg(test)]
#[path = "loop_text_tests.rs"]
mod tests;
