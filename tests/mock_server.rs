//! `wiremock`'s server, dropped where it cannot hang.
//!
//! `wiremock::MockServer`'s `Drop` checks the mocks' expectations with
//! `futures::executor::block_on` on a tokio `RwLock`. Dropped inside a
//! tokio task whose cooperative budget is spent (about 128 awaits on tokio
//! resources without a yield, as in a loop of calls), the lock answers
//! `Pending` and wakes itself at once, every time: `block_on` spins for
//! ever at 100% of a core. Dropped on a thread of its own, outside any
//! task, there is no budget and the check returns at once.
//!
//! Tests start their servers here (`clippy.toml` refuses
//! `wiremock::MockServer::start` elsewhere).

use std::ops::Deref;

/// A running `wiremock` server that is dropped on a thread of its own.
///
/// Derefs to [`wiremock::MockServer`]: mount mocks on `&server` and read
/// what it received as usual. A failed expectation (`Mock::expect`) still
/// fails the test that drops it.
pub struct MockServer(Option<wiremock::MockServer>);

impl MockServer {
    /// Starts one (from `wiremock`'s pool).
    #[allow(clippy::disallowed_methods)] // the one place that may
    pub async fn start() -> MockServer {
        MockServer(Some(wiremock::MockServer::start().await))
    }
}

impl Deref for MockServer {
    type Target = wiremock::MockServer;

    fn deref(&self) -> &wiremock::MockServer {
        self.0.as_ref().expect("a server until dropped")
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        let Some(server) = self.0.take() else { return };
        let verified = std::thread::spawn(move || drop(server)).join();
        if let Err(failure) = verified {
            if !std::thread::panicking() {
                std::panic::resume_unwind(failure);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MockServer;

    /// The hang this type exists for: a drop right after the task spent
    /// its budget. With `wiremock::MockServer` this test never ends.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dropping_after_the_task_spent_its_budget_returns() {
        let server = MockServer::start().await;
        let lock = tokio::sync::RwLock::new(());
        let mut acquired = 0;
        while tokio::task::coop::has_budget_remaining() {
            drop(lock.read().await);
            acquired += 1;
            assert!(acquired < 100_000, "the budget never ran out");
        }
        drop(server);
    }

    #[tokio::test]
    #[should_panic(expected = "Verifications failed")]
    async fn an_unmet_expectation_still_fails_the_test() {
        let server = MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::any())
            .respond_with(wiremock::ResponseTemplate::new(200))
            .expect(1)
            .mount(&server)
            .await;
        drop(server);
    }
}
