//! Tests of the loop text: every loop's text is in it, code outside loops is not, and doubt
//! gives the whole file.

use super::*;
use crate::lang::Language;

fn text_of(src: &str) -> String {
    String::from_utf8(loop_text(src.as_bytes())).unwrap()
}

#[test]
fn a_for_statement_is_its_header_body_and_else() {
    let src = "def f(xs):\n    a = Outside.objects.get()\n    for x in xs:\n        x.save()\n\n        # a comment at any depth\n  # shallower comment\n        y = 1\n    else:\n        Done.objects.create()\n    b = After.objects.get()\n";
    let t = text_of(src);
    assert!(t.contains("for x in xs:"));
    assert!(t.contains("x.save()"));
    assert!(t.contains("y = 1"), "{t}");
    assert!(t.contains("Done.objects.create()"), "the else block: {t}");
    assert!(!t.contains("Outside"), "{t}");
    assert!(!t.contains("After"), "{t}");
}

#[test]
fn while_nested_and_one_line_loops() {
    let src = "x = 1\nwhile x:\n    x = poll()\nif a:\n    for i in r:\n        for j in s:\n            deep(j)\n    out()\n";
    let t = text_of(src);
    assert!(t.contains("poll()"));
    assert!(t.contains("deep(j)"));
    assert!(!t.contains("x = 1\n"), "{t}");
    assert!(!t.contains("out()"), "{t}");
    // a body on the header's line: the text goes on to the end of the enclosing block
    let t = text_of("def f():\n    while True: poll()\n    x = 1\ny = 2\n");
    assert!(t.contains("poll()") && t.contains("x = 1"), "{t}");
    assert!(!t.contains("y = 2"), "{t}");
}

#[test]
fn a_body_at_the_headers_unexpected_indentation_is_in_the_loop() {
    // a fragment indented as a whole: tree-sitter reads the second line as the body
    let t = text_of("    for i in ids:\n    Tag.objects.get(pk=i)\n");
    assert!(t.contains("Tag.objects"), "{t}");
    // a line holding only a line join continues the indentation that follows it
    let t = text_of("for x in xs:\n    a = 1\n\\\n    db.query(x)\nafter()\n");
    assert!(t.contains("db.query(x)"), "{t}");
    // a number glued to the keyword
    assert!(text_of("y = [x*1for x in z]\n").contains("x*1for"));
    // a line join inside a string of a CRLF file
    let t = text_of("for i in ids:\r\n    m = \"a \\\r\ntag\"\r\n    Tag.objects.get(pk=i)\r\n");
    assert!(t.contains("Tag.objects"), "{t}");
}

#[test]
fn comprehensions_and_generators_are_their_brackets() {
    let src = "a = [f(x) for x in xs]\nb = g(y)\nc = sum(\n    h(z)\n    for z in zs\n)\nd = {k: v.load() for k, v in m.items()}\ne = Other.objects.get()\n";
    let t = text_of(src);
    assert!(t.contains("[f(x) for x in xs]"));
    assert!(t.contains("h(z)"));
    assert!(t.contains("v.load()"));
    assert!(!t.contains("g(y)"), "{t}");
    assert!(!t.contains("Other"), "{t}");
}

#[test]
fn strings_comments_and_continuations_do_not_end_a_body() {
    let src = "for x in xs:\n    sql = \"\"\"\nSELECT 1\nfor update\n\"\"\"\n    cur.execute(sql)\n    call(a,\nb)\n    s = 'for' + \"while\"  # for\n    t = x \\\n+ 1\n    last.save()\nafter()\nw = 'for x in y'\n# for z in q\n";
    let t = text_of(src);
    assert!(t.contains("cur.execute(sql)"), "{t}");
    assert!(t.contains("last.save()"), "{t}");
    assert!(!t.contains("after()"), "{t}");
    // a `for` in a string or a comment is no loop
    assert!(!t.contains("w = "), "{t}");
    assert!(!t.contains("# for z"), "{t}");
}

#[test]
fn f_strings_that_spell_a_loop_are_kept_whole() {
    let src = "x = f\"{', '.join(u.name for u in obj.users.all())}\"\ny = f'{a}'\nz = 1\n";
    let t = text_of(src);
    assert!(t.contains("obj.users.all()"), "{t}");
    assert!(!t.contains("y = "), "{t}");
    assert!(!t.contains("z = 1"), "{t}");
}

#[test]
fn tabs_and_windows_line_ends() {
    let src = "def f():\r\n\tfor x in xs:\r\n\t\tx.save()\r\n\tdone()\r\n";
    let t = text_of(src);
    assert!(t.contains("x.save()"));
    assert!(!t.contains("done()"), "{t}");
}

#[test]
fn doubt_gives_the_whole_file() {
    for src in [
        "x = [1, 2\nfor y in z:\n    pass\n", // a bracket left open
        "s = \"\"\"never closed\nfor y in z: pass\n", // a string left open
        "for y in z:\n\x0c    pass\nafter()\n", // a form feed in the indentation
        "x = f\"{\", \".join(a for a in b)}\"\n", // a nested string of the same quote
        "x = 'open\nfor y in z: pass\n",      // a one-quote string left open
        "if a:\n        for x in y:\n  \tq(x)\n", // a tab after spaces
        "x = `y`\nfor a in b:\n    pass\n",   // Python 2's backticks
        "x = 1\u{200B}\nfor a in b:\n    pass\n", // a zero-width space
        "x = [o.c for\u{3000}o in q]\n",      // an ideographic space glued to a keyword
        "x = [o.c\u{A0}for o in q]\n",        // a no-break space
    ] {
        assert_eq!(loop_text(src.as_bytes()), src.as_bytes(), "{src:?}");
    }
}

#[test]
fn words_in_other_scripts_are_words() {
    let t = text_of("café = 1\nfor naïve in b:\n    q(naïve)\nafter()\n");
    assert!(t.contains("q(naïve)") && !t.contains("after()"), "{t}");
}

#[test]
fn backticks_in_strings_and_comments_are_text() {
    let t = text_of("\"\"\"Run `x`.\"\"\"\n# see `y`\nfor a in b:\n    q(a)\nafter()\n");
    assert!(t.contains("q(a)") && !t.contains("after()"), "{t}");
}

#[test]
fn a_byte_order_mark_is_whitespace() {
    let t = text_of("\u{FEFF}for i in ids:\n    q(i)\n");
    assert!(t.contains("q(i)"), "{t}");
}

#[test]
fn no_loop_no_text() {
    assert!(loop_text(b"import os\nx = Model.objects.get()\n").is_empty());
    assert!(loop_text(b"").is_empty());
    assert!(loop_text(b"format(x)\nwhile_ = 1\nfor_each(y)\n").is_empty());
}

/// Loop nodes of tree-sitter's parse outside the loop ranges of `src`.
fn outside(src: &str, p: &mut tree_sitter::Parser) -> Vec<String> {
    let tree = p.parse(src, None).unwrap();
    let ranges = loop_ranges(src.as_bytes());
    let mut bad = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(n) = stack.pop() {
        let inside = |r: &[(usize, usize)]| {
            r.iter()
                .any(|&(s, e)| s <= n.start_byte() && n.end_byte() <= e)
        };
        if LOOP_KINDS.contains(&n.kind()) && !ranges.as_deref().is_none_or(inside) {
            bad.push(format!("{} {:?}", n.kind(), &src[n.byte_range()]));
        }
        let mut c = n.walk();
        stack.extend(n.children(&mut c));
    }
    bad
}

/// Random lines of Python fragments that tree-sitter parses without an error: every loop
/// node it finds lies inside the loop ranges (seeded, so a failure repeats).
#[test]
fn every_loop_tree_sitter_parses_is_in_the_loop_text() {
    let frags: &[&str] = &[
        "for x in y:",
        "while a:",
        "else:",
        "elif b:",
        "if c:",
        "try:",
        "except E:",
        "def f():",
        "class C:",
        "async for z in w:",
        "db.query(x)",
        "pass",
        "a = [",
        "b for b in c",
        "]",
        "(",
        ")",
        "{",
        "}",
        "x = (q for q in r)",
        "'s'",
        "\"t\"",
        "'''",
        "\"\"\"",
        "f'{",
        "f\"{",
        "}'",
        "}\"",
        "# c",
        "#'",
        "\\",
        "r'\\'",
        "'\\\\'",
        "[i for i in j]",
        "lambda: 0",
        "match m:",
        "case 1:",
        "@dec",
        "x: int = 1",
        "y := 2",
        "return",
        "with o as p:",
        "a;",
        "for",
        "in",
        ":",
        "=",
        ",",
        "1for",
        "\t",
        "\r",
    ];
    let indents: &[&str] = &["", "", "    ", "    ", "        ", "  ", "\t"];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut p = tree_sitter::Parser::new();
    p.set_language(&crate::lang::Language::Python.grammar())
        .unwrap();
    let mut parsed = 0;
    for _ in 0..30_000 {
        let mut s = String::new();
        for _ in 0..1 + rnd(6) {
            s.push_str(indents[rnd(indents.len())]);
            for k in 0..1 + rnd(3) {
                if k > 0 {
                    s.push(' ');
                }
                s.push_str(frags[rnd(frags.len())]);
            }
            s.push('\n');
        }
        if p.parse(&s, None).unwrap().root_node().has_error() {
            continue;
        }
        parsed += 1;
        let bad = outside(&s, &mut p);
        assert!(bad.is_empty(), "{s:?}: {bad:?}");
    }
    assert!(parsed > 1_000, "only {parsed} inputs parsed without errors");
}

#[test]
fn a_node_meets_the_ranges_it_overlaps_or_touches() {
    let ranges = [(10, 20), (30, 40)];
    assert!(!meets(&ranges, 0, 9));
    assert!(meets(&ranges, 0, 10), "touches the first range's start");
    assert!(meets(&ranges, 12, 15));
    assert!(meets(&ranges, 20, 25), "touches its end");
    assert!(!meets(&ranges, 21, 29), "between the two");
    assert!(meets(&ranges, 25, 35));
    assert!(meets(&ranges, 0, 100), "holds both");
    assert!(!meets(&ranges, 41, 50));
    assert!(!meets(&[], 0, 100));
}

#[test]
fn a_lone_carriage_return_takes_the_whole_file() {
    // tree-sitter counts `pass` as the body at indent 1, and the deeper lines stay in it
    assert_eq!(
        loop_ranges(b"    for x in xs:\n    \r pass\n  y = 1\n"),
        None
    );
    // Windows line ends are line ends
    let crlf = b"for x in xs:\r\n    f(x)\r\ny = 1\r\n";
    assert_eq!(loop_ranges(crlf), Some(vec![(0, 24)]));
}

/// Findings of `py-n-plus-one-query` in `code`, by line.
fn n_plus_one_lines(code: &str) -> Vec<u32> {
    let found = crate::tests::builtin_findings("py-n-plus-one-query", Language::Python, code);
    let mut lines: Vec<u32> = found
        .iter()
        .flat_map(|f| f.statements_or_self())
        .map(|s| s.line)
        .collect();
    lines.sort_unstable();
    lines
}

#[test]
fn the_walk_reads_every_loop_tree_sitter_sees() {
    // the walk passes over what lies outside the loop ranges only in a file without syntax
    // errors: tree-sitter's recovery takes line 5 into the broken comprehension's `for`
    let broken = "def f(ids):\n    for i in ids:\n        Tag.objects.get(pk=i)\n    a = [ for x in ids: ]\n      Tag.objects.get(pk=x)\n";
    assert_eq!(n_plus_one_lines(broken), vec![3, 5]);
    // a lone carriage return: the loop's body is what tree-sitter's indentation says
    let cr = "    for x in xs:\n    \r pass\n        y = 1\n  Tag.objects.get(pk=x)\nfor i in ids:\n    Tag.objects.get(pk=i)\n";
    assert_eq!(n_plus_one_lines(cr), vec![4, 6]);
}
