//! Tests of the reading of DRF list views and of the relations their querysets load.
use super::*;

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
