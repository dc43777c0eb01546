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
    assert_eq!(
        loaded_by("return super().get_queryset(request).select_related(\"customer\", \"shop\")"),
        Some(vec!["customer".to_string(), "shop".to_string()])
    );
    assert_eq!(
        loaded_by("qs.prefetch_related(Prefetch(\"items\", queryset=I.objects.all()))"),
        Some(vec!["items".to_string()])
    );
    assert_eq!(loaded_by("qs.annotate(n=Count(\"items\"))"), Some(vec![]));
    // everything, or what the text does not spell
    assert_eq!(loaded_by("qs.select_related()"), None);
    assert_eq!(loaded_by("qs.select_related(*self.joined)"), None);
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
