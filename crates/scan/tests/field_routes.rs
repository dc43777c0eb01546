//! The route tables of the field apps (field/shop: Flask, field/quotes: FastAPI,
//! field/catalog: Express), read by a real scan of their source: every route they define,
//! with its handler.

use perfhive_scan::{scan, ScanOptions, ScanReport};
use std::path::PathBuf;

fn scan_field(app: &str) -> ScanReport {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../field")
        .join(app);
    scan(&ScanOptions {
        paths: vec![dir],
        threads: 1,
        ..ScanOptions::default()
    })
    .unwrap()
}

/// `METHOD template -> handler` for every route, in file and line order.
fn table(r: &ScanReport) -> Vec<String> {
    r.routes
        .iter()
        .map(|e| {
            format!(
                "{} -> {}",
                e.route(),
                e.handler.as_deref().unwrap_or("<inline>")
            )
        })
        .collect()
}

#[test]
fn shop_flask_routes() {
    let r = scan_field("shop");
    assert_eq!(
        table(&r),
        [
            "GET /health -> health",
            "GET /customers/{} -> customer",
            "GET /orders/recent -> recent_orders",
            "POST /import -> import_stock",
            "GET /events/search -> search_events",
            "GET /reports/loyalty -> loyalty_report",
        ]
    );
    assert!(r.routes.iter().all(|e| e.file.ends_with("app.py")
        && e.handler_lines.is_some()
        && e.framework == perfhive_scan::Framework::Flask));
    // a finding in a handler carries its route
    for f in &r.findings {
        let Some(func) = f.function.as_deref() else {
            continue;
        };
        if let Some(e) = r.routes.iter().find(|e| e.handler.as_deref() == Some(func)) {
            assert_eq!(f.routes, [e.route().to_string()], "{f:?}");
        } else {
            assert!(f.routes.is_empty(), "{f:?}");
        }
    }
}

#[test]
fn quotes_fastapi_routes() {
    let r = scan_field("quotes");
    assert_eq!(table(&r), ["GET /health -> health", "GET /quote -> quote"]);
    assert!(r
        .routes
        .iter()
        .all(|e| e.framework == perfhive_scan::Framework::Fastapi));
}

#[test]
fn catalog_express_routes() {
    let r = scan_field("catalog");
    assert_eq!(
        table(&r),
        [
            "GET /health -> <inline>",
            "GET /products/popular -> <inline>",
            "GET /internal/inventory/{} -> <inline>",
            "GET /internal/pricing/{} -> <inline>",
            "GET /internal/shipping/{} -> <inline>",
            "GET /products/{}/page -> <inline>",
        ]
    );
    // inline handlers: findings inside one carry its route, by line range
    let popular = r
        .routes
        .iter()
        .find(|e| e.template == "/products/popular")
        .unwrap();
    let lines = popular.handler_lines.unwrap();
    let inside: Vec<_> = r
        .findings
        .iter()
        .filter(|f| lines.contains(f.line))
        .collect();
    assert!(!inside.is_empty(), "the N+1 in /products/popular is found");
    for f in inside {
        assert_eq!(f.routes, ["GET /products/popular"], "{f:?}");
    }
}

/// A handler named only by a name that several files define (`controller.remove`) is no
/// evidence that a finding in some `remove` is on that route; a name one file defines is.
#[test]
fn a_handler_name_many_files_define_attaches_no_route() {
    let dir = tempfile::tempdir().unwrap();
    let w = |p: &str, t: &str| {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, t).unwrap();
    };
    w(
        "routes.js",
        "const c = require('./oauth');\nconst u = require('./users');\nrouter.delete('/api/oauth2/:id', c.remove);\nrouter.get('/api/users', u.listUsers);\n",
    );
    w(
        "oauth.js",
        "async function remove(ctx) { return 1; }\nmodule.exports = { remove };\n",
    );
    w(
        "agents.js",
        "async function remove(ids) {\n  for (const id of ids) {\n    await this.agentService.deleteOne(id);\n  }\n}\nmodule.exports = { remove };\n",
    );
    w(
        "users.js",
        "async function listUsers(ids) {\n  for (const id of ids) {\n    await this.userService.readOne(id);\n  }\n}\nmodule.exports = { listUsers };\n",
    );
    let r = scan(&ScanOptions {
        paths: vec![dir.path().to_path_buf()],
        threads: 1,
        // loops over `ids`: of unknown size, listed when asked for; `agents.js` is on no route
        include_unsized: true,
        include_off_request: true,
        ..ScanOptions::default()
    })
    .unwrap();
    let routes_of = |file: &str| -> Vec<String> {
        r.findings
            .iter()
            .find(|f| f.file.ends_with(file))
            .unwrap_or_else(|| panic!("a finding in {file}: {:?}", r.findings))
            .routes
            .clone()
    };
    assert!(
        routes_of("agents.js").is_empty(),
        "{:?}",
        routes_of("agents.js")
    );
    assert_eq!(routes_of("users.js"), ["GET /api/users"]);
}
