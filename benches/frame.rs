//! Frame time of the console: every tab drawn from already-prepared state into a
//! ratatui TestBackend at 120x40 and 240x70, median and p99 over many frames. The
//! draw path must do no store reads, parsing or band computation: those happen when
//! data changes. A frame budget of 2 ms keeps drawing at 5 frames a second under 1%
//! of a core.
//!
//! `cargo bench --bench frame` (`-- --frames N`, default 400).

use perfgate::tui::app::Tab;
use perfgate::tui::sample::sample_app;
use perfgate::tui::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let frames: usize = args
        .iter()
        .position(|a| a == "--frames")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    println!(
        "console frame time over {frames} frames (TestBackend; median, p99, max in microseconds)"
    );
    let mut worst_median = 0.0f64;
    for (w, h) in [(120u16, 40u16), (240, 70)] {
        for tab in Tab::ALL {
            let mut app = sample_app();
            app.tab = tab;
            let mut term = Terminal::new(TestBackend::new(w, h)).expect("a test terminal");
            // Warm up allocations and the buffers.
            for _ in 0..10 {
                term.draw(|f| ui::draw(f, &app)).expect("drawn");
            }
            let mut us: Vec<f64> = (0..frames)
                .map(|k| {
                    // The live numbers move every frame, as they do during a run.
                    if let Some(s) = app.live.scenarios.first_mut() {
                        s.elapsed_s = k as f64 * 0.2;
                        s.requests += 97;
                    }
                    let t = Instant::now();
                    term.draw(|f| ui::draw(f, &app)).expect("drawn");
                    t.elapsed().as_secs_f64() * 1e6
                })
                .collect();
            us.sort_by(f64::total_cmp);
            let at = |q: f64| us[((us.len() - 1) as f64 * q).round() as usize];
            let median = at(0.5);
            worst_median = worst_median.max(median);
            println!(
                "{w}x{h} {:<10} median {:>7.0}  p99 {:>7.0}  max {:>7.0}",
                tab.title(),
                median,
                at(0.99),
                at(1.0)
            );
        }
    }
    println!(
        "worst median frame {:.2} ms (budget 2 ms): {}",
        worst_median / 1000.0,
        if worst_median < 2000.0 {
            "within budget"
        } else {
            "OVER BUDGET"
        }
    );
}
