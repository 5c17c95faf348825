//! The load progress bar on stderr: bytes and layers done, shown only on a
//! terminal and only once a load has taken more than a moment.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ballast::archive::LoadProgress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Loads shorter than this never show a bar.
const SHOW_AFTER: Duration = Duration::from_millis(400);
const TICK: Duration = Duration::from_millis(100);

pub struct Display {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Display {
    /// Starts polling `progress` if stderr is a terminal.
    pub fn start(progress: &Arc<LoadProgress>, enabled: bool) -> Display {
        let done = Arc::new(AtomicBool::new(false));
        let thread = (enabled && std::io::stderr().is_terminal()).then(|| {
            let progress = Arc::clone(progress);
            let done = Arc::clone(&done);
            std::thread::spawn(move || draw_until_done(&progress, &done))
        });
        Display { done, thread }
    }

    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        self.stop();
    }
}

fn draw_until_done(p: &LoadProgress, done: &AtomicBool) {
    let start = Instant::now();
    let mut bar: Option<ProgressBar> = None;
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(TICK);
        if start.elapsed() < SHOW_AFTER {
            continue;
        }
        let total = p.bytes_total.load(Ordering::Relaxed);
        let b = bar.get_or_insert_with(|| {
            let b = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let template = if total > 0 {
                "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}"
            } else {
                "{spinner} {msg} {bytes} read, {bytes_per_sec}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                b.set_style(style.progress_chars("=> "));
            }
            b
        });
        if total > 0 {
            b.set_length(total);
        }
        b.set_position(p.bytes_done.load(Ordering::Relaxed));
        let layers_total = p.layers_total.load(Ordering::Relaxed);
        let layers_done = p.layers_done.load(Ordering::Relaxed);
        if layers_total > 0 {
            b.set_message(format!("layers {layers_done}/{layers_total}"));
        } else {
            b.set_message(format!("layers {layers_done}"));
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
}
