//! `ExportConfig::from_env` reads the real process environment. Its own test binary with one
//! test: setting variables while other threads may read the environment would be a data race.

use perfhive_demo::otel::ExportConfig;

#[test]
fn from_env_reads_the_standard_variables() {
    for (k, v) in [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ("OTEL_SERVICE_NAME", "env-svc"),
    ] {
        std::env::set_var(k, v);
    }
    // the endpoint itself is the SDK's to read
    assert_eq!(ExportConfig::from_env(), Some(ExportConfig::default()));

    std::env::set_var("OTEL_TRACES_EXPORTER", "none");
    assert_eq!(ExportConfig::from_env(), None);
    std::env::remove_var("OTEL_TRACES_EXPORTER");
    std::env::set_var("OTEL_SDK_DISABLED", "true");
    assert_eq!(ExportConfig::from_env(), None);
    std::env::remove_var("OTEL_SDK_DISABLED");
    std::env::remove_var("OTEL_EXPORTER_OTLP_ENDPOINT");
    assert_eq!(ExportConfig::from_env(), None, "no endpoint, no exporter");
    std::env::set_var(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "http://127.0.0.1:4318/v1/traces",
    );
    assert_eq!(ExportConfig::from_env(), Some(ExportConfig::default()));
}
