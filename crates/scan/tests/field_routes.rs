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
