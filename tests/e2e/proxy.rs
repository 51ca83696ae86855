//! A loopback TCP proxy the tests put between the bridge (and the browser) and Keycloak, or
//! in front of several bridges, to make faults happen on demand.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Mode {
    /// Pass connections through.
    Forward = 0,
    /// Accept and close at once, like a server that is down.
    Down = 1,
    /// Accept and never answer, like a server that hangs.
    Blackhole = 2,
}

pub struct Proxy {
    pub addr: SocketAddr,
    mode: Arc<AtomicU8>,
    /// Bumped on every mode change; open connections end when it changes, as they would
    /// when the real server stops.
    generation: tokio::sync::watch::Sender<u64>,
    /// Connections forwarded to each upstream.
    pub served: Arc<Vec<AtomicUsize>>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Round-robin over `upstreams`, one upstream per connection.
    pub async fn start(upstreams: Vec<SocketAddr>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mode = Arc::new(AtomicU8::new(Mode::Forward as u8));
        let served: Arc<Vec<AtomicUsize>> =
            Arc::new(upstreams.iter().map(|_| AtomicUsize::new(0)).collect());
        let (m, s) = (mode.clone(), served.clone());
        let (generation, watch) = tokio::sync::watch::channel(0u64);
        let task = tokio::spawn(async move {
            let mut next = 0usize;
            let mut held = Vec::new();
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                match m.load(Ordering::SeqCst) {
                    1 => drop(inbound),
                    2 => held.push(inbound),
                    _ => {
                        let i = next % upstreams.len();
                        next += 1;
                        s[i].fetch_add(1, Ordering::SeqCst);
                        let upstream = upstreams[i];
                        let mut changed = watch.clone();
                        changed.mark_unchanged();
                        tokio::spawn(async move {
                            if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                                tokio::select! {
                                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                                    _ = changed.changed() => {}
                                }
                            }
                        });
                    }
                }
            }
        });
        Proxy {
            addr,
            mode,
            generation,
            served,
            task,
        }
    }

    pub fn set(&self, mode: Mode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}
