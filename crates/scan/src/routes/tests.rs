//! Route tables and SQL strings of snippets written as each framework's documentation writes
//! them.

use super::*;

pub(super) fn extract_text(lang: Language, file: &str, text: &str) -> Extracted {
    let mut p = tree_sitter::Parser::new();
    p.set_language(&lang.grammar()).unwrap();
    let tree = p.parse(text, None).unwrap();
    extract(lang, file, text, &tree, wanted(lang, text))
}

/// `METHOD template -> handler [start-end]` for every route.
fn table(lang: Language, file: &str, text: &str) -> Vec<String> {
    extract_text(lang, file, text)
        .routes
        .iter()
        .map(|r| {
            let lines = r
                .handler_lines
                .map_or(String::new(), |l| format!(" [{}-{}]", l.start, l.end));
            format!(
                "{} -> {}{lines}",
                r.route(),
                r.handler.as_deref().unwrap_or("<inline>")
            )
        })
        .collect()
}

#[test]
fn flask_routes_with_methods_and_blueprint_prefix() {
    let src = r#"
from flask import Blueprint, Flask

app = Flask(__name__)
bp = Blueprint("orders", __name__, url_prefix="/api")


@app.route("/x", methods=["GET", "POST"])
def x():
    return "x"


@bp.get("/x/<int:id>")
def one(id):
    return str(id)


@app.route("/")
def index():
    return "hi"


@cache.memoize(timeout=5)
def not_a_route():
    pass
"#;
    assert_eq!(
        table(Language::Python, "app.py", src),
        [
            "GET /x -> x [9-10]",
            "POST /x -> x [9-10]",
            "GET /api/x/{} -> one [14-15]",
            "GET / -> index [19-20]",
        ]
    );
}

#[test]
fn flask_blueprint_registered_with_a_prefix() {
    let src = r#"
bp = Blueprint("admin", __name__)

@bp.route("/users/<user_id>", methods=("DELETE",))
def delete_user(user_id):
    ...

app.register_blueprint(bp, url_prefix="/admin")

def ping():
    return "pong"

app.add_url_rule("/ping", view_func=ping)
bp.add_url_rule("/users", view_func=UserList.as_view("users"), methods=["GET", "POST"])
"#;
    assert_eq!(
        table(Language::Python, "admin.py", src),
        [
            "DELETE /admin/users/{} -> delete_user [5-6]",
            "GET /ping -> ping [10-11]",
            "GET /admin/users -> UserList",
            "POST /admin/users -> UserList",
        ]
    );
}

#[test]
fn fastapi_routes_and_router_prefix() {
    let src = r#"
from fastapi import APIRouter, FastAPI

app = FastAPI()
router = APIRouter(prefix="/items", tags=["items"])


@app.get("/items/{item_id}")
async def read_item(item_id: int, q: str | None = None):
    return {"item_id": item_id, "q": q}


@router.post("/", status_code=201)
async def create_item(item: Item):
    return item


@router.api_route("/{item_id}/tags", methods=["PUT", "PATCH"])
def tag(item_id: str):
    ...


app.add_api_route("/stats", stats, methods=["GET"])
"#;
    let e = extract_text(Language::Python, "main.py", src);
    assert!(e.routes.iter().all(|r| r.framework == Framework::Fastapi));
    assert_eq!(
        table(Language::Python, "main.py", src),
        [
            "GET /items/{} -> read_item [9-10]",
            "POST /items -> create_item [14-15]",
            "PUT /items/{}/tags -> tag [19-20]",
            "PATCH /items/{}/tags -> tag [19-20]",
            "GET /stats -> stats",
        ]
    );
}

#[test]
fn django_urlconf() {
    let src = r#"
from django.urls import include, path, re_path

from . import views

urlpatterns = [
    path("orders/<int:pk>/", views.order_detail, name="order-detail"),
    path("", views.index),
    re_path(r"^archive/(?P<year>[0-9]{4})/$", views.year_archive),
    path("reports/", views.ReportView.as_view(), name="reports"),
    path("api/", include("api.urls")),
]
"#;
    let e = extract_text(Language::Python, "shop/urls.py", src);
    assert!(e.routes.iter().all(|r| r.framework == Framework::Django));
    assert!(e.routes.iter().all(|r| r.handler_lines.is_none()));
    assert_eq!(
        table(Language::Python, "shop/urls.py", src),
        [
            "/orders/{} -> order_detail",
            "/ -> index",
            "/archive/{} -> year_archive",
            "/reports -> ReportView",
        ]
    );
}

#[test]
fn express_and_fastify_routes() {
    let src = r#"
const express = require('express');
const app = express();
const router = express.Router();

app.get('/x', handler);
router.post('/orders/:id', auth, async (req, res) => {
  res.json(await load(req.params.id));
});
app.route('/book').get(listBooks).put(controller.updateBook);
app.use('/api', router);

function handler(req, res) {
  res.send('x');
}

axios.get('/remote', (r) => r);
"#;
    assert_eq!(
        table(Language::JavaScript, "server.js", src),
        [
            "GET /x -> handler [13-15]",
            "POST /api/orders/{} -> <inline> [7-9]",
            // the outer call of a chain is met first
            "PUT /book -> updateBook",
            "GET /book -> listBooks",
        ]
    );
    let fastify = r#"
import Fastify from 'fastify';
const fastify = Fastify({ logger: true });

fastify.get('/items/:id', async (request, reply) => {
  return { id: request.params.id };
});

fastify.route({
  method: ['GET', 'HEAD'],
  url: '/health',
  schema: {},
  handler: async function health(request, reply) {
    return { ok: true };
  },
});

fastify.post('/upload', { schema }, upload);
"#;
    let e = extract_text(Language::TypeScript, "server.ts", fastify);
    assert!(e.routes.iter().all(|r| r.framework == Framework::Fastify));
    assert_eq!(
        table(Language::TypeScript, "server.ts", fastify),
        [
            "GET /items/{} -> <inline> [5-7]",
            "GET /health -> health [13-15]",
            "HEAD /health -> health [13-15]",
            "POST /upload -> upload",
        ]
    );
}

#[test]
fn spring_mappings_under_the_class_prefix() {
    let src = r#"
@RestController
@RequestMapping("/orders")
public class OrderController {

    @GetMapping("/{id}")
    public Order one(@PathVariable Long id) {
        return repository.findById(id).orElseThrow();
    }

    @PostMapping
    public Order create(@RequestBody Order order) {
        return repository.save(order);
    }

    @RequestMapping(value = "/search", method = {RequestMethod.GET, RequestMethod.POST})
    public List<Order> search(@RequestParam String q) {
        return repository.search(q);
    }

    @RequestMapping(path = "/legacy")
    public String legacy() { return "x"; }

    public void helper() {}
}
"#;
    assert_eq!(
        table(Language::Java, "OrderController.java", src),
        [
            "GET /orders/{} -> one [6-9]",
            "POST /orders -> create [11-14]",
            "GET /orders/search -> search [16-19]",
            "POST /orders/search -> search [16-19]",
            "/orders/legacy -> legacy [21-22]",
        ]
    );
}

#[test]
fn go_net_http_patterns_and_routers() {
    let src = r#"
package main

import "net/http"

func main() {
	mux := http.NewServeMux()
	http.HandleFunc("/x", h)
	mux.HandleFunc("GET /x/{id}", s.getItem)
	mux.Handle("/files/{path...}", http.HandlerFunc(serveFile))
	mux.HandleFunc("POST /upload/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(201)
	})
	r.HandleFunc("/articles/{category}", ArticlesHandler).Methods("GET", "HEAD")
	r.Get("/users/{userID}", getUser)
	http.ListenAndServe("127.0.0.1:8080", mux)
}

func h(w http.ResponseWriter, r *http.Request) {}
"#;
    assert_eq!(
        table(Language::Go, "main.go", src),
        [
            "/x -> h [19-19]",
            "GET /x/{} -> getItem",
            "/files/{*} -> serveFile",
            "POST /upload -> <inline> [11-13]",
            "GET /articles/{} -> ArticlesHandler",
            "HEAD /articles/{} -> ArticlesHandler",
            "GET /users/{} -> getUser",
        ]
    );
}

#[test]
fn every_syntax_normalises_to_the_trace_template() {
    use perfhive_core::route::Route;
    let span = Route::parse("GET /orders/{order_id}");
    for (lang, file, src) in [
        (
            Language::Python,
            "a.py",
            "@app.get('/orders/<int:order_id>')\ndef f(order_id): ...\n",
        ),
        (
            Language::Python,
            "b.py",
            "import fastapi\n@app.get('/orders/{order_id}')\nasync def f(order_id): ...\n",
        ),
        (
            Language::JavaScript,
            "c.js",
            "app.get('/orders/:orderId', (req, res) => res.end());\n",
        ),
        (
            Language::Go,
            "d.go",
            "package m\nfunc m() { mux.HandleFunc(\"GET /orders/{id}\", h) }\n",
        ),
    ] {
        let e = extract_text(lang, file, src);
        assert_eq!(e.routes.len(), 1, "{file}");
        assert!(e.routes[0].route().same_as(&span), "{file}: {:?}", e.routes);
    }
}

#[test]
fn sql_strings_are_fingerprinted_as_the_driver_sends_them() {
    use perfhive_core::sql::fingerprint;
    let py = r#"
def orders_of(cur, customer_id):
    cur.execute("SELECT id, total FROM orders WHERE customer_id = %s", (customer_id,))
    cur.execute(
        "UPDATE orders SET status = %(status)s "
        "WHERE id = %(id)s",
        params,
    )
    cur.execute(f"DELETE FROM carts WHERE id = {cart_id}")
    print("Select the rows from the table you want")
    print("Update your password")
    return """
        SELECT *
          FROM customers
         WHERE email = :email
    """
"#;
    let e = extract_text(Language::Python, "repo.py", py);
    let fps: Vec<_> = e.sql.iter().map(|s| s.fingerprint).collect();
    assert_eq!(
        fps,
        [
            fingerprint("SELECT id, total FROM orders WHERE customer_id = $1"),
            fingerprint("UPDATE orders SET status = ? WHERE id = ?"),
            fingerprint("DELETE FROM carts WHERE id = 42"),
            fingerprint("SELECT * FROM customers WHERE email = ?"),
        ],
        "{:#?}",
        e.sql
    );
    assert!(e
        .sql
        .iter()
        .all(|s| s.function.as_deref() == Some("orders_of")));
    assert_eq!(e.sql[1].line, 5);

    let js = r#"
router.get('/orders/:id', async (req, res) => {
  const { rows } = await pool.query('SELECT * FROM orders WHERE id = $1', [req.params.id]);
  db.all(`SELECT name FROM products WHERE sold > ${min} ORDER BY sold DESC`, cb);
  res.json(rows);
});
"#;
    let e = extract_text(Language::JavaScript, "api.js", js);
    assert_eq!(e.sql.len(), 2, "{:#?}", e.sql);
    assert_eq!(
        e.sql[0].fingerprint,
        fingerprint("select * from orders where id = ?")
    );
    assert_eq!(
        e.sql[1].fingerprint,
        fingerprint("SELECT name FROM products WHERE sold > ? ORDER BY sold DESC")
    );
    assert_eq!(e.sql[0].function, None);
    assert_eq!(
        e.sql[0].function_lines,
        Some(LineRange { start: 2, end: 6 })
    );

    let go = "package m\nfunc q() { db.Query(`SELECT id FROM t WHERE a = $1`, a); db.Exec(\"INSERT INTO t (a) VALUES (?)\", 1) }\n";
    let e = extract_text(Language::Go, "q.go", go);
    assert_eq!(e.sql.len(), 2);
    assert_eq!(
        e.sql[1].fingerprint,
        fingerprint("insert into t (a) values ($1)")
    );
    assert_eq!(e.sql[0].function.as_deref(), Some("q"));
}

#[test]
fn only_statements_are_sql() {
    for yes in [
        "SELECT * FROM t",
        "  select a, b from t where c = ?",
        "-- the slow one\nSELECT a FROM t",
        "INSERT INTO t (a) VALUES (%s)",
        "UPDATE t SET a = :a WHERE id = :id",
        "DELETE FROM t WHERE id = $1",
        "WITH x AS (SELECT a FROM t) SELECT * FROM x",
    ] {
        assert!(sql::is_sql(yes), "{yes}");
    }
    for no in [
        "Select the rows from the table you want",
        "Update your password",
        "Delete this item?",
        "Selected",
        "select",
        "SELECT",
        "Insert a coin",
        "Delete from John's list",
        "withdrawal",
        "INSERT INTO",
        "SELECT * FROM",
        "DELETE FROM ",
        "/orders/{id}",
        "",
    ] {
        assert!(!sql::is_sql(no), "{no}");
    }
}

#[test]
fn a_finding_in_a_handler_has_its_route_and_runs_on_the_request_path() {
    let dir = tempfile::tempdir().unwrap();
    // a Go handler registered by name: neither its file nor its signature says "request"
    std::fs::write(
        dir.path().join("routes.go"),
        "package shop\n\nimport \"net/http\"\n\nfunc Register(mux *http.ServeMux) {\n\tmux.HandleFunc(\"GET /reports/{id}\", report)\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("report.go"),
        "package shop\n\nimport \"regexp\"\n\nfunc report(lines []string) int {\n\tn := 0\n\tfor _, l := range lines {\n\t\tif regexp.MustCompile(`^x`).MatchString(l) {\n\t\t\tn++\n\t\t}\n\t}\n\treturn n\n}\n",
    )
    .unwrap();
    let r = crate::scan(&crate::ScanOptions {
        paths: vec![dir.path().to_path_buf()],
        threads: 1,
        ..crate::ScanOptions::default()
    })
    .unwrap();
    assert_eq!(r.routes.len(), 1, "{:?}", r.routes);
    let f = r
        .findings
        .iter()
        .find(|f| f.function.as_deref() == Some("report"))
        .unwrap_or_else(|| panic!("{:#?}", r.findings));
    assert_eq!(f.routes, ["GET /reports/{}"]);
    assert_eq!(f.run_context, crate::RunContext::Request, "{f:?}");
}

#[test]
fn django_views_in_another_file_join_by_function_and_class_name() {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    w(
        "urls.py",
        "from django.urls import path\n\nfrom . import views\n\nurlpatterns = [\n    path(\"orders/<int:pk>/\", views.order_detail),\n    path(\"reports/\", views.ReportView.as_view()),\n]\n",
    );
    w(
        "views.py",
        r#"from django.views import View

from .models import Customer, Order


def order_detail(request, pk):
    for line in Order.objects.filter(pk=pk):
        Customer.objects.get(pk=line.customer_id)


class ReportView(View):
    def get(self, request):
        for o in Order.objects.all():
            Customer.objects.get(pk=o.customer_id)
"#,
    );
    // the same name in another language is another function
    w(
        "order_detail.js",
        "async function order_detail(ids) {\n  for (const id of ids) {\n    await db.query('SELECT * FROM orders WHERE id = $1', [id]);\n  }\n}\n",
    );
    let r = crate::scan(&crate::ScanOptions {
        paths: vec![dir.path().to_path_buf()],
        threads: 1,
        // the JavaScript loop over `ids` (of unknown size, on no route) is listed too
        include_unsized: true,
        include_off_request: true,
        ..crate::ScanOptions::default()
    })
    .unwrap();
    let routes_of = |func: &str, lang: Language| -> Vec<String> {
        let f = r
            .findings
            .iter()
            .find(|f| f.function.as_deref() == Some(func) && f.language == lang)
            .unwrap_or_else(|| panic!("no finding in {func}: {:#?}", r.findings));
        f.routes.clone()
    };
    assert_eq!(routes_of("order_detail", Language::Python), ["/orders/{}"]);
    assert_eq!(routes_of("get", Language::Python), ["/reports"]);
    assert!(routes_of("order_detail", Language::JavaScript).is_empty());
    // the JavaScript function's SQL string is its own
    let js = r
        .findings
        .iter()
        .find(|f| f.language == Language::JavaScript)
        .unwrap();
    assert_eq!(
        js.sql_fingerprints,
        [perfhive_core::sql::fingerprint(
            "SELECT * FROM orders WHERE id = ?"
        )]
    );
}

#[test]
fn nest_controllers() {
    let src = r#"
import { Controller, Get, Post, Body, Param } from '@nestjs/common';

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get()
  findAll() {
    return this.orders.findAll();
  }

  @Get(':id')
  findOne(@Param('id') id: string) {
    return this.orders.findOne(+id);
  }

  @Post()
  @HttpCode(201)
  create(@Body() dto: CreateOrderDto) {
    return this.orders.create(dto);
  }

  helper() {}
}

@Controller()
class HealthController {
  @Get('health')
  check() {
    return { ok: true };
  }
}
"#;
    let e = extract_text(Language::TypeScript, "orders.controller.ts", src);
    assert!(e.routes.iter().all(|r| r.framework == Framework::Nest));
    assert_eq!(
        table(Language::TypeScript, "orders.controller.ts", src),
        [
            "GET /orders -> findAll [9-11]",
            "GET /orders/{} -> findOne [14-16]",
            "POST /orders -> create [20-22]",
            "GET /health -> check [30-32]",
        ]
    );
}
