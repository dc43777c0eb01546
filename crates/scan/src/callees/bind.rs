//! What a Python file binds a name to, read from its text in the scope that holds a line: the
//! function around an await for a local name, the class around it for `self.attr`. A name
//! bound more than one way (another value, a loop variable, `as`, an unpacking, an untyped
//! parameter) has no class here.

/// The byte offsets where `name` stands as a whole word.
pub(super) fn word_at<'a>(text: &'a str, name: &'a str) -> impl Iterator<Item = usize> + 'a {
    text.match_indices(name).map(|(i, _)| i).filter(move |&i| {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c == '_' || c.is_alphanumeric());
        !word(before) && !word(after)
    })
}

/// Whether `s` is a Python name.
pub(super) fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f == '_' || f.is_alphabetic())
        && c.all(|ch| ch == '_' || ch.is_alphanumeric())
}

/// Whether byte `i` of `text` is the first of its line but for spaces and tabs (found by
/// looking back over the indentation only).
pub(super) fn at_line_start(text: &str, i: usize) -> bool {
    let before = text[..i].trim_end_matches([' ', '\t']);
    before.is_empty() || before.ends_with('\n')
}

/// What follows byte `i` on its line, past spaces and tabs.
fn after(text: &str, i: usize) -> &str {
    text[i..].trim_start_matches([' ', '\t'])
}

/// The rest of the line from byte `i`, without its comment.
fn rest_of_line(text: &str, i: usize) -> &str {
    let line = text[i..].split('\n').next().unwrap_or("");
    line.split(" #").next().unwrap_or(line).trim()
}

/// The offset just past the bracket that closes the one `s` opens at byte 0, or `None` when
/// the line ends first (the call goes on over the next lines).
fn close(s: &str) -> Option<usize> {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            '\n' => return None,
            _ => {}
        }
    }
    None
}

/// Whether `rhs` is one call (or bracketed literal) and nothing else: `Heartbeater(…)`,
/// `{}`, not `Heartbeater() if x else Remote()`. A call left open at the end of its line is
/// taken whole.
pub(crate) fn whole(rhs: &str) -> bool {
    let Some(open) = rhs.find(['(', '[', '{']) else {
        return false;
    };
    // `Heartbeater[Item](…)`: the subscript, then the call
    let mut at = open;
    loop {
        let Some(end) = close(&rhs[at..]) else {
            return true;
        };
        let rest = rhs[at + end..].trim_start_matches([' ', '\t']);
        if rest.starts_with('(') && rhs[at..].starts_with('[') {
            at += end + (rhs[at + end..].len() - rest.len());
            continue;
        }
        return rest.is_empty() || rest.starts_with('#') || rest.starts_with('\n');
    }
}

/// The class an annotation names: `Heartbeater`, `"Heartbeater[ItemT]"`,
/// `Optional[Heartbeater]`, `Heartbeater | None`, `mod.Heartbeater`; `None` for anything else
/// (a union of classes, a container, a name in lower case).
pub(super) fn class_name(annotation: &str) -> Option<&str> {
    let mut t = annotation.trim().trim_matches(['"', '\'']).trim();
    if let Some(inner) = t
        .strip_prefix("Optional[")
        .or_else(|| t.strip_prefix("typing.Optional["))
    {
        t = inner.strip_suffix(']')?.trim().trim_matches(['"', '\'']);
    }
    let mut parts = t.split('|').map(str::trim).filter(|p| *p != "None");
    let one = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let one = one.trim_matches(['"', '\'']);
    let name = one.split('[').next()?.trim();
    let last = name.rsplit('.').next()?;
    (name.split('.').all(is_name)
        && last.chars().next()?.is_uppercase()
        && !matches!(last, "Any" | "Optional" | "Union"))
    .then_some(name)
}

/// The class a binding's right-hand side builds, when it is one constructor call and nothing
/// else (`Heartbeater(…)`, `Heartbeater[T](…)`).
pub(super) fn constructed(rhs: &str) -> Option<&str> {
    let rhs = rhs.trim();
    let end = rhs
        .find(|c: char| !(c == '_' || c == '.' || c.is_alphanumeric()))
        .unwrap_or(rhs.len());
    let rest = rhs[end..].trim_start();
    let ok = (rest.starts_with('(') || rest.starts_with('['))
        && whole(rest)
        && match rest.strip_prefix('[') {
            Some(r) => r
                .find(']')
                .is_some_and(|e| r[e + 1..].trim_start().starts_with('(')),
            None => true,
        };
    if !ok {
        return None;
    }
    class_name(&rhs[..end])
}

/// The annotation of a name at `i` (`name: T`, up to `=`, `,` or `)` outside brackets), when
/// one follows it.
fn annotation_at<'t>(text: &'t str, i: usize, name: &str) -> Option<&'t str> {
    let r = after(text, i + name.len()).strip_prefix(':')?;
    if r.starts_with('=') {
        return None;
    }
    let mut depth = 0i32;
    let end = r
        .char_indices()
        .find(|&(_, c)| {
            match c {
                '[' | '(' => depth += 1,
                ']' | ')' if depth > 0 => depth -= 1,
                _ => {}
            }
            c == '\n' || depth == 0 && matches!(c, '=' | ',' | ')')
        })
        .map_or(r.len(), |(e, _)| e);
    Some(r[..end].trim())
}

/// The right-hand side when `name` at `i` is assigned (`name = …`, `name: T = …`; not `==`).
fn assigned_at<'t>(text: &'t str, i: usize, name: &str) -> Option<&'t str> {
    let mut r = after(text, i + name.len());
    if let Some(a) = r.strip_prefix(':').filter(|a| !a.starts_with('=')) {
        let line = a.split('\n').next().unwrap_or("");
        r = &a[line.find('=')?..];
    }
    r.strip_prefix('=')
        .filter(|v| !v.starts_with('='))
        .map(|v| {
            v.split('\n')
                .next()
                .unwrap_or(v)
                .split(" #")
                .next()
                .unwrap_or(v)
                .trim()
        })
}

/// Whether `name` at `i` is one target of an unpacking (`a, name = …`, `(name, b) = …`, `for
/// a, name in …`): a comma or bracket around it, and an `=` or `in` later on its line outside
/// brackets opened after it.
fn unpacked(text: &str, i: usize, name: &str) -> bool {
    let next = after(text, i + name.len());
    // `for a, name in …` (the line's head is read only for a name followed by a comma or a
    // bracket, or after a comma)
    let prev = text[..i].trim_end_matches([' ', '\t']);
    if !(next.starts_with(',') || next.starts_with(')') || prev.ends_with(',')) {
        return false;
    }
    let head = text[..i].rsplit('\n').next().unwrap_or("").trim_start();
    if (head.starts_with("for ") || head.starts_with("async for ")) && !head.contains(" in ") {
        return true;
    }
    if !(next.starts_with(',') || next.starts_with(')')) {
        return false;
    }
    // an `=` outside every bracket of the line (not a keyword argument of a call the name is
    // passed to)
    let mut depth = open_brackets(head);
    let line = next.split('\n').next().unwrap_or("");
    let b = line.as_bytes();
    for (k, &c) in b.iter().enumerate() {
        match c {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            b'=' if depth <= 0 => {
                let prev_c = if k > 0 { b[k - 1] } else { b' ' };
                let next_c = b.get(k + 1).copied().unwrap_or(b' ');
                if !matches!(prev_c, b'=' | b'!' | b'<' | b'>') && next_c != b'=' {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// How many brackets `s` leaves open (strings on one line skipped).
fn open_brackets(s: &str) -> i32 {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        if let Some(q) = quote {
            if c == q || c == '\n' {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            '#' => quote = Some('\n'),
            _ => {}
        }
    }
    depth
}

/// The offsets of the lines of `text`.
pub(super) fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// The offset of the line that opens the `def` (or with `class_`, the `class`) whose block
/// holds 1-based line `line`: the nearest line above it indented less than every line
/// between them.
pub(super) fn enclosing(text: &str, starts: &[usize], line: usize, class_: bool) -> Option<usize> {
    let at = line.checked_sub(1).filter(|&l| l < starts.len())?;
    let line_of = |l: usize| {
        let end = starts.get(l + 1).map_or(text.len(), |e| e - 1);
        &text[starts[l]..end]
    };
    let indent = |l: &str| l.len() - l.trim_start_matches([' ', '\t']).len();
    let mut least = indent(line_of(at));
    for l in (0..at).rev() {
        let s = line_of(l);
        let t = s.trim_start();
        // blank lines, comments, and the closing bracket of a header or call over several
        // lines (`) -> None:`) say nothing of blocks
        if t.is_empty() || t.starts_with('#') || t.starts_with([')', ']', '}']) {
            continue;
        }
        let d = indent(s);
        if d >= least {
            continue;
        }
        least = d;
        let opens = if class_ {
            t.starts_with("class ")
        } else {
            t.starts_with("def ") || t.starts_with("async def ")
        };
        if opens {
            return Some(starts[l]);
        }
        if d == 0 {
            return None;
        }
    }
    None
}

/// The block of the `def` or `class` whose line starts at byte `at`: its lines up to the next
/// one indented no deeper (the closing bracket of a header over several lines, `) -> None:`,
/// does not end it).
fn block(text: &str, at: usize) -> &str {
    let first = &text[at..];
    let indent = |l: &str| l.len() - l.trim_start_matches([' ', '\t']).len();
    let own = indent(first);
    let mut offset = at + first.find('\n').map_or(first.len(), |i| i + 1);
    for line in text[offset..].split_inclusive('\n') {
        let t = line.trim();
        if !t.is_empty()
            && !t.starts_with('#')
            && !t.starts_with([')', ']', '}'])
            && indent(line) <= own
        {
            return &text[at..offset];
        }
        offset += line.len();
    }
    &text[at..]
}

/// The end of a `def` header that starts `body` (just past the bracket closing its
/// parameters), as an offset into `body`.
fn header_end(body: &str) -> Option<usize> {
    let open = body.find('(')?;
    let mut depth = 0i32;
    for (i, c) in body[open..].char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether the function around line `line` binds `name` itself: a parameter, an assignment, a
/// loop variable, `as`, an unpacking, a nested `def` or an import.
pub(super) fn binds_locally(text: &str, starts: &[usize], line: usize, name: &str) -> bool {
    let Some(def) = enclosing(text, starts, line, false) else {
        return false;
    };
    let body = block(text, def);
    let head = header_end(body).unwrap_or(0);
    word_at(body, name).any(|i| {
        let prev = body[..i].trim_end_matches([' ', '\t']);
        i < head && !prev.ends_with('.')
            || assigned_at(body, i, name).is_some() && !prev.ends_with('.')
            || (at_line_start(body, i) && annotation_at(body, i, name).is_some())
            || unpacked(body, i, name)
            || ["for", " as", "def", "import", "global", "nonlocal"]
                .iter()
                .any(|k| prev.trim_end_matches(['(', ' ', '\t']).ends_with(k))
            || after(body, i + name.len()).starts_with(":=")
    })
}

/// Keeps `c` as the one class found so far: `None` when there is none, or another was found.
fn agree<'t>(found: &mut Option<&'t str>, c: Option<&'t str>) -> Option<()> {
    let c = c?;
    if found.is_some_and(|f| f != c) {
        return None;
    }
    *found = Some(c);
    Some(())
}

/// The class the function around line `line` binds the name `name` to: a parameter annotated
/// with it, or a variable built by its constructor; `None` when the function binds the name
/// to anything else (another value, an untyped parameter, a loop, `as`, an unpacking).
pub(super) fn local_class(name: &str, line: usize, text: &str, starts: &[usize]) -> Option<String> {
    let def = enclosing(text, starts, line, false)?;
    let body = block(text, def);
    let head = header_end(body)?;
    let mut found: Option<&str> = None;
    for i in word_at(body, name) {
        let prev = body[..i].trim_end_matches([' ', '\t']);
        if prev.ends_with('.') {
            continue;
        }
        if i < head {
            // a parameter: annotated with one class, or nothing is known
            agree(
                &mut found,
                annotation_at(body, i, name).and_then(class_name),
            )?;
            continue;
        }
        if ["for", " as", "def", "import", "global", "nonlocal"]
            .iter()
            .any(|k| prev.trim_end_matches(['(', ' ', '\t']).ends_with(k))
            || after(body, i + name.len()).starts_with(":=")
            || unpacked(body, i, name)
        {
            return None;
        }
        if let Some(rhs) = assigned_at(body, i, name) {
            // `f(a, name=…)`, `Report(\n    name=…,\n)`: a keyword argument
            if open_brackets(&body[head..i]) > 0 {
                continue;
            }
            // `a = name = …`
            if !at_line_start(body, i) {
                return None;
            }
            agree(&mut found, constructed(rhs))?;
        } else if at_line_start(body, i) {
            if let Some(a) = annotation_at(body, i, name) {
                agree(&mut found, class_name(a))?;
            }
        }
    }
    found.map(str::to_string)
}

/// The class of parameter `name` of the `def` that holds byte `at` of `text`, when it is
/// annotated with one.
fn parameter_class<'t>(name: &str, at: usize, text: &'t str, starts: &[usize]) -> Option<&'t str> {
    let line = starts.partition_point(|&s| s <= at);
    let def = enclosing(text, starts, line, false)?;
    let body = block(text, def);
    let head = header_end(body)?;
    let mut found = None;
    for i in word_at(&body[..head], name) {
        agree(
            &mut found,
            annotation_at(body, i, name).and_then(class_name),
        )?;
    }
    found
}

/// The one class the class around line `line` binds `self.attribute` to: by constructor, by
/// annotation (`self.x: T`, a field of the class body), by a parameter annotated with it, or
/// by a property returning it; `None` when any binding says something else or none says
/// anything. A class that does not bind it is read through its bases the file defines.
pub(super) fn attribute_class(
    attribute: &str,
    line: usize,
    text: &str,
    starts: &[usize],
) -> Option<String> {
    let class = enclosing(text, starts, line, true)?;
    in_class(attribute, class, text, starts, 0)?.map(str::to_string)
}

/// What the class whose line starts at `class` (and, when it binds nothing, its bases of the
/// same file, `depth` levels up) binds `self.attribute` to: `None` on a conflict, `Some(None)`
/// when nothing binds it.
fn in_class<'t>(
    attribute: &str,
    class: usize,
    text: &'t str,
    starts: &[usize],
    depth: usize,
) -> Option<Option<&'t str>> {
    let body = block(text, class);
    let field_indent = body
        .lines()
        .skip(1)
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())?;
    let mut found: Option<&str> = None;
    for i in word_at(body, attribute) {
        let prev = &body[..i];
        let next = after(body, i + attribute.len());
        if !next.starts_with([':', '=', ',', ')', '(']) {
            continue;
        }
        if prev.ends_with("self.") || prev.ends_with("cls.") {
            if unpacked(body, i, attribute) {
                return None;
            }
            if next.starts_with(':') {
                agree(
                    &mut found,
                    annotation_at(body, i, attribute).and_then(class_name),
                )?;
            } else if let Some(rhs) = assigned_at(body, i, attribute) {
                let class = constructed(rhs).or_else(|| {
                    is_name(rhs)
                        .then(|| parameter_class(rhs, class + i, text, starts))
                        .flatten()
                });
                agree(&mut found, class)?;
            }
        } else if at_line_start(body, i) {
            let indent = prev.len() - prev.trim_end_matches([' ', '\t']).len();
            if indent != field_indent {
                continue;
            }
            // a field the class body annotates (`db_session: AsyncSession`, a dataclass's)
            if let Some(a) = annotation_at(body, i, attribute) {
                agree(&mut found, class_name(a))?;
            } else if let Some(rhs) = assigned_at(body, i, attribute) {
                if rhs != "None" {
                    agree(&mut found, constructed(rhs))?;
                }
            }
        } else if prev.trim_end_matches([' ', '\t']).ends_with("def") {
            // a property (or any method of that name): what it returns
            let header = rest_of_line(body, i);
            let ret = header
                .split_once("->")
                .map(|(_, r)| r.trim_end_matches(':').trim());
            agree(&mut found, ret.and_then(class_name))?;
        }
    }
    if found.is_some() || depth >= 3 {
        return Some(found);
    }
    // `class R2RStreamingAgent(R2RAgent):` with `R2RAgent` above it in the file
    let header = rest_of_line(body, 0);
    let bases = header.split_once('(').map_or("", |(_, b)| b);
    let bases = bases.rsplit_once(')').map_or(bases, |(b, _)| b);
    for base in bases.split(',').map(str::trim).filter(|b| is_name(b)) {
        let Some(at) = word_at(text, base)
            .find(|&j| text[..j].ends_with("\nclass ") || j == 6 && text.starts_with("class "))
        else {
            continue;
        };
        let line_start = at - 6;
        if let Some(c) = in_class(attribute, line_start, text, starts, depth + 1)? {
            agree(&mut found, Some(c))?;
        }
    }
    Some(found)
}

#[cfg(test)]
mod tests;
