//! What a new record does to its call (SPEC §2), and storing it exactly once.
//!
//! The rules live here: [`decide`] turns the call's stored state into a replay, a
//! conflict or a write, and [`ingest`] applies that write through a [`CallStore`],
//! deciding again whenever another writer got there first. A store only translates:
//! it reads a call and writes a record atomically under the conditions of
//! [`CallStore::write_record`].

use std::future::Future;
use std::time::Duration;

use chrono_tz::Tz;

use crate::call::{CallState, Charge, PricedCall, complete_call};
use crate::error::{ApiError, ErrorCode};
use crate::ids::{ASSIGNED_CALL_IDS, CallId};
use crate::metrics::{self, Metric};
use crate::phone::PhoneNumber;
use crate::record::{CallRecord, NewRecord, RecordKind};
use crate::tariff::TariffSchedule;

#[cfg(test)]
mod memory;
#[cfg(test)]
mod rules;

/// How often a record is tried when other writers keep changing its call.
const ATTEMPTS: u32 = 10;

/// How many writes in doubt a record gets before the client is told it may be stored.
const WRITES_IN_DOUBT: u32 = 2;

/// What happened to a posted record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    /// Stored now (201).
    Created(CallRecord),
    /// Already stored: this is the stored record (200).
    Replayed(CallRecord),
}

impl Ingested {
    /// The HTTP status that says what happened.
    pub fn status(&self) -> u16 {
        match self {
            Ingested::Created(_) => 201,
            Ingested::Replayed(_) => 200,
        }
    }

    pub fn record(&self) -> &CallRecord {
        match self {
            Ingested::Created(record) | Ingested::Replayed(record) => record,
        }
    }
}

/// A call as stored, with the revision that every write of it checks and bumps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredCall {
    /// 0 while the call has no item.
    pub rev: u64,
    pub state: CallState,
}

/// One record added to its call.
#[derive(Debug, Clone, Copy)]
pub struct RecordWrite<'a> {
    pub record: &'a CallRecord,
    /// The revision the decision was made on; 0 for a call not stored yet.
    pub rev: u64,
    /// The call with the record added: with its charge when the record completes it.
    pub next: &'a CallState,
}

impl RecordWrite<'_> {
    /// The subscriber and the charge to add to their bill: only the completing
    /// record's write has them.
    pub fn completes(&self) -> Option<(&PhoneNumber, &Charge)> {
        self.next.subscriber().zip(self.next.charge.as_ref())
    }
}

/// Why a [`RecordWrite`] was not applied; nothing of it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteRejected {
    /// A condition failed: the record id is held by `id_owner`, or the call is no
    /// longer at the revision the write expected and holds `call` now.
    Conflict {
        id_owner: Option<(CallId, RecordKind)>,
        call: Option<Box<StoredCall>>,
    },
    /// Another transaction held the same items, or storage throttled the write:
    /// try again shortly.
    Contention,
    /// Written together with other records' writes, one of which was rejected:
    /// nothing of this write was applied, and nothing is known against it.
    Cancelled,
    /// No answer came (a timeout, a dropped connection, a storage error that may
    /// follow a write): the write may or may not have been applied.
    InDoubt,
    Failed(ApiError),
}

/// The storage ingestion needs: a call by id, and one atomic conditional write.
pub trait CallStore {
    /// The call as stored (strongly consistent), `None` for an unknown call.
    fn read_call(&self, call_id: CallId) -> impl Future<Output = Result<Option<StoredCall>, ApiError>> + Send;

    /// Writes, all or nothing: the call at `rev + 1` if it is still at `rev` (absent
    /// for 0); the record id, if any, reserved for this record if no record holds it;
    /// and for a completing write, the charge added to the subscriber's bill summary.
    fn write_record(&self, write: RecordWrite<'_>) -> impl Future<Output = Result<(), WriteRejected>> + Send;

    /// The calls of `call_ids` (distinct), each as [`CallStore::read_call`] reads it,
    /// in the same order. A store that can read many at once overrides this.
    fn read_calls(&self, call_ids: &[CallId]) -> impl Future<Output = Result<Vec<Option<StoredCall>>, ApiError>> + Send
    where
        Self: Sync,
    {
        async move {
            let mut calls = Vec::with_capacity(call_ids.len());
            for &call_id in call_ids {
                calls.push(self.read_call(call_id).await?);
            }
            Ok(calls)
        }
    }

    /// Each write as [`CallStore::write_record`] makes it, for records of distinct
    /// calls and record ids; the outcome of each, in the same order. A store that
    /// sends them together answers [`WriteRejected::Cancelled`] for the writes that a
    /// rejected neighbour kept from being applied. A store that can write many at
    /// once overrides this.
    fn write_records(&self, writes: &[RecordWrite<'_>]) -> impl Future<Output = Vec<Result<(), WriteRejected>>> + Send
    where
        Self: Sync,
    {
        async move {
            let mut outcomes = Vec::with_capacity(writes.len());
            for write in writes {
                outcomes.push(self.write_record(*write).await);
            }
            outcomes
        }
    }
}

/// Stores a valid record (SPEC §2): new, replayed, or refused with its conflict.
pub async fn ingest<S: CallStore>(
    store: &S,
    new: NewRecord,
    tariffs: &TariffSchedule,
    zone: Tz,
) -> Result<Ingested, ApiError> {
    let defaulted = new.timestamp_defaulted;
    match new.call_id {
        Some(call_id) => ingest_record(store, new.into_record(call_id), defaulted, tariffs, zone).await,
        None => open_new_call(store, new).await,
    }
}

async fn ingest_record<S: CallStore>(
    store: &S,
    record: CallRecord,
    defaulted: bool,
    tariffs: &TariffSchedule,
    zone: Tz,
) -> Result<Ingested, ApiError> {
    let first = if is_tried_unread(&record) { Next::Decide(Box::default()) } else { Next::Read };
    keep_ingesting(store, &record, defaulted, tariffs, zone, first, Doubt::default()).await
}

/// Whether a record's first write is tried without reading its call: a start
/// usually opens its call, so it costs one request, and when the call is there the
/// failed condition returns it as it is.
fn is_tried_unread(record: &CallRecord) -> bool {
    record.kind() == RecordKind::Start
}

/// What a record's next attempt starts from.
#[derive(Debug)]
enum Next {
    /// Deciding on the call as it is known to be.
    Decide(Box<StoredCall>),
    /// Reading the call first.
    Read,
    /// Waiting a little, then reading the call.
    Wait,
    Done(Result<Ingested, ApiError>),
}

/// What deciding on a stored call leaves to do.
enum Step {
    Answer(Ingested),
    Write(CallState),
}

/// Tries `record` until it is stored, replayed or refused, from `next`.
async fn keep_ingesting<S: CallStore>(
    store: &S,
    record: &CallRecord,
    defaulted: bool,
    tariffs: &TariffSchedule,
    zone: Tz,
    mut next: Next,
    mut doubt: Doubt,
) -> Result<Ingested, ApiError> {
    for attempt in 0..ATTEMPTS {
        let stored = match next {
            Next::Decide(stored) => *stored,
            Next::Read => doubt.read(store.read_call(record.call_id).await)?.unwrap_or_default(),
            Next::Wait => {
                backoff(attempt).await;
                doubt.read(store.read_call(record.call_id).await)?.unwrap_or_default()
            }
            Next::Done(result) => return result,
        };
        let next_state = match step(&stored, record, defaulted, tariffs, zone, &doubt)? {
            Step::Answer(ingested) => return Ok(ingested),
            Step::Write(next_state) => next_state,
        };
        next = match store.write_record(RecordWrite { record, rev: stored.rev, next: &next_state }).await {
            Ok(()) => return Ok(created(record, &next_state)),
            Err(rejected) => after_rejection(rejected, record, &mut doubt),
        };
    }
    Err(too_much_contention(record.call_id))
}

/// Decides on `stored`: an answer, or the call's state to write.
fn step(
    stored: &StoredCall,
    record: &CallRecord,
    defaulted: bool,
    tariffs: &TariffSchedule,
    zone: Tz,
    doubt: &Doubt,
) -> Result<Step, ApiError> {
    Ok(match decide(&stored.state, record, defaulted, tariffs, zone)? {
        // Our own earlier write, applied though its answer was lost.
        Outcome::Replay(stored) if doubt.writes > 0 => Step::Answer(Ingested::Created(stored)),
        Outcome::Replay(stored) => Step::Answer(Ingested::Replayed(stored)),
        Outcome::Store(priced) => Step::Write(with_record(&stored.state, record, priced.as_ref())),
    })
}

/// A record just stored, counted.
fn created(record: &CallRecord, next: &CallState) -> Ingested {
    if let Some(charge) = &next.charge {
        metrics::count(Metric::CallsCompleted);
        metrics::add(Metric::CentsBilled, u64::try_from(charge.price.0).unwrap_or_default());
    }
    Ingested::Created(record.clone())
}

/// What to do after a write was not applied.
fn after_rejection(rejected: WriteRejected, record: &CallRecord, doubt: &mut Doubt) -> Next {
    match rejected {
        // The call changed: decide again on what it holds now, so that a conflict
        // with the call's own records is reported before one with the record id.
        WriteRejected::Conflict { call: Some(current), .. } => Next::Decide(current),
        WriteRejected::Conflict { id_owner: Some(owner), .. } if owner != (record.call_id, record.kind()) => {
            Next::Done(Err(record_id_taken(record)))
        }
        WriteRejected::Conflict { .. } | WriteRejected::Cancelled => Next::Read,
        WriteRejected::Contention => Next::Wait,
        // Find out what happened: the next read shows the call as it is, and
        // deciding on it again gives the true answer.
        WriteRejected::InDoubt => match doubt.wrote() {
            Ok(()) => Next::Read,
            Err(error) => Next::Done(Err(error)),
        },
        WriteRejected::Failed(error) => Next::Done(Err(error)),
    }
}

/// Writes whose outcome is unknown. While there is one, a failure to find out is a
/// 503 that says the record may have been stored.
#[derive(Debug, Default)]
struct Doubt {
    writes: u32,
}

impl Doubt {
    fn wrote(&mut self) -> Result<(), ApiError> {
        self.writes += 1;
        if self.writes >= WRITES_IN_DOUBT {
            return Err(ApiError::unavailable_in_doubt());
        }
        Ok(())
    }

    fn read<T>(&self, read: Result<T, ApiError>) -> Result<T, ApiError> {
        match read {
            Err(error) if self.writes > 0 && error.code == ErrorCode::Unavailable => {
                Err(ApiError::unavailable_in_doubt())
            }
            other => other,
        }
    }
}

/// A start without `call_id`: its call gets a fresh random id. After a write in
/// doubt the same id is tried again, so that the call is opened once.
async fn open_new_call<S: CallStore>(store: &S, new: NewRecord) -> Result<Ingested, ApiError> {
    let mut doubt = Doubt::default();
    let mut call_id = CallId(fastrand::u64(ASSIGNED_CALL_IDS));
    for attempt in 0..ATTEMPTS {
        let record = new.clone().into_record(call_id);
        let next = CallState { start: Some(record.clone()), ..CallState::default() };
        match store.write_record(RecordWrite { record: &record, rev: 0, next: &next }).await {
            Ok(()) => return Ok(Ingested::Created(record)),
            // The record id holds a start already: this one, sent before?
            Err(WriteRejected::Conflict { id_owner: Some((owner, RecordKind::Start)), .. }) => {
                let stored = doubt.read(store.read_call(owner).await)?.unwrap_or_default().state.start;
                let resent = new.clone().into_record(owner);
                return match stored {
                    Some(start) if doubt.writes > 0 && owner == call_id && start == record => {
                        Ok(Ingested::Created(start))
                    }
                    Some(start) if is_replay(&start, &resent, new.timestamp_defaulted) => Ok(Ingested::Replayed(start)),
                    _ => Err(record_id_taken(&record)),
                };
            }
            Err(WriteRejected::Conflict { id_owner: Some(_), .. }) => return Err(record_id_taken(&record)),
            // Our own write in doubt, applied after all?
            Err(WriteRejected::Conflict { call: Some(current), .. })
                if doubt.writes > 0 && current.state.start.as_ref() == Some(&record) =>
            {
                return Ok(Ingested::Created(record));
            }
            // The drawn id is in use: draw another.
            Err(WriteRejected::Conflict { .. }) => call_id = CallId(fastrand::u64(ASSIGNED_CALL_IDS)),
            Err(WriteRejected::Contention | WriteRejected::Cancelled) => backoff(attempt).await,
            Err(WriteRejected::InDoubt) => doubt.wrote()?,
            Err(WriteRejected::Failed(error)) => return Err(error),
        }
    }
    Err(too_much_contention(CallId(0)))
}

/// Records of one batch in flight at once, after the first records of its calls.
pub const BATCH_CONCURRENCY: usize = 32;

/// Stores a batch's records (SPEC §2): each on its own, as if one after another in
/// request order. Results come in request order.
///
/// The first record of each call is decided on calls read together and written
/// together ([`CallStore::read_calls`], [`CallStore::write_records`]); the records
/// that follow one of their call's, and those whose first write was not applied, go
/// on one by one, the records of different calls at once (up to
/// [`BATCH_CONCURRENCY`]).
pub async fn ingest_batch<S: CallStore + Sync>(
    store: &S,
    records: Vec<Result<NewRecord, ApiError>>,
    tariffs: &TariffSchedule,
    zone: Tz,
) -> Vec<Result<Ingested, ApiError>> {
    use futures::stream::{self, StreamExt};
    let groups = batch_groups(&records);
    let mut records: Vec<Option<Result<NewRecord, ApiError>>> = records.into_iter().map(Some).collect();
    let groups: Vec<(Option<Lead>, Vec<BatchRecord>)> = groups
        .into_iter()
        .map(|group| {
            let mut group: Vec<_> =
                group.into_iter().map(|i| (i, records[i].take().expect("each record in one group"))).collect();
            (take_lead(&mut group), group)
        })
        .collect();
    let leads: Vec<&Lead> = groups.iter().filter_map(|(lead, _)| lead.as_ref()).collect();
    let mut tried = first_attempts(store, &leads, tariffs, zone).await;
    let done: Vec<Vec<(usize, Result<Ingested, ApiError>)>> = stream::iter(groups)
        .map(|(lead, group)| {
            let lead = lead.map(|lead| {
                let (next, doubt) = tried.remove(&lead.position).expect("every lead is tried");
                (lead, next, doubt)
            });
            async move {
                let mut results = Vec::with_capacity(group.len() + 1);
                if let Some((lead, next, doubt)) = lead {
                    let result = keep_ingesting(store, &lead.record, lead.defaulted, tariffs, zone, next, doubt).await;
                    results.push((lead.position, result));
                }
                for (i, record) in group {
                    let result = match record {
                        Ok(record) => ingest(store, record, tariffs, zone).await,
                        Err(error) => Err(error),
                    };
                    results.push((i, result));
                }
                results
            }
        })
        .buffer_unordered(BATCH_CONCURRENCY)
        .collect()
        .await;
    let mut results: Vec<(usize, Result<Ingested, ApiError>)> = done.into_iter().flatten().collect();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, result)| result).collect()
}

/// How many times a batch's first records are written together before those not
/// stored yet go on one by one: the first round learns the calls that starts found
/// already there, the second writes with that knowledge.
const GROUPED_ROUNDS: usize = 2;

/// A batch's record as read, by its position in the batch.
type BatchRecord = (usize, Result<NewRecord, ApiError>);

/// The first record of a call in a batch, tried with the other calls' first records.
struct Lead {
    /// Its position in the batch.
    position: usize,
    record: CallRecord,
    defaulted: bool,
}

/// Takes a group's first record out as its lead when it names its call (a start
/// without one opens a new call on its own).
fn take_lead(group: &mut Vec<BatchRecord>) -> Option<Lead> {
    let call_id = group.first()?.1.as_ref().ok()?.call_id?;
    let (position, new) = group.remove(0);
    let new = new.expect("a lead is a record read well (checked above)");
    let defaulted = new.timestamp_defaulted;
    Some(Lead { position, record: new.into_record(call_id), defaulted })
}

/// A batch's first records of their calls, decided and written together: for each,
/// by its position in the batch, what its next attempt starts from. As on its own,
/// a start is first tried as opening its call; the ends' calls are read together.
async fn first_attempts<S: CallStore + Sync>(
    store: &S,
    leads: &[&Lead],
    tariffs: &TariffSchedule,
    zone: Tz,
) -> std::collections::HashMap<usize, (Next, Doubt)> {
    let unread: Vec<CallId> =
        leads.iter().filter(|lead| !is_tried_unread(&lead.record)).map(|lead| lead.record.call_id).collect();
    let mut read: std::collections::HashMap<CallId, Option<StoredCall>> = match store.read_calls(&unread).await {
        Ok(calls) => unread.iter().copied().zip(calls).collect(),
        // Each record reads its call again on its own, and answers for itself.
        Err(_) => std::collections::HashMap::new(),
    };
    let mut firsts: std::collections::HashMap<usize, (Next, Doubt)> =
        std::collections::HashMap::with_capacity(leads.len());
    let mut known: Vec<(&Lead, StoredCall)> = Vec::with_capacity(leads.len());
    for &lead in leads {
        let stored = if is_tried_unread(&lead.record) {
            StoredCall::default()
        } else if let Some(call) = read.remove(&lead.record.call_id) {
            call.unwrap_or_default()
        } else {
            firsts.insert(lead.position, (Next::Read, Doubt::default()));
            continue;
        };
        known.push((lead, stored));
    }
    for round in 1..=GROUPED_ROUNDS {
        let mut writes = Vec::with_capacity(known.len());
        for (lead, stored) in known.drain(..) {
            let next = match step(&stored, &lead.record, lead.defaulted, tariffs, zone, &Doubt::default()) {
                Ok(Step::Write(next_state)) => {
                    writes.push((lead, stored, next_state));
                    continue;
                }
                Ok(Step::Answer(ingested)) => Next::Done(Ok(ingested)),
                Err(error) => Next::Done(Err(error)),
            };
            firsts.insert(lead.position, (next, Doubt::default()));
        }
        let record_writes: Vec<RecordWrite<'_>> = writes
            .iter()
            .map(|(lead, stored, next)| RecordWrite { record: &lead.record, rev: stored.rev, next })
            .collect();
        let outcomes = store.write_records(&record_writes).await;
        for ((lead, stored, next_state), outcome) in writes.into_iter().zip(outcomes) {
            let mut doubt = Doubt::default();
            let next = match outcome {
                Ok(()) => Next::Done(Ok(created(&lead.record, &next_state))),
                // What the round learned is written together again in the next:
                // a call found already there is decided on again, and a write only
                // cancelled beside a refused one is tried as it was.
                Err(WriteRejected::Conflict { call: Some(current), .. }) if round < GROUPED_ROUNDS => {
                    known.push((lead, *current));
                    continue;
                }
                Err(WriteRejected::Cancelled) if round < GROUPED_ROUNDS => {
                    known.push((lead, stored));
                    continue;
                }
                Err(rejected) => after_rejection(rejected, &lead.record, &mut doubt),
            };
            firsts.insert(lead.position, (next, doubt));
        }
        if known.is_empty() {
            break;
        }
    }
    firsts
}

/// The records of a batch that must go one after another, in request order: those
/// naming the same call or the same record id (whose outcome depends on which comes
/// first). Every other record is a group of its own.
pub fn batch_groups(records: &[Result<NewRecord, ApiError>]) -> Vec<Vec<usize>> {
    // Union-find over the records, joined by the call and record ids they share.
    fn root(parent: &mut [usize], i: usize) -> usize {
        let mut r = i;
        while parent[r] != r {
            parent[r] = parent[parent[r]];
            r = parent[r];
        }
        r
    }
    let mut parent: Vec<usize> = (0..records.len()).collect();
    let mut first_with: std::collections::HashMap<(bool, u64), usize> = std::collections::HashMap::new();
    for (i, record) in records.iter().enumerate() {
        let Ok(record) = record else { continue };
        let keys = [record.call_id.map(|c| (true, c.0)), record.id.map(|r| (false, r.0))];
        for key in keys.into_iter().flatten() {
            let first = *first_with.entry(key).or_insert(i);
            let (a, b) = (root(&mut parent, first), root(&mut parent, i));
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = std::collections::BTreeMap::new();
    for i in 0..records.len() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    groups.into_values().collect()
}

/// The call's state once `record` is added to it.
fn with_record(state: &CallState, record: &CallRecord, priced: Option<&PricedCall<'_>>) -> CallState {
    let mut next = state.clone();
    match record.kind() {
        RecordKind::Start => next.start = Some(record.clone()),
        RecordKind::End => next.end = Some(record.clone()),
    }
    next.charge = priced.map(Charge::from);
    next
}

/// Waits a little longer after each contended attempt, with jitter so that racing
/// writers spread out.
async fn backoff(attempt: u32) {
    metrics::count(Metric::StorageRetries);
    let base = 5u64 << attempt.min(6);
    tokio::time::sleep(Duration::from_millis(base + fastrand::u64(0..=base))).await;
}

fn too_much_contention(call_id: CallId) -> ApiError {
    tracing::warn!(%call_id, "gave up after {ATTEMPTS} contended attempts");
    ApiError::unavailable()
}

/// The effect of a valid record on its call.
#[derive(Debug)]
pub enum Outcome<'t> {
    /// The call already holds this record: nothing changes.
    Replay(CallRecord),
    /// Store the record; when it completes the call, with its price.
    Store(Option<PricedCall<'t>>),
}

/// Decides what `record` does to a call in `state`. `timestamp_defaulted` says the
/// client sent no timestamp, so a retry differs from the stored record in it alone.
pub fn decide<'t>(
    state: &CallState,
    record: &CallRecord,
    timestamp_defaulted: bool,
    tariffs: &'t TariffSchedule,
    zone: Tz,
) -> Result<Outcome<'t>, ApiError> {
    let (same_kind, other_kind) = match record.kind() {
        RecordKind::Start => (&state.start, &state.end),
        RecordKind::End => (&state.end, &state.start),
    };
    if let Some(stored) = same_kind {
        return if is_replay(stored, record, timestamp_defaulted) {
            Ok(Outcome::Replay(stored.clone()))
        } else {
            Err(conflict(stored, record))
        };
    }
    match other_kind {
        None => Ok(Outcome::Store(None)),
        Some(other) => {
            let (start, end) = match record.kind() {
                RecordKind::Start => (record, other),
                RecordKind::End => (other, record),
            };
            complete_call(start, end, tariffs, zone).map(|call| Outcome::Store(Some(call)))
        }
    }
}

/// The same record sent again: equal in every field, or in all but the timestamp
/// when the retry left it to the server.
pub fn is_replay(stored: &CallRecord, record: &CallRecord, timestamp_defaulted: bool) -> bool {
    stored == record
        || (timestamp_defaulted
            && stored.id == record.id
            && stored.call_id == record.call_id
            && stored.event == record.event)
}

fn conflict(stored: &CallRecord, record: &CallRecord) -> ApiError {
    let call = record.call_id;
    if stored.id.is_some() && stored.id == record.id {
        let id = record.id.expect("checked above");
        return ApiError::new(
            ErrorCode::DuplicateRecord,
            format!(
                "record {id} is already stored for call {call} with other fields; a record id names one record, \
                 so resend it unchanged or use a new id"
            ),
        );
    }
    let (code, what) = match record.kind() {
        RecordKind::Start => (ErrorCode::CallAlreadyStarted, "start"),
        RecordKind::End => (ErrorCode::CallAlreadyEnded, "end"),
    };
    ApiError::new(code, format!("call {call} already has a different {what} record; a call has one {what}"))
}

/// `record_id_taken`: the id belongs to a record of another call or type.
pub fn record_id_taken(record: &CallRecord) -> ApiError {
    let id = record.id.map(|id| id.to_string()).unwrap_or_default();
    ApiError::new(
        ErrorCode::RecordIdTaken,
        format!("record id {id} already belongs to another record; record ids are unique across all records"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::RecordId;
    use crate::record::Event;
    use chrono::TimeDelta;

    fn start(id: u64, at: &str) -> CallRecord {
        CallRecord {
            id: Some(RecordId(id)),
            call_id: CallId(7),
            timestamp: at.parse().unwrap(),
            event: Event::Start { source: "99988526423".parse().unwrap(), destination: "9993468278".parse().unwrap() },
        }
    }

    fn end(id: u64, at: &str) -> CallRecord {
        CallRecord { id: Some(RecordId(id)), call_id: CallId(7), timestamp: at.parse().unwrap(), event: Event::End }
    }

    fn outcome(state: &CallState, record: &CallRecord, defaulted: bool) -> Result<&'static str, ErrorCode> {
        let tariffs = TariffSchedule::default_schedule();
        match decide(state, record, defaulted, &tariffs, Tz::UTC) {
            Ok(Outcome::Replay(_)) => Ok("replay"),
            Ok(Outcome::Store(None)) => Ok("store"),
            Ok(Outcome::Store(Some(call))) => {
                assert_eq!(call.price.total.0, 99, "15:07:13 to 15:14:56 costs R$ 0,99");
                Ok("complete")
            }
            Err(e) => Err(e.code),
        }
    }

    #[test]
    fn a_batch_keeps_records_of_one_call_or_one_record_id_in_order() {
        let record = |id: Option<u64>, call_id: Option<u64>| {
            Ok(NewRecord {
                id: id.map(RecordId),
                call_id: call_id.map(CallId),
                timestamp: "2017-12-12T15:07:13Z".parse().unwrap(),
                timestamp_defaulted: false,
                event: Event::End,
            })
        };
        let refused = || Err(ApiError::internal());
        let batch = [
            record(Some(1), Some(10)), // 0: call 10
            record(Some(2), Some(11)), // 1: call 11
            record(Some(3), Some(10)), // 2: call 10 again
            refused(),                 // 3: on its own
            record(Some(2), Some(12)), // 4: record id 2, as 1: after it
            record(None, None),        // 5: a start the server numbers, on its own
            record(Some(9), Some(12)), // 6: call 12, as 4
        ];
        assert_eq!(batch_groups(&batch), vec![vec![0, 2], vec![1, 4, 6], vec![3], vec![5]]);
    }

    #[test]
    fn decides_every_case() {
        let s = start(1, "2017-12-12T15:07:13Z");
        let e = end(2, "2017-12-12T15:14:56Z");
        let empty = CallState::default();
        let started = CallState { start: Some(s.clone()), ..CallState::default() };
        let ended = CallState { end: Some(e.clone()), ..CallState::default() };
        let done = CallState { start: Some(s.clone()), end: Some(e.clone()), charge: None };
        let later = |r: &CallRecord| CallRecord { timestamp: r.timestamp + TimeDelta::seconds(5), ..r.clone() };
        let other_id = |r: &CallRecord| CallRecord { id: Some(RecordId(99)), ..r.clone() };

        let cases = [
            (&empty, &s, false, Ok("store")),
            (&empty, &e, false, Ok("store")),
            (&started, &e, false, Ok("complete")),
            (&ended, &s, false, Ok("complete")),
            (&started, &s, false, Ok("replay")),
            (&done, &e, false, Ok("replay")),
            (&started, &later(&s), true, Ok("replay")), // a retry that let the server stamp it
            (&started, &later(&s), false, Err(ErrorCode::DuplicateRecord)),
            (&started, &other_id(&s), false, Err(ErrorCode::CallAlreadyStarted)),
            (&done, &other_id(&e), false, Err(ErrorCode::CallAlreadyEnded)),
            (&ended, &other_id(&later(&e)), false, Err(ErrorCode::CallAlreadyEnded)),
            (&started, &end(2, "2017-12-12T15:07:12Z"), false, Err(ErrorCode::EndBeforeStart)),
            (&ended, &start(1, "2017-12-12T15:14:57Z"), false, Err(ErrorCode::EndBeforeStart)),
        ];
        for (i, (state, record, defaulted, expected)) in cases.into_iter().enumerate() {
            assert_eq!(outcome(state, record, defaulted), expected, "case {i}");
        }
    }
}
