//! Tests of the reading of admin change lists: the admin's model, what it loads, the reads.
use super::*;

#[test]
fn string_literals_of_a_tuple_or_list() {
    assert_eq!(
        literal_names("(\"customer\", 'shop__owner',)"),
        Some(vec!["customer".to_string(), "shop__owner".to_string()])
    );
    assert_eq!(
        literal_names("[\n    \"a\",  # the first\n    \"b\",\n]"),
        Some(vec!["a".to_string(), "b".to_string()])
    );
    assert_eq!(literal_names("BASE + (\"a\",)"), None);
    assert_eq!(literal_names("fields"), None);
}

#[test]
fn what_a_get_queryset_loads() {
    let admin = |body: &str| Admin {
        name: "A".into(),
        model: "Order".into(),
        loads: queryset_calls(body).expect("readable"),
    };
    let a = admin("return super().get_queryset(request).select_related(\"customer\", \"shop\")\n");
    assert_eq!(a.loads("customer"), Some(true));
    assert_eq!(a.loads("lines"), Some(false));
    // strings beside a Prefetch; a Prefetch to another attribute loads nothing of the row's
    let a =
        admin("qs.prefetch_related(\"customer\", Prefetch(\"lines\", queryset=L.objects.all()))\n");
    assert_eq!(
        (a.loads("customer"), a.loads("lines")),
        (Some(true), Some(true))
    );
    let a = admin("qs.prefetch_related(Prefetch(\"customer\", to_attr=\"cached\"))\n");
    assert_eq!(a.loads("customer"), Some(false));
    assert_eq!(
        admin("qs = super().get_queryset(request)\nreturn qs.annotate(n=Count(\"items\"))\n")
            .loads("customer"),
        Some(false)
    );
    // everything, or what the text does not spell
    assert_eq!(
        admin("return qs.select_related()\n").loads("customer"),
        Some(true)
    );
    assert_eq!(
        admin("return qs.select_related(*self.joined)\n").loads("customer"),
        None
    );
    // a method or helper of the project's own may load relations
    assert!(queryset_calls("return super().get_queryset(request).with_people()\n").is_none());
    assert!(queryset_calls("return optimise(super().get_queryset(request))\n").is_none());
}

#[test]
fn the_model_an_admin_is_registered_for() {
    let text = "@admin.register(shop.Order)\nclass OrderAdmin(admin.ModelAdmin):\n    pass\n";
    let head = text.find("class ").unwrap();
    assert_eq!(
        model_of(text, &text[..head], "OrderAdmin"),
        Some("Order".into())
    );
    let text = "class OrderAdmin(admin.ModelAdmin):\n    pass\n\n\nadmin.site.register(Order, OrderAdmin)\n";
    assert_eq!(model_of(text, "", "OrderAdmin"), Some("Order".into()));
    // one admin for two models
    let text = "class A(admin.ModelAdmin):\n    pass\n\nsite.register(Order, A)\nsite.register(Refund, A)\n";
    assert_eq!(model_of(text, "", "A"), None);
}

#[test]
fn a_column_is_reported_with_the_relations_the_change_list_leaves() {
    let code = r#"from django.contrib import admin
from django.db import models


class Ticket(models.Model):
    event = models.ForeignKey("Event", on_delete=models.CASCADE)
    buyer = models.OneToOneField("Person", on_delete=models.CASCADE)


class TicketAdmin(admin.ModelAdmin):
    list_display = ["id", "event_name", "buyer_name"]
    list_select_related = ("event",)

    def event_name(self, ticket):
        return ticket.event.name

    def buyer_name(self, ticket):
        name = ticket.event.name
        return f"{name}: {ticket.buyer.first_name} {ticket.buyer.last_name}"


admin.site.register(Ticket, TicketAdmin)
"#;
    let found = crate::tests::builtin_findings(RULE, crate::lang::Language::Python, code);
    assert_eq!(found.len(), 1, "{found:?}");
    let f = &found[0];
    assert_eq!(f.function.as_deref(), Some("buyer_name"));
    assert_eq!((f.line, f.column), (19, 27), "{f:?}");
    assert_eq!(f.snippet, "ticket.buyer");
    assert!(
        f.message
            .starts_with("`TicketAdmin` lists `Ticket` rows, and a column reads `buyer` of each"),
        "{}",
        f.message
    );
}

#[test]
fn a_relation_read_by_several_columns_is_reported_once() {
    let code = r#"from django.contrib import admin
from django.db import models


class Result(models.Model):
    snapshot = models.ForeignKey("Snapshot", on_delete=models.CASCADE)


class ResultAdmin(admin.ModelAdmin):
    list_display = ("id", "snapshot_url", "snapshot_title")

    def snapshot_url(self, obj):
        return obj.snapshot.url

    def snapshot_title(self, obj):
        return obj.snapshot.title


admin.site.register(Result, ResultAdmin)
"#;
    let found = crate::tests::builtin_findings(RULE, crate::lang::Language::Python, code);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].line, 13, "{found:?}");
    assert!(found[0].statements.is_empty(), "{found:?}");
}

#[test]
fn the_relations_of_an_admin_s_columns_are_one_finding() {
    let code = r#"from django.contrib import admin
from django.db import models


class Membership(models.Model):
    user = models.ForeignKey("User", on_delete=models.CASCADE)
    chapter = models.ForeignKey("Chapter", on_delete=models.CASCADE)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("id", "user_name", "chapter_name")

    def user_name(self, obj):
        return obj.user.get_full_name()

    def chapter_name(self, membership):
        return membership.chapter.title
"#;
    let found = crate::tests::builtin_findings(RULE, crate::lang::Language::Python, code);
    assert_eq!(found.len(), 1, "{found:?}");
    let f = &found[0];
    let lines: Vec<u32> = f.statements.iter().map(|s| s.line).collect();
    assert_eq!(lines, vec![15, 18], "{f:?}");
    assert!(
        f.message
            .contains("its columns read `user`, `chapter` of each"),
        "{}",
        f.message
    );
}

/// The findings of the rule on one admin file.
fn of(code: &str) -> Vec<Finding> {
    crate::tests::builtin_findings(RULE, crate::lang::Language::Python, code)
}

const MODELS: &str = "from django.contrib import admin\nfrom django.contrib.contenttypes.fields import GenericForeignKey\nfrom django.db import models\n\n\nclass Order(models.Model):\n    customer = models.ForeignKey(\"Customer\", on_delete=models.CASCADE)\n    shipper = models.ForeignKey(\"Shipper\", on_delete=models.CASCADE)\n    target = GenericForeignKey(\"content_type\", \"object_id\")\n\n\n";

#[test]
fn what_the_text_sets_at_run_time_or_elsewhere_leaves_the_admin_unjudged() {
    let admin = |body: &str| {
        format!("{MODELS}@admin.register(Order)\nclass OrderAdmin(admin.ModelAdmin):\n{body}\n    def email(self, obj):\n        return obj.customer.email\n")
    };
    // the baseline is reported
    assert_eq!(
        of(&admin("    list_display = (\"id\", \"email\")\n")).len(),
        1
    );
    // a list_display a method assigns locally is not the admin's
    let local = "    list_display = (\"id\", \"shipper\", \"email\")\n\n    def export(self):\n        list_display = (\"id\",)\n        return list_display\n";
    assert!(of(&admin(local)).is_empty());
    for body in [
        "    list_display = [\"id\", \"email\"]\n    list_display += [\"shipper\"]\n",
        "    list_display = (\"id\", \"email\")\n\n    def __init__(self, *a):\n        super().__init__(*a)\n        self.list_select_related = (\"customer\",)\n",
        "    list_display = (\"id\", \"email\")\n\n    def get_queryset(self, request):\n        return super().get_queryset(request).with_people()\n",
    ] {
        assert!(of(&admin(body)).is_empty(), "{body}");
    }
    // an empty list_select_related joins nothing, whatever list_display names
    let empty =
        "    list_display = (\"id\", \"shipper\", \"email\")\n    list_select_related = ()\n";
    assert_eq!(of(&admin(empty)).len(), 1);
}

#[test]
fn generic_keys_commented_registrations_and_crlf_files() {
    // a generic foreign key: no join loads it
    let gfk = format!("{MODELS}@admin.register(Order)\nclass OrderAdmin(admin.ModelAdmin):\n    list_display = (\"id\", \"what\")\n\n    def what(self, obj):\n        return str(obj.target)\n");
    assert!(of(&gfk).is_empty());
    // registered only in a comment: its columns never run
    let commented = format!("{MODELS}class OrderAdmin(admin.ModelAdmin):\n    list_display = (\"id\", \"email\")\n\n    def email(self, obj):\n        return obj.customer.email\n\n\n# admin.site.register(Order, OrderAdmin)\n");
    assert!(of(&commented).is_empty());
    // with CRLF line ends, each column is judged under its own admin
    let two = format!("{MODELS}@admin.register(Order)\nclass OrderAdmin(admin.ModelAdmin):\n    list_display = (\"id\",)\n{}\n\nclass OpsAdmin(admin.ModelAdmin):\n    list_display = (\"id\", \"email\")\n    list_select_related = (\"customer\",)\n\n    def email(self, obj):\n        return obj.customer.email\n\n\nadmin.site.register(Order, OpsAdmin)\n", "    # padding\n".repeat(50));
    assert!(of(&two).is_empty());
    assert!(of(&two.replace('\n', "\r\n")).is_empty());
}

#[test]
fn every_relation_read_on_a_line_is_reported() {
    let code = format!("{MODELS}@admin.register(Order)\nclass OrderAdmin(admin.ModelAdmin):\n    list_display = (\"id\", \"route\")\n\n    def route(self, obj):\n        return obj.customer.city + \" via \" + obj.shipper.name\n");
    let found = of(&code);
    assert_eq!(found.len(), 1, "{found:?}");
    let texts: Vec<&str> = found[0]
        .statements
        .iter()
        .map(|s| s.text.as_str())
        .collect();
    assert_eq!(texts, vec!["obj.customer", "obj.shipper"]);
}
