//! Tests of the reading of DRF list views and of the relations their querysets load.
use super::*;
use crate::size::LoopSize;

const VIEWS: &str = r#"
from rest_framework import viewsets, generics, mixins


class OrderViewSet(viewsets.ModelViewSet):
    queryset = Order.objects.select_related("customer__country").prefetch_related(
        "items", Prefetch("payments", queryset=Payment.objects.filter(ok=True))
    )
    serializer_class = serializers.OrderSerializer


class InvoiceList(generics.ListAPIView):
    serializer_class = InvoiceSerializer

    def get_queryset(self):
        return Invoice.objects.filter(owner=self.request.user)


class TagViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Tag.objects.all()
    serializer_class = TagSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("group")


class DeviceViewSet(NetBoxModelViewSet):
    queryset = Device.objects.all()
    serializer_class = DeviceSerializer


class PickViewSet(viewsets.ModelViewSet):
    queryset = Pick.objects.all()
    serializer_class = PickSerializer

    def get_serializer_class(self):
        return PickDetailSerializer


class StarViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Star.objects.prefetch_related(*STAR_RELATIONS)
    serializer_class = StarSerializer


class AllViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Thing.objects.select_related()
    serializer_class = ThingSerializer


class OneView(generics.RetrieveAPIView):
    queryset = Order.objects.all()
    serializer_class = OrderSerializer
"#;

#[test]
fn list_views_and_what_their_querysets_load() {
    let v = list_views("api/views.py", VIEWS);
    let got: Vec<(&str, &str, Vec<&str>)> = v
        .iter()
        .map(|v| {
            (
                v.name.as_str(),
                v.serializer.as_str(),
                v.loaded.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "OrderViewSet",
                "OrderSerializer",
                vec!["customer", "items", "payments"]
            ),
            ("InvoiceList", "InvoiceSerializer", vec![]),
            ("TagViewSet", "TagSerializer", vec!["group"]),
        ]
    );
    // the line of `serializer_class`
    assert_eq!(v[0].line, 9);
    assert_eq!(v[1].line, 13);
}

#[test]
fn querysets_that_name_relations_the_text_does_not_show() {
    assert_eq!(loaded("X.objects.all()"), Some(vec![]));
    assert_eq!(
        loaded(r#"X.objects.select_related("a", 'b__c')"#),
        Some(vec!["a".to_string(), "b".to_string()])
    );
    assert_eq!(loaded("X.objects.prefetch_related(*NAMES)"), None);
    assert_eq!(loaded("X.objects.select_related(name)"), None);
    assert_eq!(loaded("X.objects.select_related()"), None);
    assert_eq!(
        loaded(r#"X.objects.prefetch_related(Prefetch(lookup="tags", queryset=T.objects.all()))"#),
        Some(vec!["tags".to_string()])
    );
}

#[test]
fn the_relation_a_field_reads() {
    assert_eq!(
        relation_of("customer = CustomerSerializer(read_only=True)"),
        Some("customer".into())
    );
    assert_eq!(
        relation_of(r#"country = serializers.CharField(source="customer.country.name")"#),
        Some("customer".into())
    );
    assert_eq!(
        relation_of(r#"videos = VideoSerializer(source='exercisevideo_set', many=True)"#),
        Some("exercisevideo_set".into())
    );
    // a method of the row: what it reads is not the field's to say, named by its source or by
    // the field itself
    assert_eq!(
        relation_of(r#"stats = StatsSerializer(source="get_signup_stats")"#),
        None
    );
    assert_eq!(relation_of("get_stats = StatsSerializer()"), None);
    assert_eq!(
        relation_of(r#"name = serializers.CharField(source="owner.get_full_name")"#),
        Some("owner".into())
    );
}

#[test]
fn a_finding_moved_to_a_later_field_starts_and_ends_there() {
    let code = r#"from rest_framework import serializers, viewsets


class ShiftSerializer(serializers.ModelSerializer):
    signup_stats = SignupStatsSerializer(source="get_signup_stats")
    event_title = serializers.CharField(source="event.title")


class ShiftViewSet(viewsets.ModelViewSet):
    queryset = Shift.objects.all()
    serializer_class = ShiftSerializer
"#;
    let found = crate::tests::builtin_findings(RULE, crate::lang::Language::Python, code);
    assert_eq!(found.len(), 1, "{found:?}");
    let f = &found[0];
    assert_eq!((f.line, f.end_line), (6, 6), "{f:?}");
    assert!(f.end_column > f.column, "{f:?}");
    assert!(f.snippet.starts_with("event_title"), "{f:?}");
    assert!(f.message.contains("`event`"), "{}", f.message);
    assert!(f.statements.is_empty(), "{f:?}");
}

#[test]
fn bases_are_drf_s_only_when_imported_from_it() {
    let drf = "from rest_framework import generics, viewsets\nfrom rest_framework.mixins import (\n    ListModelMixin,\n)\n";
    assert!(from_drf("generics.ListAPIView", drf));
    assert!(from_drf("viewsets.ModelViewSet", drf));
    assert!(from_drf("ListModelMixin", drf));
    assert!(from_drf("rest_framework.generics.ListAPIView", ""));
    let own = "from mayan.apps.rest_api import generics\n";
    assert!(!from_drf("generics.ListCreateAPIView", own));
    assert!(!from_drf("ListModelMixin", own));
}

#[test]
fn how_many_rows_a_list_view_lists() {
    let declared = |qs: &str| rows_returned(qs, None).0;
    let returned = |declared: &str, m: &str| rows_returned(declared, Some(m)).0;
    assert_eq!(declared("Order.objects.all()"), LoopSize::Data);
    // another manager of the model, when Django's own methods follow it
    assert_eq!(
        rows_returned("Member.all_objects.all()", None),
        (LoopSize::Data, Some("Member".into()))
    );
    assert_eq!(declared("Order.active.filter(paid=True)"), LoopSize::Data);
    // a class's own method, or an attribute with no queryset method after it
    assert_eq!(declared("Order.for_shop(shop)"), LoopSize::Unknown);
    assert_eq!(declared("Order.registry.build(shop)"), LoopSize::Unknown);
    assert_eq!(declared("Order.registry.none()"), LoopSize::Unknown);
    assert_eq!(
        rows_returned("models.Order.objects.all()", None)
            .1
            .as_deref(),
        Some("Order")
    );
    assert_eq!(
        returned(
            "",
            "    def get_queryset(self):\n        return Invoice.objects.filter(event__organizer=self.request.organizer)\n"
        ),
        LoopSize::Data
    );
    assert_eq!(
        returned(
            "",
            "    def get_queryset(self):\n        return Screenshot.objects.filter_access(self.request.user).order_by('id')\n"
        ),
        LoopSize::Data
    );
    // the children of one object
    assert_eq!(
        returned(
            "",
            "    def get_queryset(self):\n        return self.request.event.badge_layouts.all()\n"
        ),
        LoopSize::Unknown
    );
    assert_eq!(
        returned("", "    def get_queryset(self):\n        return Integration.objects.filter(project=self.project)\n"),
        LoopSize::Unknown
    );
    // a helper; a custom method named for loading relations; a declared queryset that is not a
    // model's manager, refined by super()
    assert_eq!(
        returned("", "    def get_queryset(self):\n        qs = _position_queryset([self.checkinlist])\n        return qs\n"),
        LoopSize::Unknown
    );
    assert_eq!(
        declared("Language.objects.order_by('id').prefetch()"),
        LoopSize::Unknown
    );
    assert_eq!(
        returned(
            "CablePath.interface_connections()",
            "    def get_queryset(self):\n        ifaces = Interface.objects.restrict(self.request.user)\n        return super().get_queryset().filter(origin_id__in=ifaces)\n"
        ),
        LoopSize::Unknown
    );
    // a subquery or a Prefetch's queryset is not what is listed
    assert_eq!(
        returned(
            "",
            "    def get_queryset(self):\n        s = GiftCard.objects.filter(x=1)\n        return self.request.organizer.media.prefetch_related(Prefetch('p', queryset=P.objects.all()))\n"
        ),
        LoopSize::Unknown
    );
    // a variable assigned a table's rows, refined, then returned; one branch is enough
    assert_eq!(
        returned(
            "",
            "    def get_queryset(self):\n        qs = Exercise.objects.all()\n        if c:\n            qs = qs.filter(category=c)\n        return qs\n"
        ),
        LoopSize::Data
    );
    assert_eq!(
        returned(
            "",
            "    def get_queryset(self):\n        if a:\n            return Cal.objects.filter(domain=self.request.domain)\n        return Cal.objects.filter(domain__in=ds)\n"
        ),
        LoopSize::Data
    );
}

#[test]
fn where_a_view_s_serializer_is_defined() {
    let text = "from ..serializers.organizer import DeviceSerializer\nfrom . import serializers\nfrom shop.api.serializers import (\n    OrderSerializer as OS,\n)\n";
    let file = "pretix/api/views/organizer.py";
    assert_eq!(
        module_of("DeviceSerializer", file, text).as_deref(),
        Some("pretix/api/serializers/organizer")
    );
    assert_eq!(
        module_of("serializers.ItemSerializer", file, text).as_deref(),
        Some("pretix/api/views/serializers")
    );
    assert_eq!(
        module_of("OS", file, text).as_deref(),
        Some("shop/api/serializers")
    );
    // not imported: the view's own file
    assert_eq!(
        module_of("LocalSerializer", file, text).as_deref(),
        Some("pretix/api/views/organizer")
    );
    // a star import may bring it: not placed
    assert_eq!(module_of("X", file, "from .serializers import *\n"), None);
    assert!(defined_in(
        "pretix/api/serializers/organizer.py",
        "pretix/api/serializers/organizer"
    ));
    assert!(defined_in(
        "src/shop/api/serializers/__init__.py",
        "shop/api/serializers"
    ));
    assert!(defined_in("api/serializers.py", "shop/api/serializers"));
    assert!(!defined_in(
        "pretix/api/views/device.py",
        "pretix/api/serializers/organizer"
    ));
}

#[test]
fn a_placeholder_none_queryset_lists_nothing() {
    let m = "    def get_queryset(self):\n        if not self.event:\n            return self.queryset\n        return self.event.schedules.all()\n";
    assert_eq!(
        rows_returned("Schedule.objects.none()", Some(m)).0,
        LoopSize::Unknown
    );
}

#[test]
fn a_long_statement_is_cut_on_a_character_boundary() {
    let text = format!("x = S(help_text=\"{}\")\n", "表".repeat(1000));
    let s = statement_on_line(&text, 1).unwrap();
    assert!(s.len() <= 2000 && s.starts_with("x = S("));
}

#[test]
fn brackets_and_quotes_inside_strings_and_comments_are_text() {
    let body = "a = S(help_text=\"(open\", source='b.c')  # (\nnext = 1\n";
    assert_eq!(
        statement_at(body, 0),
        "a = S(help_text=\"(open\", source='b.c')  # ("
    );
    assert_eq!(relation_of(statement_at(body, 0)), Some("b".into()));
}

#[test]
fn views_read_as_their_authors_write_them() {
    // self.queryset refined in get_queryset keeps the declared select_related; a trailing comma
    // and a comment in the bases; a tab-indented class; Windows line ends
    let text = "from rest_framework import mixins, viewsets\r\n\r\n\r\nclass A(\r\n    mixins.ListModelMixin,  # list\r\n    viewsets.GenericViewSet,\r\n):\r\n    queryset = Order.objects.select_related(\"customer\")\r\n    serializer_class = OrderSerializer\r\n\r\n    def get_queryset(self):\r\n        return self.queryset.filter(shop=self.request.shop)\r\n\r\n\r\nclass B(viewsets.ReadOnlyModelViewSet):\r\n\tserializer_class = ItemSerializer\r\n\r\n\tdef get_queryset(self):\r\n\t\treturn Item.objects.all()\r\n\r\n\tdef other(self):\r\n\t\treturn Item.objects.select_related(\"shop\")\r\n";
    let v = list_views("api.py", text);
    let got: Vec<(&str, Vec<&str>)> = v
        .iter()
        .map(|v| {
            (
                v.name.as_str(),
                v.loaded.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(got, [("A", vec!["customer"]), ("B", vec![])]);
    assert_eq!(v[0].size, LoopSize::Data);
}

#[test]
fn views_on_an_application_s_own_bases_say_nothing() {
    // the declared queryset, or super()'s: the base class may load relations of its own
    let text = "from mayan.apps.rest_api import generics\n\n\nclass V(generics.ListAPIView):\n    serializer_class = S\n    queryset = Document.objects.all()\n\n\nclass W(generics.ListAPIView):\n    serializer_class = S\n    queryset = Document.objects.all()\n\n    def get_queryset(self):\n        return super().get_queryset().filter(a=1)\n";
    assert!(list_views("api.py", text).is_empty());
    // a get_queryset of the view's own builds what is listed, whatever its bases
    let text = "from app.mixins import Throttle\nfrom rest_framework import viewsets\n\n\nclass V(Throttle, viewsets.ModelViewSet):\n    serializer_class = S\n\n    def get_queryset(self):\n        return Document.objects.all()\n";
    assert_eq!(list_views("api.py", text).len(), 1);
    // nor do views that list in code of their own
    let text = "from rest_framework import viewsets\n\n\nclass V(viewsets.ModelViewSet):\n    queryset = D.objects.all()\n    serializer_class = S\n\n    def list(self, request):\n        return Response([])\n";
    assert!(list_views("api.py", text).is_empty());
}

#[test]
fn the_last_import_of_a_name_binds_it() {
    let text = "from .old import S\nfrom .serializers import (\n    A,  # first\n    S,\n)\n";
    assert_eq!(
        module_of("S", "app/views.py", text).as_deref(),
        Some("app/serializers")
    );
}

#[test]
fn a_kept_finding_names_the_view_and_only_the_relations_left_to_the_rows() {
    let code = "from rest_framework import serializers, viewsets\n\n\nclass OrderSerializer(serializers.ModelSerializer):\n    customer = CustomerSerializer(read_only=True)\n    items = ItemSerializer(many=True)\n    country = serializers.CharField(\n        source=\"customer.country.name\",\n    )\n\n\nclass OrderViewSet(viewsets.ModelViewSet):\n    queryset = Order.objects.prefetch_related(\"items\")\n    serializer_class = OrderSerializer\n";
    let rules: Vec<_> = crate::builtin_rules()
        .into_iter()
        .filter(|r| r.id == RULE)
        .collect();
    let (f, _) = crate::scan_text(&rules, crate::lang::Language::Python, "api.py", code);
    assert_eq!(f.len(), 1, "{f:?}");
    let f = &f[0];
    // the first field left to the rows; `items` is prefetched
    assert_eq!(f.line, 5);
    assert!(
        f.message.contains("`OrderViewSet` (api.py:14)"),
        "{}",
        f.message
    );
    assert!(f.message.contains("`customer`") && !f.message.contains("`items`"));
    let lines: Vec<u32> = f.statements.iter().map(|s| s.line).collect();
    assert_eq!(lines, [5, 7]);
    assert_eq!(
        f.context.as_ref().and_then(|c| c.size),
        Some(LoopSize::Data)
    );
    assert_eq!(
        f.context.as_ref().and_then(|c| c.size_name.as_deref()),
        Some("Order")
    );
}

#[test]
fn a_byte_order_mark_does_not_hide_the_first_import() {
    let code = "\u{feff}from rest_framework import viewsets\nfrom .serializers import OrderSerializer\n\n\nclass OrderViewSet(viewsets.ModelViewSet):\n    queryset = Order.objects.all()\n    serializer_class = OrderSerializer\n";
    let v = list_views("shop/api.py", code);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        (
            v[0].serializer.as_str(),
            v[0].serializer_module.as_str(),
            v[0].line
        ),
        ("OrderSerializer", "shop/serializers", 7)
    );
}
