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
