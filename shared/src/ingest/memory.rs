//! An in-memory [`CallStore`] with the DynamoDB adapter's semantics (revision and
//! record-id conditions, all or nothing), so that the ingestion rules run in
//! `cargo test -p callbill` without DynamoDB Local. The adapter's own tests run
//! against DynamoDB Local.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::Ordering;

use super::{CallStore, RecordWrite, StoredCall, WriteRejected};
use crate::error::ApiError;
use crate::ids::{CallId, RecordId};
use crate::money::Cents;
use crate::period::Period;
use crate::phone::PhoneNumber;
use crate::record::RecordKind;

#[derive(Debug, Default)]
struct Tables {
    calls: HashMap<CallId, StoredCall>,
    record_ids: HashMap<RecordId, (CallId, RecordKind)>,
    summaries: HashMap<(PhoneNumber, Period), (u64, Cents)>,
}

#[derive(Debug, Default)]
pub struct MemoryStore {
    tables: Mutex<Tables>,
    /// Writes whose answer is lost from now on: applied, but reported in doubt.
    lost_answers: std::sync::atomic::AtomicU32,
    /// Reads that fail as unavailable once an answer was lost.
    reads_failing_after_loss: std::sync::atomic::AtomicU32,
    /// Reads that fail as unavailable from now on.
    failed_reads: std::sync::atomic::AtomicU32,
}

/// Takes one from a counter of faults still to inject.
fn take(counter: &std::sync::atomic::AtomicU32) -> bool {
    counter.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
}

impl MemoryStore {
    /// The next `writes` writes are applied but answered in doubt; after that,
    /// `then_failed_reads` reads fail.
    pub fn lose_answers(&self, writes: u32, then_failed_reads: u32) {
        self.lost_answers.store(writes, Ordering::SeqCst);
        self.reads_failing_after_loss.store(then_failed_reads, Ordering::SeqCst);
    }

    pub fn fail_reads(&self, reads: u32) {
        self.failed_reads.store(reads, Ordering::SeqCst);
    }

    pub fn call(&self, call_id: CallId) -> Option<StoredCall> {
        self.tables.lock().unwrap().calls.get(&call_id).cloned()
    }

    pub fn calls(&self) -> Vec<StoredCall> {
        self.tables.lock().unwrap().calls.values().cloned().collect()
    }

    /// `(call_count, total)` of a subscriber's period.
    pub fn summary(&self, subscriber: &str, period: &str) -> (u64, Cents) {
        let key = (subscriber.parse().unwrap(), period.parse().unwrap());
        self.tables.lock().unwrap().summaries.get(&key).copied().unwrap_or((0, Cents::ZERO))
    }
}

impl CallStore for MemoryStore {
    async fn read_call(&self, call_id: CallId) -> Result<Option<StoredCall>, ApiError> {
        // Let other tasks run between a read and the write that follows it, as a
        // network round trip would.
        tokio::task::yield_now().await;
        if take(&self.failed_reads) {
            return Err(ApiError::unavailable());
        }
        Ok(self.call(call_id))
    }

    async fn write_record(&self, write: RecordWrite<'_>) -> Result<(), WriteRejected> {
        tokio::task::yield_now().await;
        let mut tables = self.tables.lock().unwrap();
        let record = write.record;
        let id_owner = record.id.and_then(|id| tables.record_ids.get(&id).copied());
        let current = tables.calls.get(&record.call_id);
        let call_changed = current.map_or(0, |c| c.rev) != write.rev;
        if id_owner.is_some() || call_changed {
            let call = call_changed.then(|| Box::new(current.cloned().unwrap_or_default()));
            return Err(WriteRejected::Conflict { id_owner, call });
        }
        if let Some(id) = record.id {
            tables.record_ids.insert(id, (record.call_id, record.kind()));
        }
        tables.calls.insert(record.call_id, StoredCall { rev: write.rev + 1, state: write.next.clone() });
        if let Some((subscriber, charge)) = write.completes() {
            let summary = tables.summaries.entry((subscriber.clone(), charge.period)).or_insert((0, Cents::ZERO));
            summary.0 += 1;
            summary.1 += charge.price;
        }
        if take(&self.lost_answers) {
            self.failed_reads.store(self.reads_failing_after_loss.swap(0, Ordering::SeqCst), Ordering::SeqCst);
            return Err(WriteRejected::InDoubt);
        }
        Ok(())
    }
}
