//! Each faulty plugin is stopped with an error naming client, plugin and version, and the
//! host keeps serving.

mod common;

use common::*;
use selvedge_runtime::{PluginErrorKind, PluginLimits};

#[test]
fn infinite_loop_is_stopped_by_the_cpu_time_limit() {
    let rt = runtime();
    let plugin = load(&rt, "acme", &guest("infinite-loop"));
    let limits = PluginLimits {
        timeout_ms: 100,
        fuel: 0,
        ..PluginLimits::default()
    };
    let (ctx, rows) = stock(10);
    let err = plugin
        .compute_ats(&context("acme"), &limits, &ctx, &rows)
        .unwrap_err();
    assert_eq!(err.kind, PluginErrorKind::Timeout { limit_ms: 100 });
    let text = err.to_string();
    assert!(
        text.contains("acme")
            && text.contains("guest_infinite_loop")
            && text.contains(plugin.short_version()),
        "{text}"
    );
}

#[test]
fn infinite_loop_is_stopped_by_the_fuel_limit() {
    let rt = runtime();
    let plugin = load(&rt, "acme", &guest("infinite-loop"));
    let limits = PluginLimits {
        timeout_ms: 60_000,
        fuel: 2_000_000,
        ..PluginLimits::default()
    };
    let err = plugin
        .map_orders(&context("acme"), &limits, &[order("1", "Express")])
        .unwrap_err();
    assert_eq!(
        err.kind,
        PluginErrorKind::FuelExhausted { limit: 2_000_000 }
    );
}

#[test]
fn memory_bomb_is_stopped_by_the_memory_limit() {
    let rt = runtime();
    let plugin = load(&rt, "acme", &guest("memory-bomb"));
    let limits = PluginLimits {
        max_memory_bytes: 32 << 20,
        ..PluginLimits::default()
    };
    let (ctx, rows) = stock(10);
    let err = plugin
        .compute_ats(&context("acme"), &limits, &ctx, &rows)
        .unwrap_err();
    assert_eq!(
        err.kind,
        PluginErrorKind::MemoryLimit {
            limit_bytes: 32 << 20
        }
    );
}

#[test]
fn trap_is_reported_and_the_next_call_runs_on_a_fresh_instance() {
    let rt = runtime();
    let plugin = load(&rt, "acme", &guest("trap"));
    let limits = PluginLimits::default();
    let err = plugin
        .map_orders(&context("acme"), &limits, &[order("1", "Express")])
        .unwrap_err();
    assert!(matches!(err.kind, PluginErrorKind::Trap(_)), "{err}");
    let (ctx, rows) = stock(5);
    let ok = plugin
        .compute_ats(&context("acme"), &limits, &ctx, &rows)
        .expect("fresh instance works");
    assert_eq!(ok.output.ats.len(), 5);
}

#[test]
fn oversized_output_is_rejected() {
    let rt = runtime();
    let plugin = load(&rt, "acme", &guest("oversized-output"));
    let limits = PluginLimits {
        max_output_bytes: 1 << 20,
        ..PluginLimits::default()
    };
    let err = plugin
        .map_orders(&context("acme"), &limits, &[order("1", "Express")])
        .unwrap_err();
    match err.kind {
        PluginErrorKind::OutputTooLarge {
            size_bytes,
            limit_bytes,
        } => {
            assert_eq!(limit_bytes, 1 << 20);
            assert!(size_bytes > 8 << 20, "{size_bytes}");
        }
        other => panic!("expected OutputTooLarge, got {other}"),
    }
}

#[test]
fn malformed_output_is_rejected_for_columns_and_decisions() {
    let rt = runtime();
    let plugin = load(&rt, "acme", &guest("malformed-output"));
    let limits = PluginLimits::default();
    let (ctx, rows) = stock(4);
    let err = plugin
        .compute_ats(&context("acme"), &limits, &ctx, &rows)
        .unwrap_err();
    assert!(
        matches!(&err.kind, PluginErrorKind::Malformed(m) if m.contains("3 rows for 4")),
        "{err}"
    );
    let err = plugin
        .map_orders(
            &context("acme"),
            &limits,
            &[order("1", "Express"), order("2", "Express")],
        )
        .unwrap_err();
    assert!(
        matches!(&err.kind, PluginErrorKind::Malformed(m) if m.contains("1 decisions for 2")),
        "{err}"
    );
}

#[test]
fn wrong_world_is_refused_at_load() {
    let rt = runtime();
    let err = rt
        .load_file("acme", &guest("wrong-world"), None)
        .unwrap_err();
    assert!(
        matches!(err.kind, PluginErrorKind::WrongWorld { .. }),
        "{err}"
    );
    assert_eq!(err.client, "acme");
    assert_eq!(err.plugin, "guest_wrong_world");
    assert_eq!(err.version.len(), 12);
}

#[test]
fn bytes_that_are_not_a_component_are_refused() {
    let rt = runtime();
    let err = rt
        .load_bytes("acme", "junk", b"\0asm not really", None)
        .unwrap_err();
    assert!(matches!(err.kind, PluginErrorKind::Compile(_)), "{err}");
}

#[test]
fn a_faulty_client_does_not_stop_other_clients() {
    let rt = runtime();
    let bomb = load(&rt, "bad-client", &guest("infinite-loop"));
    let good = load(
        &rt,
        "good-client",
        &selvedge_plugin_artifacts::b2c_apparel(),
    );
    let (ctx, rows) = stock(1000);
    let spin_limits = PluginLimits {
        timeout_ms: 1_500,
        fuel: 0,
        ..PluginLimits::default()
    };
    std::thread::scope(|s| {
        let stuck = s.spawn(|| bomb.compute_ats(&context("bad-client"), &spin_limits, &ctx, &rows));
        for _ in 0..20 {
            let ok = good
                .compute_ats(
                    &context("good-client"),
                    &PluginLimits::default(),
                    &ctx,
                    &rows,
                )
                .expect("good client keeps working");
            assert_eq!(ok.output.ats.len(), 1000);
        }
        let err = stuck.join().expect("thread").unwrap_err();
        assert!(matches!(err.kind, PluginErrorKind::Timeout { .. }));
    });
}
