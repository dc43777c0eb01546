//! `ExportConfig::from_env` reads the real process environment. Its own test binary with one
//! test: setting variables while other threads may read the environment would be a data race.

use perfhive_demo::otel::{ExportConfig, Protocol, Sampler};

#[test]
fn from_env_reads_the_standard_variables() {
    for (k, v) in [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        ("OTEL_SERVICE_NAME", "env-svc"),
        ("OTEL_RESOURCE_ATTRIBUTES", "team=perf"),
        ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
        ("OTEL_TRACES_SAMPLER_ARG", "0.5"),
    ] {
        std::env::set_var(k, v);
    }
    let config = ExportConfig::from_env().expect("an endpoint is set");
    assert_eq!(config.endpoint, "http://127.0.0.1:4318/v1/traces");
    assert_eq!(config.protocol, Protocol::HttpJson);
    assert_eq!(config.service_name, "env-svc");
    assert_eq!(
        config.resource_attributes,
        vec![("team".to_string(), "perf".to_string())]
    );
    assert_eq!(config.sampler, Sampler::ParentBasedTraceIdRatio(0.5));

    std::env::set_var("OTEL_TRACES_EXPORTER", "none");
    assert_eq!(ExportConfig::from_env(), None);
    std::env::remove_var("OTEL_TRACES_EXPORTER");
    std::env::set_var("OTEL_SDK_DISABLED", "true");
    assert_eq!(ExportConfig::from_env(), None);
    std::env::remove_var("OTEL_SDK_DISABLED");
    std::env::remove_var("OTEL_EXPORTER_OTLP_ENDPOINT");
    assert_eq!(ExportConfig::from_env(), None, "no endpoint, no exporter");
}
