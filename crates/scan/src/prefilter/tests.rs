//! Tests of the prefilter: requirements derived from rules, checked on texts.

use super::*;

fn lit(text: &str, nocase: bool) -> Req {
    Req::Lit(Lit {
        text: text.into(),
        nocase,
        word: false,
    })
}

#[test]
fn regex_literals_become_requirements() {
    assert_eq!(
        regex_req("^(this\\.)?knex\\("),
        Some(lit("knex(", false)),
        "an optional group is not required"
    );
    assert_eq!(regex_req("(?i)\\bselect\\s+\\*"), Some(lit("select", true)));
    assert_eq!(
        regex_req("^[\\w.]*\\.objects"),
        Some(lit(".objects", false))
    );
    assert_eq!(regex_req("^a"), None, "too short");
    assert_eq!(
        regex_req("(?is)^[\"']\\s*select\\s+\\w+\\s+from"),
        any(vec![Some(Req::All(vec![
            lit("select", true),
            lit("from", true)
        ]))])
    );
    assert_eq!(regex_req("^(ab|cd)\\s*x$"), None, "nothing long enough");
    assert_eq!(
        regex_req("[A-Z]\\w*\\.(select|update)\\("),
        Some(Req::Any(vec![
            lit(".select(", false),
            lit(".update(", false)
        ])),
        "adjacent literal pieces are joined"
    );
    assert_eq!(
        regex_req("(?i)^(ab|cd)[._]x"),
        Some(Req::Any(vec![
            lit("ab.x", true),
            lit("ab_x", true),
            lit("cd.x", true),
            lit("cd_x", true)
        ])),
        "a small class is expanded"
    );
    assert_eq!(
        regex_req("(a|b|c|d|e|f|g|h|i)(a|b|c|d|e|f|g|h|i)(a|b|c|d|e|f|g|h|i)xyz"),
        Some(lit("xyz", false)),
        "too many strings: the pieces count on their own"
    );
    let r = regex_req("(?i)(^|[._])(db|conn)\\.(query|execute)$").expect("an alternation");
    assert_eq!(
        r,
        Req::Any(vec![
            lit("conn.execute", true),
            lit("conn.query", true),
            lit("db.execute", true),
            lit("db.query", true)
        ]),
        "a string holding another of the set adds nothing"
    );
    assert!(FileText::new(Language::Python, "x = CONN.execute(sql)").holds(&r));
    assert!(!FileText::new(Language::Python, "x = pool.run(sql)").holds(&r));
    assert!(
        !FileText::new(Language::Python, "execute(sql)").holds(&r),
        "the dot is required"
    );
}

#[test]
fn a_pattern_asks_for_its_tokens_in_order() {
    let req = |lang: Language, pattern: &str| {
        let p = crate::pattern::compile(lang, pattern, None, &mut Vec::new()).unwrap();
        let r = RuleObj {
            parts: vec![Part::Pattern(p)],
        };
        requirement(lang, &lang.grammar(), &r, &[]).expect("a requirement")
    };
    let py = req(Language::Python, "$R.set($K, $V)");
    let holds = |r: &Req, text: &str| FileText::new(Language::Python, text).holds(r);
    assert!(holds(&py, "r.set(k, v)\n"));
    assert!(
        holds(&py, "(redis\n  .set  (k, v))\n"),
        "whitespace between"
    );
    assert!(
        holds(&py, "(r.  # a comment\n set(k, v))\n"),
        "a comment between"
    );
    assert!(holds(&py, "r. \\\n set(k, v)\n"), "a line continuation");
    assert!(!holds(&py, "s = set()\nx.update(s)\n"), "the word alone");
    let js = req(Language::JavaScript, "$R.set($K, $V)");
    assert!(holds(&js, "client /* c */ . /* d */ set // e\n (k, v);\n"));
    assert!(!holds(&js, "const s = new Set(); s.add(1);\n"));
}

/// The requirement of the one rule of `yaml` (Python).
fn rule_req(yaml: &str) -> Req {
    let rules = crate::rules_from_str("t.yaml", yaml).unwrap();
    let (_, c) = &rules[0].compiled[0];
    c.req.clone().expect("a requirement")
}

#[test]
fn a_constrained_metavariable_spells_one_of_its_words() {
    let req = rule_req(
        "id: t\nlanguage: python\nseverity: low\nmessage: m\nrule: { pattern: requests.$M($$$) }\nconstraints:\n  M: { regex: \"^(get|post)$\" }\n",
    );
    let holds = |text: &str| FileText::new(Language::Python, text).holds(&req);
    assert!(holds("r = requests.get(url)\n"));
    assert!(holds("r = requests . post  (url)\n"));
    assert!(!holds("except requests.exceptions.HTTPError:\n    pass\n"));
    // an unanchored constraint tells nothing of the whole name
    let loose = rule_req(
        "id: t\nlanguage: python\nseverity: low\nmessage: m\nrule: { pattern: requests.$M($$$) }\nconstraints:\n  M: { regex: \"get\" }\n",
    );
    assert!(FileText::new(Language::Python, "requests.get_all(x)\n").holds(&loose));
}

#[test]
fn a_regex_is_searched_for_without_its_anchors() {
    let req = rule_req(
        "id: t\nlanguage: python\nseverity: low\nmessage: m\nrule: { kind: call, has: { field: function, regex: \"^\\\\w+\\\\.\\\\w+\\\\.(all|count)$\" } }\n",
    );
    let holds = |text: &str| FileText::new(Language::Python, text).holds(&req);
    assert!(holds("n = book.authors.count()\n"));
    assert!(holds("for x in (self.items.all()):\n    pass\n"));
    assert!(!holds("n = count(xs)\nys = all(zs)\n"), "the words alone");
    assert!(!holds("n = items.count()\n"), "one dot");
}

#[test]
fn requirements_are_checked_on_words() {
    let mut f = FileText::new(Language::Python, "x = information\nfor_each()\nSELECT 1");
    assert!(!f.holds(&Req::Lit(word("for"))));
    assert!(f.holds(&lit("select", true)));
    assert!(f.holds(&Req::Any(vec![Req::Lit(word("for")), lit("info", false)])));
    assert!(!f.holds(&Req::All(vec![Req::Lit(word("for")), lit("info", false)])));
    let mut g = FileText::new(Language::Python, "for (const x of xs) await f(x)");
    assert!(g.holds(&Req::All(vec![
        Req::Lit(word("for")),
        Req::Lit(word("await"))
    ])));
}

#[test]
fn a_node_inside_a_loop_asks_for_its_words_in_the_loops() {
    // the node lies in a loop: its own words must be in the loops' text
    let req = rule_req(
        "id: t\nlanguage: python\nseverity: low\nmessage: m\nrule:\n  pattern: $X.save()\n  inside: { kind: for_statement, stopBy: end }\n",
    );
    let holds = |text: &str| FileText::new(Language::Python, text).holds(&req);
    assert!(holds("for x in xs:\n    x.save()\n"));
    assert!(holds("ys = [x.save() for x in xs]\n"));
    assert!(
        !holds("x.save()\nfor y in ys:\n    print(y)\n"),
        "the call is outside the loop"
    );
    // an ancestor that is no loop: its words may be anywhere
    let outer = rule_req(
        "id: t\nlanguage: python\nseverity: low\nmessage: m\nrule:\n  pattern: $X.save()\n  inside: { kind: for_statement, stopBy: end }\n  has: { regex: \"^xs$\", stopBy: end }\n  not: { inside: { kind: function_definition, regex: \"^def special\", stopBy: end } }\n",
    );
    assert!(FileText::new(Language::Python, "for xs in y:\n    xs.save()\n").holds(&outer));
    // the loop itself and what it holds are in the loops' text, wherever the node is
    let header = rule_req(
        "id: t\nlanguage: python\nseverity: low\nmessage: m\nrule:\n  pattern: $X.save()\n  inside:\n    kind: for_statement\n    stopBy: end\n    has: { field: right, regex: \"objects\" }\n",
    );
    let holds = |text: &str| FileText::new(Language::Python, text).holds(&header);
    assert!(holds("for x in M.objects.all():\n    x.save()\n"));
    assert!(!holds("q = M.objects.all()\nfor x in q:\n    x.save()\n"));
    // other languages have no loop text: the whole file counts
    let js = rule_req(
        "id: t\nlanguage: javascript\nseverity: low\nmessage: m\nrule:\n  pattern: $X.save()\n  inside: { kind: for_statement, stopBy: end }\n",
    );
    assert!(FileText::new(Language::JavaScript, "x.save();\nfor (;;) {}\n").holds(&js));
}

#[test]
fn a_rule_whose_nodes_lie_in_loops_lets_the_walk_pass_over_the_rest() {
    let in_loop = |yaml: &str| {
        let rules = crate::rules_from_str("t.yaml", yaml).unwrap();
        rules[0].compiled[0].1.in_loop
    };
    let head = "id: t\nlanguage: python\nseverity: low\nmessage: m\nrule:\n  pattern: $X.save()\n";
    assert!(in_loop(&format!(
        "{head}  inside: {{ kind: for_statement, stopBy: end }}\n"
    )));
    assert!(in_loop(&format!(
        "{head}  inside:\n    any:\n      - {{ kind: for_statement }}\n      - {{ kind: list_comprehension }}\n    stopBy: end\n"
    )));
    // a loop among other ancestors, or none: the node may lie anywhere
    assert!(!in_loop(&format!(
        "{head}  inside:\n    any:\n      - {{ kind: for_statement }}\n      - {{ kind: function_definition }}\n    stopBy: end\n"
    )));
    assert!(!in_loop(head));
    // other languages have no loop ranges
    assert!(!in_loop(
        "id: t\nlanguage: javascript\nseverity: low\nmessage: m\nrule:\n  pattern: $X.save()\n  inside: { kind: for_statement, stopBy: end }\n"
    ));
    // the built-in loop rules of Python are such rules, its other rules are not
    let builtin = crate::builtin_rules();
    let of = |id: &str| {
        let r = builtin.iter().find(|r| r.id == id).expect(id);
        r.compiled[0].1.in_loop
    };
    assert!(of("py-await-in-loop"));
    assert!(of("py-n-plus-one-query"));
    assert!(!of("py-blocking-call-in-async"));
}

#[test]
fn a_regex_tail_after_its_broad_run_is_required() {
    let re = r"\(\s*\w+\s*(:[^,]*)?,\s*info";
    let tail = Seq::tail(re).expect("a tail after `[^,]*`");
    let whole = Seq::unanchored(re).unwrap();
    // every text the whole regex matches holds the tail
    for text in [
        "def f(root, info)",
        "def f(self: X, info: Info)",
        "g( a : int,info",
    ] {
        assert!(whole.is_match(text.as_bytes()), "{text}");
        assert!(tail.is_match(text.as_bytes()), "{text}");
    }
    // the tail rules out most files alone
    assert!(!tail.is_match(b"def f(a, b):\n    return (a, b)\n"));
    // no broad unbounded run, or too short a part after it: nothing to add
    assert_eq!(Seq::tail(r"\.objects\.\w+\("), None);
    assert_eq!(Seq::tail(r"select\s+.*\)"), None);
    assert_eq!(Seq::tail(r"x{2,}ab"), None);
    assert_eq!(
        Seq::tail(r"range\([^)]*,\s*\w+\s*\)"),
        None,
        "a tail without a literal"
    );
}
