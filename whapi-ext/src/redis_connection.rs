//! How the inbox and the shared throttle connect to Redis: every command
//! answers within [`REDIS_TIMEOUT`], so a Redis that is down, stalled or
//! behind a half-open connection is an error at once, not a caller held
//! until the kernel gives up on the connection (minutes). redis-rs sets no
//! timeout of its own.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// The longest a connection attempt or a command may take. A healthy
/// Redis answers in milliseconds, even with `appendfsync always`.
pub(crate) const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// A connection that reconnects by itself, with every command bounded by
/// [`REDIS_TIMEOUT`]. A lost connection gets one attempt to connect again;
/// when it fails, the commands waiting for it fail, and the next command
/// starts a new attempt. redis-rs's own retries wait at least a second
/// each (its backoff starts at one second, times the factor: 100 s by
/// default), which held every request to a Redis that was down for
/// minutes.
pub(crate) async fn connect(url: &str) -> redis::RedisResult<ConnectionManager> {
    let client = redis::Client::open(url)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(REDIS_TIMEOUT)
        .set_response_timeout(REDIS_TIMEOUT)
        .set_number_of_retries(0);
    ConnectionManager::new_with_config(client, config).await
}
