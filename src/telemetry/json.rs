//! JSON log lines, one object per line, in the shape tracing-subscriber's JSON format writes
//! (`timestamp`, `level`, the event's fields with `message` among them, `target`, and the
//! request `span` with its fields and `name`).
//!
//! Written here rather than with tracing-subscriber's `json()`: that format stores a span's
//! fields as JSON text and parses it back into a value for every line, and builds each line
//! through `serde_json` values; with the audit line of every login start this was 22 % of the
//! instructions per `GET /room` (docs/benchmarks.md). Here span fields are kept as a ready JSON
//! fragment and copied into each line as they are.

use std::fmt::{self, Write};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The event format.
pub struct JsonLines;

/// The span field format: `"key":value` pairs, comma-separated, without braces.
pub struct JsonFragment;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        write!(
            writer,
            "{{\"timestamp\":\"{now}\",\"level\":\"{}\"",
            meta.level()
        )?;
        let mut fields = Pairs::new(&mut writer, false);
        event.record(&mut fields);
        fields.result?;
        writer.write_str(",\"target\":")?;
        string(&mut writer, meta.target())?;
        if let Some(span) = ctx.lookup_current() {
            writer.write_str(",\"span\":{")?;
            let extensions = span.extensions();
            if let Some(f) = extensions
                .get::<FormattedFields<N>>()
                .filter(|f| !f.is_empty())
            {
                writer.write_str(f.as_str())?;
                writer.write_char(',')?;
            }
            writer.write_str("\"name\":")?;
            string(&mut writer, span.name())?;
            writer.write_char('}')?;
        }
        writer.write_str("}\n")
    }
}

/// Fields as `"key":value` pairs separated by commas: an event's after its level (so `first`
/// is false and each pair starts with a comma), a span's as a fragment of their own.
struct Pairs<W: Write> {
    out: W,
    first: bool,
    result: fmt::Result,
}

impl<W: Write> Pairs<W> {
    fn new(out: W, first: bool) -> Self {
        Self {
            out,
            first,
            result: Ok(()),
        }
    }

    fn pair(&mut self, field: &Field, value: impl FnOnce(&mut W) -> fmt::Result) {
        if self.result.is_err() {
            return;
        }
        self.result = (|| {
            if !self.first {
                self.out.write_char(',')?;
            }
            self.first = false;
            string(&mut self.out, field.name())?;
            self.out.write_char(':')?;
            value(&mut self.out)
        })();
    }
}

impl<W: Write> Visit for Pairs<W> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.pair(field, |w| string(w, value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.pair(field, |w| write!(w, "{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.pair(field, |w| write!(w, "{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.pair(field, |w| write!(w, "{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `message` and `%value` fields arrive here already formatted by Display.
        self.pair(field, |w| string(w, &format!("{value:?}")));
    }
}

impl<'w> FormatFields<'w> for JsonFragment {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut v = Pairs::new(writer, true);
        fields.record(&mut v);
        v.result
    }

    fn add_fields(
        &self,
        current: &'w mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let first = current.is_empty();
        let mut v = Pairs::new(current.as_writer(), first);
        fields.record(&mut v);
        v.result
    }
}

/// The bytes a JSON string cannot hold as they are: a table, because this loop runs over
/// every byte of every log line.
static ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// A JSON string: quotes, backslashes and control characters escaped (RFC 8259, section 7).
fn string(out: &mut impl Write, s: &str) -> fmt::Result {
    out.write_char('"')?;
    let mut start = 0;
    // Every byte that needs escaping is ASCII, so a byte scan never splits a character.
    for (i, &b) in s.as_bytes().iter().enumerate() {
        if !ESCAPED[usize::from(b)] {
            continue;
        }
        let escaped = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            _ => "",
        };
        out.write_str(&s[start..i])?;
        if escaped.is_empty() {
            write!(out, "\\u{b:04x}")?;
        } else {
            out.write_str(escaped)?;
        }
        start = i + 1;
    }
    out.write_str(&s[start..])?;
    out.write_char('"')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Lines {
        type Writer = Lines;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    fn logged(f: impl FnOnce()) -> Vec<serde_json::Value> {
        let lines = Lines::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(lines.clone())
            .fmt_fields(JsonFragment)
            .event_format(JsonLines)
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    #[test]
    fn lines_are_json_with_the_span_and_every_field() {
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{7} café ☕";
        let lines = logged(|| {
            let span = tracing::info_span!("request", request_id = "0a1b", method = %"GET", route = %awkward);
            span.in_scope(|| {
                tracing::warn!(kind = "bad_room", status = 400u16, ok = false, delta = -3i64, cause = %awkward, "request refused");
            });
            tracing::info!(target: "bridge::audit", event = "login_started", client = ?Some("web"));
        });
        assert_eq!(lines.len(), 2);
        let first = &lines[0];
        assert_eq!(first["level"], "WARN");
        assert_eq!(first["message"], "request refused");
        assert_eq!(first["kind"], "bad_room");
        assert_eq!(first["status"], 400);
        assert_eq!(first["ok"], false);
        assert_eq!(first["delta"], -3);
        assert_eq!(first["cause"], awkward);
        assert_eq!(first["span"]["request_id"], "0a1b");
        assert_eq!(first["span"]["method"], "GET");
        assert_eq!(first["span"]["route"], awkward);
        assert_eq!(first["span"]["name"], "request");
        assert!(first["timestamp"].as_str().unwrap().ends_with('Z'));
        let second = &lines[1];
        assert_eq!(second["target"], "bridge::audit");
        assert_eq!(second["client"], "Some(\"web\")");
        assert!(second.get("span").is_none());
    }

    #[test]
    fn fields_recorded_on_a_span_later_are_added() {
        let lines = logged(|| {
            let span = tracing::info_span!(
                "request",
                request_id = "0a1b",
                later = tracing::field::Empty
            );
            span.record("later", 5u64);
            span.in_scope(|| tracing::info!("served"));
        });
        assert_eq!(lines[0]["span"]["request_id"], "0a1b");
        assert_eq!(lines[0]["span"]["later"], 5);
    }
}
