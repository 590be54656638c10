//! A loopback TCP forwarder standing in for the load balancer in front of a cluster: pusher-js
//! takes one host, so the clients "on node 2" connect here, and the suite points the forwarder
//! at node 1 when node 2 goes away (as a health-checking load balancer would), cutting the
//! connections it carried.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Forwards every connection on its port to `127.0.0.1:<target>`; stops when dropped.
pub(crate) struct Forwarder {
    pub(crate) port: u16,
    target: Arc<AtomicU16>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Forwarder {
    pub(crate) async fn start(target: u16) -> Result<Forwarder, String> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| format!("forwarder: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("forwarder: {e}"))?
            .port();
        let target = Arc::new(AtomicU16::new(target));
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (to, open) = (target.clone(), connections.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let port = to.load(Ordering::SeqCst);
                let task = tokio::spawn(async move {
                    // A refused upstream closes the client's connection: it retries, as it
                    // would against a dead node.
                    if let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", port)).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                let mut open = open.lock().unwrap_or_else(|e| e.into_inner());
                open.retain(|t| !t.is_finished());
                open.push(task);
            }
        });
        Ok(Forwarder {
            port,
            target,
            connections,
            accept,
        })
    }

    /// Sends new connections to `target` and cuts the ones open.
    pub(crate) fn switch_to(&self, target: u16) {
        self.target.store(target, Ordering::SeqCst);
        let open = std::mem::take(&mut *self.connections.lock().unwrap_or_else(|e| e.into_inner()));
        for task in open {
            task.abort();
        }
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.accept.abort();
        self.switch_to(0);
    }
}
