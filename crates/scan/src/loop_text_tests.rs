//! Tests of the loop text: every loop's text is in it, code outside loops is not, and doubt
//! gives the whole file.

use super::*;

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
    let src = "while True: poll()\nx = 1\nif a:\n    for i in r:\n        for j in s:\n            deep(j)\n    out()\n";
    let t = text_of(src);
    assert!(t.contains("poll()"));
    assert!(t.contains("deep(j)"));
    assert!(!t.contains("x = 1"), "{t}");
    assert!(!t.contains("out()"), "{t}");
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
    ] {
        assert_eq!(loop_text(src.as_bytes()), src.as_bytes(), "{src:?}");
    }
}

#[test]
fn no_loop_no_text() {
    assert!(loop_text(b"import os\nx = Model.objects.get()\n").is_empty());
    assert!(loop_text(b"").is_empty());
    assert!(loop_text(b"format(x)\nwhile_ = 1\nfor_each(y)\n").is_empty());
}
