//! Log lines gathered in memory and written by a thread of their own, a batch at a time.
//!
//! A request appends its formatted line to a buffer and goes on; the writer thread takes
//! whatever has gathered every [`GATHER`] and writes it with one `write`. While lines keep
//! coming the writer wakes on its own clock, so no request ever has to wake it: with a
//! wake-up per line (a channel's receiver waiting for each line) the writer thread and the
//! wake-ups were a tenth of the bridge's CPU per Keycloak login (docs/benchmarks.md). When a
//! gathering period brings no line, the writer sleeps until the next line wakes it, so an
//! idle bridge uses no CPU.
//!
//! Nothing is dropped and memory stays bounded: a quarter of [`MAX_PENDING`] wakes the writer
//! early, and when all of it is waiting (the destination not keeping up), the request that
//! finds the buffer full writes it out itself,
//! which makes requests wait rather than lose an audit line. Lines keep their order: a batch
//! is taken from the buffer and written under one lock. The [`LogGuard`] writes what is left
//! when it is dropped, at the end of `serve`.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;
use tracing_subscriber::fmt::MakeWriter;

/// How long the writer lets lines gather before writing them: short enough for anyone
/// following the log, long enough that a busy second needs ten writes, not thousands.
pub const GATHER: Duration = Duration::from_millis(100);

/// Bytes waiting at most before a request writes them itself (about 3 000 JSON lines).
pub const MAX_PENDING: usize = 1024 * 1024;

/// Bytes after which the writer is woken before its clock, so that under heavy load the
/// writer, not a request, writes them out.
const HURRY: usize = MAX_PENDING / 4;

/// A batch buffer that grew beyond this during a burst is given back afterwards.
const KEEP_CAPACITY: usize = 64 * 1024;

struct Pending {
    lines: Vec<u8>,
    /// The writer waits for a line (rather than for its clock): the next line must wake it.
    writer_waiting: bool,
    /// The writer has been woken early for the lines gathered so far.
    hurried: bool,
    closed: bool,
}

struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
    /// Held while a batch is taken and written, so that batches come out in order.
    output: Mutex<Box<dyn Write + Send>>,
}

impl Shared {
    fn pending(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes every line gathered so far; `spare` is the buffer swapped in for them. Returns
    /// whether there was any.
    fn write_out(&self, spare: &mut Vec<u8>) -> bool {
        let mut output = self.output.lock().unwrap_or_else(PoisonError::into_inner);
        {
            let mut pending = self.pending();
            std::mem::swap(&mut pending.lines, spare);
            pending.hurried = false;
        }
        if spare.is_empty() {
            return false;
        }
        // A log destination that fails (a closed pipe) has no one to tell; the lines are gone
        // either way, and requests must go on.
        let _ = output.write_all(spare).and_then(|()| output.flush());
        spare.clear();
        if spare.capacity() > KEEP_CAPACITY {
            spare.shrink_to(KEEP_CAPACITY);
        }
        true
    }
}

/// The `MakeWriter` handed to the subscriber.
#[derive(Clone)]
pub struct Batched {
    shared: Arc<Shared>,
}

/// Keeps the writer thread; dropping it writes the lines still waiting.
pub struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// Starts the writer thread over `output`.
pub fn batched(output: impl Write + Send + 'static) -> (Batched, LogGuard) {
    let shared = Arc::new(Shared {
        pending: Mutex::new(Pending {
            lines: Vec::new(),
            writer_waiting: false,
            hurried: false,
            closed: false,
        }),
        wake: Condvar::new(),
        output: Mutex::new(Box::new(output)),
    });
    let writer = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name("log-writer".into())
        .spawn(move || run(&writer))
        .ok();
    if thread.is_none() {
        // Without its thread every line is written by the request that logs it.
        shared.pending().closed = true;
    }
    (
        Batched {
            shared: Arc::clone(&shared),
        },
        LogGuard { shared, thread },
    )
}

fn run(shared: &Shared) {
    let mut spare = Vec::new();
    loop {
        // The clock, cut short only by shutdown or by a large batch waiting.
        let closed = {
            let pending = shared.pending();
            let pending = if pending.closed {
                pending
            } else {
                shared
                    .wake
                    .wait_timeout(pending, GATHER)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            };
            pending.closed
        };
        let wrote = shared.write_out(&mut spare);
        if closed {
            return;
        }
        if wrote {
            continue;
        }
        // A quiet period: wait for the next line instead of the clock.
        let mut pending = shared.pending();
        while pending.lines.is_empty() && !pending.closed {
            pending.writer_waiting = true;
            pending = shared
                .wake
                .wait(pending)
                .unwrap_or_else(PoisonError::into_inner);
        }
        pending.writer_waiting = false;
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.shared.pending().closed = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.shared.write_out(&mut Vec::new());
    }
}

/// One line on its way; the subscriber writes each event with one `write_all`.
pub struct Line<'a> {
    shared: &'a Shared,
}

impl<'a> MakeWriter<'a> for Batched {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        Line {
            shared: &self.shared,
        }
    }
}

impl Write for Line<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut pending = self.shared.pending();
        pending.lines.extend_from_slice(buf);
        if pending.closed || pending.lines.len() >= MAX_PENDING {
            // No writer thread any more (shutting down), or the destination is behind.
            drop(pending);
            self.shared.write_out(&mut Vec::new());
        } else if pending.writer_waiting || (pending.lines.len() >= HURRY && !pending.hurried) {
            pending.writer_waiting = false;
            pending.hurried = true;
            drop(pending);
            self.shared.wake.notify_one();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[derive(Clone, Default)]
    struct Sink {
        bytes: Arc<Mutex<Vec<u8>>>,
        writes: Arc<Mutex<usize>>,
    }

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.bytes.lock().unwrap().extend_from_slice(buf);
            *self.writes.lock().unwrap() += 1;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn line(w: &Batched, text: &str) {
        w.make_writer().write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn lines_from_many_threads_arrive_whole_in_order_and_all_at_shutdown() {
        let sink = Sink::default();
        let (w, guard) = batched(sink.clone());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let w = w.clone();
                std::thread::spawn(move || {
                    for i in 0..5000 {
                        line(&w, &format!("thread {t} line {i}\n"));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        drop(guard);
        let text = String::from_utf8(sink.bytes.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 20_000);
        for t in 0..4 {
            let mine: Vec<_> = text
                .lines()
                .filter(|l| l.starts_with(&format!("thread {t} ")))
                .collect();
            let expected: Vec<_> = (0..5000).map(|i| format!("thread {t} line {i}")).collect();
            assert_eq!(mine, expected, "thread {t}'s lines in order");
        }
        // Gathered, not written one by one.
        assert!(*sink.writes.lock().unwrap() < 2000);
    }

    #[test]
    fn a_line_after_a_quiet_period_wakes_the_writer_and_arrives_soon() {
        let sink = Sink::default();
        let (w, _guard) = batched(sink.clone());
        std::thread::sleep(GATHER * 3);
        let start = Instant::now();
        line(&w, "after the quiet\n");
        while sink.bytes.lock().unwrap().is_empty() {
            assert!(start.elapsed() < GATHER * 20, "the line was not written");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_large_batch_wakes_the_writer_before_its_clock() {
        let sink = Sink::default();
        let (w, _guard) = batched(sink.clone());
        let line_of = "y".repeat(1023) + "\n";
        while sink.bytes.lock().unwrap().is_empty() {
            line(&w, &line_of);
            std::thread::sleep(Duration::from_micros(50));
        }
        // About 1 000 lines arrive per clock period here: without the early wake-up a
        // request would have written a full buffer first.
        let written = sink.bytes.lock().unwrap().len();
        assert!(
            written < MAX_PENDING,
            "the writer, not a request, wrote them"
        );
    }

    #[test]
    fn a_full_buffer_is_written_by_the_request_and_lines_logged_after_shutdown_still_arrive() {
        let sink = Sink::default();
        let (w, guard) = batched(sink.clone());
        let big = "x".repeat(MAX_PENDING);
        line(&w, &big);
        assert_eq!(
            sink.bytes.lock().unwrap().len(),
            MAX_PENDING,
            "written at once"
        );
        drop(guard);
        line(&w, "late\n");
        assert!(sink.bytes.lock().unwrap().ends_with(b"late\n"));
    }
}
