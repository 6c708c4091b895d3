//! Each faulty plugin is stopped with an error naming client, plugin and version, and the
//! host keeps serving.

mod common;

use std::sync::{Arc, Mutex};

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

/// What the host logs while `f` runs on this thread, as the `fmt` subscriber writes it.
fn host_log<R>(f: impl FnOnce() -> R) -> (R, String) {
    #[derive(Clone)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("log buffer").extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer(Arc::new(Mutex::new(Vec::new())));
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let out = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8_lossy(&buffer.0.lock().expect("log buffer")).into_owned();
    (out, text)
}

#[test]
fn a_log_flood_is_cut_at_its_budget_with_one_summary_line_and_the_call_still_returns() {
    let rt = runtime();
    let plugin = load(&rt, "acme", &guest("log-flood"));
    let limits = PluginLimits {
        max_trace_bytes: 4 << 10,
        ..PluginLimits::default()
    };
    let (ctx, rows) = stock(2_000);
    let (called, log) = host_log(|| plugin.compute_ats(&context("acme"), &limits, &ctx, &rows));
    let called = called.expect("a log flood does not fail the call");
    assert_eq!(called.output.ats.len(), 2_000);

    let report = &called.report;
    let kept = report.trace.len();
    assert!(kept > 0 && report.trace_dropped > 0, "{kept} kept");
    assert_eq!(kept + report.trace_dropped, 2_000, "one line per row");
    let host_lines = log.lines().filter(|l| l.contains("flood: row checked"));
    assert_eq!(
        host_lines.count(),
        kept,
        "the trace is what the host logged"
    );
    let kept_text: usize = report
        .trace
        .iter()
        .map(|t| {
            t.message.len()
                + t.fields
                    .iter()
                    .map(|(k, v)| k.len() + v.len())
                    .sum::<usize>()
        })
        .sum();
    assert!(kept_text <= 4 << 10, "{kept_text} bytes logged");

    let summaries: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("bytes of plugin log dropped"))
        .collect();
    assert_eq!(summaries.len(), 1, "{log}");
    // The count is the text of every line from the first one dropped, as the plugin sent it.
    let sent = |i: usize| {
        "flood: row checked".len()
            + "row".len()
            + i.to_string().len()
            + "on_hand".len()
            + rows.on_hand[i].to_string().len()
    };
    let dropped: usize = (kept..2_000).map(sent).sum();
    assert!(
        summaries[0].contains(&format!(" {dropped} bytes of plugin log dropped")),
        "want {dropped}: {}",
        summaries[0]
    );
}

#[test]
fn a_plugin_log_message_with_line_breaks_cannot_start_a_host_log_line() {
    let rt = runtime();
    let plugin = load(&rt, "acme", &guest("log-flood"));
    let (called, log) = host_log(|| {
        plugin.map_orders(
            &context("acme"),
            &PluginLimits::default(),
            &[order("1", "Express")],
        )
    });
    called.expect("call");
    let forged: Vec<&str> = log.lines().filter(|l| l.contains("FORGED")).collect();
    assert_eq!(forged.len(), 1, "{log}");
    let line = forged[0];
    assert!(
        line.contains("WARN") && line.contains("plugin log") && line.contains("client=acme"),
        "{line}"
    );
    // The message is a field of the host's event, its line break written as `\n`.
    assert!(
        line.contains(r"plugin_message=order checked\nFORGED-LINE"),
        "{line}"
    );
    assert!(line.contains("FORGED-FIELD"), "{line}");
}
