//! Tests of the reading of Django models and of what a queryset loads.
use super::*;

const MODELS: &str = r#"
from django.db import models
from mptt.models import TreeForeignKey


class OrderQuerySet(models.QuerySet):
    def paid(self):
        return self.filter(paid=True)


class JoinedManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().select_related("customer")


class Order(TimeStamped, models.Model):
    customer = models.ForeignKey(
        "Customer", on_delete=models.CASCADE
    )
    coupon: "Coupon" = models.OneToOneField("Coupon", null=True, on_delete=models.SET_NULL)
    parent = TreeForeignKey("self", null=True, on_delete=models.CASCADE)
    target = GenericForeignKey("content_type", "object_id")
    customer_note = models.TextField()

    objects = OrderQuerySet.as_manager()

    def total(self):
        x = models.ForeignKey  # not a field
        return x


class Invoice(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE)
    objects = JoinedManager()
"#;

#[test]
fn models_declare_their_forward_relations_and_managers() {
    let d = declared(MODELS);
    let order = d.models.iter().find(|m| m.name == "Order").unwrap();
    assert_eq!(order.relations, ["customer", "coupon", "parent", "target"]);
    assert_eq!(order.bases, ["TimeStamped", "Model"]);
    assert_eq!(order.manager.as_deref(), Some("OrderQuerySet"));
    let invoice = d.models.iter().find(|m| m.name == "Invoice").unwrap();
    assert_eq!(invoice.manager.as_deref(), Some("JoinedManager"));
    assert_eq!(d.loading, ["JoinedManager"]);

    let index = Index::new([&d]);
    assert_eq!(index.relation("Order", "customer"), Some(true));
    assert_eq!(index.relation("Order", "customer_note"), Some(false));
    // a manager that joins by default: not judged
    assert_eq!(index.relation("Invoice", "order"), None);
    assert_eq!(index.relation("Unknown", "order"), None);
}

#[test]
fn relations_follow_the_bases_by_name() {
    let base = declared(
        "class Owned(models.Model):\n    owner = models.ForeignKey(User, on_delete=CASCADE)\n",
    );
    let child = declared("class Doc(Owned):\n    title = models.CharField()\n");
    let index = Index::new([&base, &child]);
    assert_eq!(index.relation("Doc", "owner"), Some(true));
    assert_eq!(index.relation("Doc", "title"), Some(false));
    // a cycle of names ends
    let a = declared("class A(B):\n    x = models.IntegerField()\n\n\nclass B(A):\n    y = 2\n");
    assert_eq!(Index::new([&a]).relation("A", "z"), Some(false));
}

#[test]
fn what_a_queryset_method_call_loads() {
    let loads = |c: &str| loads(c, "customer");
    assert_eq!(loads("filter(paid=True)"), Some(false));
    assert_eq!(loads("select_related('customer__country')"), Some(true));
    assert_eq!(loads("select_related(\"coupon\")"), Some(false));
    assert_eq!(loads("select_related()"), Some(true));
    assert_eq!(
        loads("prefetch_related(Prefetch('customer', queryset=C.objects.only('id')))"),
        Some(true)
    );
    // loaded into another name
    assert_eq!(
        loads("prefetch_related(Prefetch('customer', to_attr='cust'))"),
        Some(false)
    );
    // a select_related of a prefetched queryset is that queryset's
    assert_eq!(
        loads("prefetch_related(Prefetch('items', queryset=I.objects.select_related('customer')))"),
        Some(false)
    );
    assert_eq!(loads("prefetch_related('items', 'customer')"), Some(true));
    assert_eq!(loads("select_related(*FIELDS)"), None);
    assert_eq!(loads("select_related(name)"), None);
}

/// `(loop row, iterable, def row)` and then `(model, calls)` for the read on line `row`.
fn walk(code: &str, row: usize, var: &str) -> Option<(String, Vec<String>)> {
    let lines: Vec<&str> = code.lines().collect();
    let l = loop_over(&lines, row, var)?;
    queryset(&lines, l.def_row, l.row, &l.walked)
}

#[test]
fn the_queryset_is_read_back_through_the_functions_assignments() {
    let code = "\
def f(request):
    orders = Order.objects.all()
    if request.GET.get('q'):
        orders = orders.filter(q=1)
    orders = sorted(orders.select_related('coupon'), key=k)
    for order in orders:
        print(order.customer.name)
";
    let (model, calls) = walk(code, 6, "order").unwrap();
    assert_eq!(model, "Order");
    assert_eq!(calls, ["select_related('coupon')", "filter(q=1)", "all()"]);
    // Black's parentheses, a line join, a loop header over several lines
    let code = "\
def f():
    orders = (
        Order.objects.filter(paid=True)
        .order_by('-id')
    )
    more = Order.objects.all() \\
        .select_related('customer')
    for order in (
        orders
    ):
        print(order.customer)
    for order in more:
        print(order.customer)
";
    assert_eq!(
        walk(code, 10, "order").unwrap().1,
        ["filter(paid=True)", "order_by('-id')"]
    );
    assert_eq!(
        walk(code, 12, "order").unwrap().1,
        ["all()", "select_related('customer')"]
    );
}

#[test]
fn chains_the_text_cannot_settle_are_not_followed() {
    let unknown = |code: &str, row: usize| assert_eq!(walk(code, row, "o"), None, "{code}");
    // a name bound in another function, a method of the project's own, values() rows, a
    // relation of another object, in-memory rows of bulk_create
    unknown(
        "qs = Order.objects.all()\ndef f():\n    for o in qs:\n        o.customer\n",
        3,
    );
    unknown(
        "def f():\n    for o in Order.objects.with_customer():\n        o.customer\n",
        2,
    );
    unknown("def f():\n    qs = Order.objects.values_list('customer', named=True)\n    for o in qs:\n        o.customer\n", 3);
    unknown(
        "def f(c):\n    qs = c.orders.all()\n    for o in qs:\n        o.customer\n",
        3,
    );
    unknown(
        "def f(x):\n    qs = Order.objects.bulk_create(x)\n    for o in qs:\n        o.customer\n",
        3,
    );
    // bound otherwise: a for target, a with target, prefetch_related_objects, a tuple
    unknown("def f(b):\n    qs = Order.objects.all()\n    for qs in b:\n        pass\n    for o in qs:\n        o.customer\n", 5);
    unknown("def f():\n    qs = Order.objects.all()\n    prefetch_related_objects(qs, 'customer')\n    for o in qs:\n        o.customer\n", 4);
    unknown(
        "def f():\n    qs, n = Order.objects.all(), 1\n    for o in qs:\n        o.customer\n",
        3,
    );
    // bindings of a nested function or class, a keyword argument, are not the function's
    unknown("def f(qs):\n    def g():\n        qs = Order.objects.all()\n    for o in qs:\n        o.customer\n", 4);
    unknown("def f(qs):\n    ctx = dict(\n        qs=Order.objects.all(),\n    )\n    for o in qs:\n        o.customer\n", 5);
    // a branch that returns before the loop
    unknown("def f(r, qs):\n    if r:\n        qs = Order.objects.all()\n        return qs\n    for o in qs:\n        o.customer\n", 5);
}

#[test]
fn strings_and_comments_are_blanked_in_place() {
    let line = "x = f('order.customer', \"a#b\")  # order.customer é";
    let code = code_of(line);
    assert_eq!(code.len(), line.len());
    assert!(!code.contains("order.customer"), "{code}");
    assert!(code.starts_with("x = f('"), "{code}");
    // comments in a continued expression or after a loop's header
    let code = "def f():\n    qs = Order.objects.filter(\n        a=1,  # (see \"x\")\n    )\n    for o in qs:  # [0:2]\n        o.customer\n";
    assert_eq!(walk(code, 5, "o").unwrap().1, ["filter( a=1, )"]);
    // the fields of an f-string are code
    let code = code_of("x = f'{o.customer.name} - {{o.other}}' + \"{o.number}\"");
    assert!(code.contains("o.customer.name"), "{code}");
    assert!(
        !code.contains("o.other") && !code.contains("o.number"),
        "{code}"
    );
    assert_eq!(assignment_at("a, b = c == d"), Some(5));
    assert_eq!(assignment_at("f(a=1) == b"), None);
    assert_eq!(assignment_at("a += 1"), None);
}

#[test]
fn loops_on_one_line_and_over_enumerate_are_read() {
    let code = "\
def f(request, pairs):
    for order in Order.objects.all(): print(order.customer)
    for i, order in enumerate(Order.objects.filter(paid=True), start=1):
        print(order.customer)
    for i, order in pairs:
        print(order.customer)
";
    let lines: Vec<&str> = code.lines().collect();
    let one = loop_over(&lines, 1, "order").unwrap();
    assert_eq!((one.row, one.walked.as_str()), (1, "Order.objects.all()"));
    assert_eq!(one.body_at, Some(lines[1].find(':').unwrap() + 1));
    assert_eq!(
        walk(code, 3, "order"),
        Some(("Order".into(), vec!["filter(paid=True)".into()]))
    );
    // a pair of names walks rows only in enumerate(…)
    assert_eq!(loop_over(&lines, 5, "order"), None);
}

#[test]
fn a_comprehension_is_read_from_its_own_for() {
    let code = "\
def f(request):
    orders = Order.objects.filter(paid=True)
    names = {
        o.pk: o.customer.name
        for o in orders.order_by('-id')
        if o.paid
    }
    x = o.customer, [o.pk for o in Order.objects.filter(note='a # b')]
";
    let lines: Vec<&str> = code.lines().collect();
    let at = lines[3].find("o.customer").unwrap();
    let (walked, def_row, span) = comprehension_over(&lines, 2, 3, at, "o").unwrap();
    assert_eq!((walked.as_str(), def_row), ("orders.order_by('-id')", 0));
    assert_eq!(span, 0..lines[3].len());
    // a read before the comprehension's bracket is not one of its rows
    let at = lines[7].find("o.customer").unwrap();
    assert_eq!(comprehension_over(&lines, 7, 7, at, "o"), None);
    let at = lines[7].find("o.pk").unwrap();
    let (walked, _, span) = comprehension_over(&lines, 7, 7, at, "o").unwrap();
    assert_eq!(walked, "Order.objects.filter(note='a # b')");
    assert_eq!(
        &lines[7][span.start..=span.end],
        &lines[7][lines[7].find('[').unwrap()..]
    );
}

#[test]
fn a_file_may_report_only_where_its_loops_read_a_declared_relation() {
    let reads = Reads::new([&declared(MODELS)]);
    let may = |r: &Reads, t: &str| {
        r.may_report(t, crate::loop_text::loop_ranges(t.as_bytes()).as_deref())
    };
    // a loop over rows reading a relation, in a statement or in a comprehension
    let loop_read = "def f():\n    for o in Order.objects.all():\n        print(o.customer.name)\n";
    assert!(may(&reads, loop_read));
    let comp =
        "def f():\n    return [\n        o.coupon\n        for o in Order.objects.all()\n    ]\n";
    assert!(may(&reads, comp));
    // the line of the loop's header counts whole (another read of the line may be the one)
    let one_line = "def f():\n    x = [o.parent for o in Order.objects.all()]\n";
    assert!(may(&reads, one_line));
    // a relation read outside every loop, a loop reading no relation, no `objects` at all
    let outside = "def f():\n    o = Order.objects.get(pk=1)\n    o.customer.name\n    for i in range(3):\n        print(i.customer_note)\n";
    assert!(!may(&reads, outside));
    let no_objects = "def f(orders):\n    for o in orders:\n        print(o.customer)\n";
    assert!(!may(&reads, no_objects));
    // a project without relations: nothing can be reported
    assert!(!may(&Reads::new([&Declared::default()]), loop_read));
    // a loop the reading is in doubt about (a bracket left open) is the whole file
    let open = "def f():\n    o = Order.objects.get(pk=1)\n    o.customer(\n";
    assert!(may(&reads, open));
}
