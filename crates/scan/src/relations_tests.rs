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
fn what_a_queryset_expression_loads() {
    assert_eq!(
        loads("Order.objects.filter(paid=True)", "customer"),
        Some(false)
    );
    assert_eq!(
        loads(
            "Order.objects.select_related('customer__country')",
            "customer"
        ),
        Some(true)
    );
    assert_eq!(
        loads("Order.objects.select_related(\"coupon\")", "customer"),
        Some(false)
    );
    assert_eq!(
        loads("Order.objects.select_related()", "customer"),
        Some(true)
    );
    assert_eq!(
        loads(
            "qs.prefetch_related(Prefetch('customer', queryset=C.objects.only('id')))",
            "customer"
        ),
        Some(true)
    );
    assert_eq!(
        loads("qs.prefetch_related('items', 'customer')", "customer"),
        Some(true)
    );
    assert_eq!(loads("qs.select_related(*FIELDS)", "customer"), None);
    assert_eq!(loads("qs.select_related(name)", "customer"), None);
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
    let lines: Vec<&str> = code.lines().collect();
    let (row, walked) = loop_over(&lines, 6, "order").unwrap();
    assert_eq!((row, walked.as_str()), (5, "orders"));
    let (model, chain) = queryset(&lines, row, &walked).unwrap();
    assert_eq!(model, "Order");
    assert_eq!(chain.len(), 4, "{chain:?}");
    // a name bound in another function is not followed
    let code = "\
orders = Order.objects.all()
def f():
    for order in orders:
        print(order.customer)
";
    let lines: Vec<&str> = code.lines().collect();
    let (row, walked) = loop_over(&lines, 3, "order").unwrap();
    assert_eq!(queryset(&lines, row, &walked), None);
}
