//! Tests of what a file is parsed for before any rule asks: the route and SQL pre-checks
//! (`wanted`), each against the extractors they stand in front of.

use super::tests::extract_text;
use super::*;

#[test]
fn the_sql_prefilter_lets_escaped_leading_whitespace_through() {
    let js = "async function up(q) { await q.query(\"\\n      SELECT exists (SELECT FROM t WHERE a = $1)\", [1]); }\n";
    assert!(wanted(Language::JavaScript, js).sql);
    let e = extract_text(Language::JavaScript, "m.js", js);
    assert_eq!(e.sql.len(), 1, "{:?}", e.sql);
    assert!(!wanted(Language::Python, "x = 'hello'\n").sql);
    assert!(!wanted(Language::JavaScript, "const m = new Map(); m.get(k);\n").routes);
}

#[test]
fn the_sql_prefilter_asks_for_the_clause_a_statement_needs() {
    // a backslash-newline after the quote, then a statement: read
    let py = "def up(s):\n    s.execute(f\"\"\"\\\nINSERT INTO t (a)\nSELECT a FROM u\"\"\")\n";
    assert!(wanted(Language::Python, py).sql);
    let e = extract_text(Language::Python, "m.py", py);
    assert_eq!(e.sql.len(), 1, "{:?}", e.sql);
    // words that start statements, in strings that are not statements: the file is not read
    let prose = "ACTIONS = ['delete', 'update']\nLABEL = 'Select an option'\n";
    assert!(!wanted(Language::Python, prose).sql);
    // the clause may come in a later part of a concatenation, or after a comment
    let js = "const q = 'SELECT a, b ' +\n  'FROM t';\nconst d = \"DELETE /* all */ FROM t\";\n";
    assert!(wanted(Language::JavaScript, js).sql);
    assert_eq!(extract_text(Language::JavaScript, "q.js", js).sql.len(), 1);
}

#[test]
fn the_route_prefilter_lets_every_route_file_through_and_little_else() {
    // a Django URL list not named urlpatterns (included from elsewhere): read
    let py = "from django.urls import re_path\nfrom . import views\n\nevent_patterns = [\n    re_path(r'^auth/$', views.EventAuth.as_view()),\n]\n";
    assert!(wanted(Language::Python, py).routes);
    let e = extract_text(Language::Python, "urls.py", py);
    assert_eq!(e.routes.len(), 1, "{:?}", e.routes);
    // a module that only builds URLs, or names a router: nothing to read
    let reverse =
        "from django.urls import reverse\n\ndef link(o):\n    return reverse('x', args=[o.pk])\n";
    assert!(!wanted(Language::Python, reverse).routes);
    assert!(
        !wanted(
            Language::Python,
            "from . import router\nrouter.register(x)\n"
        )
        .routes
    );
    // a decorator on a call's result, with spaces
    let dec = "@ api().get('/items')\ndef items():\n    return []\n";
    assert!(wanted(Language::Python, dec).routes);
    // a route decorator's path starts with '/', or is empty under a router's prefix, or is
    // given by keyword; `@mock.patch("module.name")` declares no route
    for yes in [
        "@app.patch('/items/<id>')\ndef p(id):\n    pass\n",
        "@router.get(\n    \"\",  # the prefix\n)\nasync def l():\n    pass\n",
        "@bp.post(r\"/x\")\ndef x():\n    pass\n",
        "@app.get(response_model=Out, path=\"/o\")\ndef o():\n    pass\n",
    ] {
        assert!(wanted(Language::Python, yes).routes, "{yes}");
    }
    let mocked =
        "@mock.patch('app.db.get')\n@mock.patch.object(api.API, 'delete')\ndef test_x(m, n):\n    pass\n";
    assert!(!wanted(Language::Python, mocked).routes);
    // JavaScript: a route has a literal path starting with '/', or an options object
    assert!(wanted(Language::JavaScript, "router.get(`/x/${id}`, h)\n").routes);
    assert!(
        wanted(
            Language::JavaScript,
            "fastify.route({ url: '/x', handler })\n"
        )
        .routes
    );
    assert!(
        !wanted(
            Language::JavaScript,
            "headers.get('content-type'); app.use('/api', r)\n"
        )
        .routes
    );
}

#[test]
fn the_sql_prefilter_lets_every_statement_through_and_little_else() {
    let statements = [
        "SELECT * FROM t",
        "  select a, b from t where c = ?",
        "-- the slow one\nSELECT a FROM t",
        "/* hint */ SELECT a FROM t",
        "INSERT INTO t (a) VALUES (%s)",
        "UPDATE t SET a = :a WHERE id = :id",
        "DELETE FROM t WHERE id = $1",
        "WITH x AS (SELECT a FROM t) SELECT * FROM x",
    ];
    for st in statements {
        let spelled = st.replace('\n', "\\n");
        let words: Vec<&str> = spelled.split(' ').collect();
        // ways a file may write the statement: the parser finds it, and the pre-check lets
        // the file through
        let py = [
            format!("q = \"{spelled}\"\n"),
            format!("q = '''\n    {st}\n'''\n"),
            format!("q = r\"\"\"{st}\"\"\"\n"),
            format!("q = f\"{spelled} -- {{x}}\"\n"),
            // adjacent literals, one word each, over lines and comments
            format!(
                "q = (\n{})\n",
                words
                    .iter()
                    .map(|w| format!("    \"{w} \"  # part\n"))
                    .collect::<String>()
            ),
            format!("q = \"\" \"{spelled}\"\n"),
        ];
        for src in &py {
            let e = extract_text(Language::Python, "q.py", src);
            assert_eq!(e.sql.len(), 1, "{src} {:?}", e.sql);
            assert!(wanted(Language::Python, src).sql, "{src}");
        }
        let js = [
            format!("const q = '{spelled}';\n"),
            format!("const q = `\n  {st}\n  ${{where}}`;\n"),
            format!("const q = \"{spelled}\";\n"),
        ];
        for src in &js {
            let e = extract_text(Language::JavaScript, "q.js", src);
            assert_eq!(e.sql.len(), 1, "{src}");
            assert!(wanted(Language::JavaScript, src).sql, "{src}");
        }
    }
    // prose, a docstring followed by a `with` block, a method name, command-line flags
    for no in [
        "def f(x):\n    \"\"\"Delete a volume from the backend.\"\"\"\n    return x\n",
        "def f(self):\n    \"\"\"Update the zone configuration; set it.\"\"\"\n",
        "def test(self):\n    \"\"\"Checks the lock.\"\"\"\n    with mock.patch.object(self.c, 'x') as m:\n        pass\n",
        "api.call('delete', query=query)\nfrom x import y\n",
        "cmd = ['--noheadings', '-C', '-o', 'select']\nx = set()\n",
        "msg = \"Insert a coin\"\ninto = 1\n",
    ] {
        assert!(!wanted(Language::Python, no).sql, "{no}");
        assert!(extract_text(Language::Python, "n.py", no).sql.is_empty());
    }
}

#[test]
fn the_sql_prefilter_never_turns_away_a_file_the_extractor_finds_a_statement_in() {
    // texts built from the pieces that matter to both (quotes of every kind, escapes,
    // comments, verbs, clauses, interpolations, prose): wherever the extractor finds a
    // statement, the pre-check let the file through; and neither panics
    const PIECES: &[&str] = &[
        "\"",
        "'",
        "\"\"\"",
        "'''",
        "`",
        "\\",
        "\\n",
        "\n",
        " ",
        "  ",
        "#",
        "-- c",
        "/*",
        "*/",
        "SELECT",
        "select",
        "FROM",
        "from",
        "INSERT",
        "INTO",
        "UPDATE",
        "SET",
        "DELETE",
        "WITH",
        "AS",
        "(",
        ")",
        "f",
        "r",
        "the",
        "t",
        "a",
        "q = ",
        "{x}",
        "${x}",
        "+",
        ",",
        "*",
        "= ?",
        "%s",
        "x",
        "e",
        "Update the",
        "(\n",
        "\"SELECT a FROM t\"",
        "\"DELETE FROM t\"",
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut statements = 0;
    for case in 0..20_000 {
        let lang = [Language::Python, Language::JavaScript][case % 2];
        let n = 3 + (next() % 18) as usize;
        let text: String = (0..n)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        // the extractor asked for SQL whatever the pre-check says
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&lang.grammar()).unwrap();
        let tree = parser.parse(&text, None).unwrap();
        let all = Wanted {
            routes: false,
            sql: true,
        };
        let found = !extract(lang, "x.src", &text, &tree, all).sql.is_empty();
        statements += usize::from(found);
        assert!(!found || wanted(lang, &text).sql, "{lang:?}: {text:?}");
    }
    assert!(statements > 50, "the texts hold statements: {statements}");
}
