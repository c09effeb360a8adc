//! An in-memory [`CallStore`] with the DynamoDB adapter's semantics (revision and
//! record-id conditions, all or nothing), so that the ingestion rules run in
//! `cargo test -p callbill` without DynamoDB Local. The adapter's own tests run
//! against DynamoDB Local.

use std::collections::HashMap;
use std::sync::Mutex;

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
}

impl MemoryStore {
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
        Ok(())
    }
}
