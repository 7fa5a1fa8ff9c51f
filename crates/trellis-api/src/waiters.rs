//! Requests waiting for the result of an input they appended (`decide`, `apply_and_wait`): the
//! engine loop hands each its result as soon as the batch holding it has committed, so a
//! waiting request does not read the database after every batch (on a busy service that was a
//! read per waiting request per batch, queueing before the engine's own commit). A request reads
//! the stored result once after it registers (the input may have committed just before), and
//! again only when its wait runs out. A follower process (PostgreSQL, another process holds the
//! engine lease) hands the results of the journal rows it follows, as soon as it reads them.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::oneshot;
use trellis_store::{JournalEntry, JournalRow, Store};

type Result_ = Option<String>;

#[derive(Default)]
pub(crate) struct Waiters(Mutex<HashMap<i64, Vec<oneshot::Sender<Result_>>>>);

impl Waiters {
    /// Registers a wait for input `seq`'s result.
    pub(crate) fn wait(&self, seq: i64) -> Waiting<'_> {
        let (tx, rx) = oneshot::channel();
        self.lock().entry(seq).or_default().push(tx);
        Waiting {
            waiters: self,
            seq,
            rx: Some(rx),
            handed: None,
        }
    }

    /// Hands the results of a committed batch's journal entries to those waiting for them.
    pub(crate) fn hand(&self, journal: &[JournalEntry]) {
        self.hand_results(journal.iter().map(|e| (e.input_seq, &e.result)));
    }

    /// Hands the results of journal rows another process committed (a follower applies them).
    pub(crate) fn hand_rows(&self, rows: &[JournalRow]) {
        self.hand_results(rows.iter().map(|r| (r.input_seq, &r.result)));
    }

    fn hand_results<'r>(&self, results: impl Iterator<Item = (Option<i64>, &'r Result_)>) {
        let mut m = self.lock();
        if m.is_empty() {
            return;
        }
        for (seq, result) in results {
            if let Some(txs) = seq.and_then(|s| m.remove(&s)) {
                for tx in txs {
                    let _ = tx.send(result.clone());
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Vec<oneshot::Sender<Result_>>>> {
        // The map holds no invariant a panicking holder could break halfway.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether no request waits here.
    pub(crate) fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

/// One request's wait; dropping it (answered, or the caller gone) unregisters it.
pub(crate) struct Waiting<'a> {
    waiters: &'a Waiters,
    seq: i64,
    rx: Option<oneshot::Receiver<Result_>>,
    /// What [`settle`](Self::settle) was handed, for [`result`](Self::result).
    handed: Option<Result_>,
}

impl Waiting<'_> {
    /// The input's result as JSON (null when it has none) once it is applied: the one handed
    /// over to the last [`settle`](Self::settle), else the stored one, read from the database
    /// (the first call, and after a wait that ran out).
    pub(crate) async fn result(&mut self, store: &Store) -> trellis_store::Result<Option<Value>> {
        let r = match self.handed.take() {
            Some(r) => Some(r),
            None => store.result_of(self.seq).await?,
        };
        Ok(r.map(|r| {
            r.as_deref()
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or(Value::Null)
        }))
    }

    /// Waits up to `wait` for the result to be handed over (see [`result`](Self::result)).
    pub(crate) async fn settle(&mut self, wait: Duration) {
        self.handed = self.next(wait).await;
    }

    /// The result when it is handed within `wait`; `None` when the wait runs out first.
    pub(crate) async fn next(&mut self, wait: Duration) -> Option<Result_> {
        let Some(rx) = self.rx.as_mut() else {
            tokio::time::sleep(wait).await;
            return None;
        };
        match tokio::time::timeout(wait, rx).await {
            Ok(Ok(r)) => {
                self.rx = None;
                Some(r)
            }
            Ok(Err(_)) => {
                // Not expected (a sender is only dropped once its receiver is): poll instead.
                self.rx = None;
                None
            }
            Err(_) => None,
        }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Some(mut rx) = self.rx.take() {
            rx.close();
        }
        let mut m = self.waiters.lock();
        if let Some(txs) = m.get_mut(&self.seq) {
            txs.retain(|tx| !tx.is_closed());
            if txs.is_empty() {
                m.remove(&self.seq);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, result: &str) -> JournalEntry {
        JournalEntry {
            proc_seq: seq,
            input_seq: Some(seq),
            kind: "decide".into(),
            at: String::new(),
            result: Some(result.into()),
        }
    }

    #[tokio::test]
    async fn a_committed_result_reaches_every_waiter_of_its_input_and_no_other() {
        let w = Waiters::default();
        let mut a = w.wait(7);
        let mut b = w.wait(7);
        let mut c = w.wait(8);
        w.hand(&[entry(7, "{\"x\":1}"), entry(9, "{}")]);
        let short = Duration::from_millis(1);
        assert_eq!(a.next(short).await, Some(Some("{\"x\":1}".into())));
        assert_eq!(b.next(short).await, Some(Some("{\"x\":1}".into())));
        assert_eq!(c.next(short).await, None);
        drop((a, b));
        assert_eq!(w.len(), 1);
        drop(c);
        assert_eq!(w.len(), 0, "a dropped wait leaves nothing behind");
    }

    #[tokio::test]
    async fn a_follower_hands_the_results_of_the_rows_it_reads() {
        let w = Waiters::default();
        let mut a = w.wait(5);
        w.hand_rows(&[JournalRow {
            proc_seq: 1,
            input_seq: Some(5),
            kind: "decide".into(),
            at: String::new(),
            body: None,
            result: Some("{}".into()),
        }]);
        assert_eq!(
            a.next(Duration::from_millis(1)).await,
            Some(Some("{}".into()))
        );
    }

    #[tokio::test]
    async fn a_dropped_wait_keeps_the_others_of_the_same_input() {
        let w = Waiters::default();
        let a = w.wait(3);
        let mut b = w.wait(3);
        drop(a);
        assert_eq!(w.len(), 1);
        w.hand(&[entry(3, "r")]);
        assert_eq!(
            b.next(Duration::from_millis(1)).await,
            Some(Some("r".into()))
        );
    }
}
