//! One page of a bill that agrees with the totals it shows (SPEC §4).
//!
//! Every page reads the bill's totals and its lines. The totals move in the same
//! write that completes a call; the index that lists the lines follows a moment
//! later. So a page whose lines cannot be the ones its totals count is read again
//! briefly, and a listing whose bill changed since its first page is refused with
//! `bill_changed`: its pages would not add up.

use std::future::Future;
use std::time::Duration;

use crate::bill::{Bill, BillKey, BillLine};
use crate::bill_query::BillQuery;
use crate::cursor::Cursor;
use crate::error::{ApiError, ErrorCode};
use crate::money::Cents;
use crate::period::Period;
use crate::phone::PhoneNumber;

/// How often a page is read while the index catches up with the totals.
const READS: u32 = 4;

/// The storage a bill is read from.
pub trait BillStore {
    /// `(call_count, total)` of a subscriber's period.
    fn bill_totals(
        &self,
        subscriber: &PhoneNumber,
        period: Period,
    ) -> impl Future<Output = Result<(u64, Cents), ApiError>> + Send;

    /// Up to `limit` lines of a subscriber's period in bill order after `after`, with
    /// the place of the last one when more follow.
    fn bill_lines(
        &self,
        subscriber: &PhoneNumber,
        period: Period,
        limit: usize,
        after: Option<BillKey>,
    ) -> impl Future<Output = Result<(Vec<BillLine>, Option<BillKey>), ApiError>> + Send;
}

/// The page `query` asks for, consistent with the totals it shows.
pub async fn read_page<S: BillStore>(store: &S, query: &BillQuery) -> Result<Bill, ApiError> {
    let BillQuery { subscriber, period, limit, cursor, .. } = query;
    let lines_before = cursor.map_or(0, |c| c.lines_before);
    for read in 0..READS {
        if read > 0 {
            tokio::time::sleep(Duration::from_millis(25 << read)).await;
        }
        let ((call_count, total), (lines, last)) = tokio::try_join!(
            store.bill_totals(subscriber, *period),
            store.bill_lines(subscriber, *period, *limit, cursor.map(|c| c.after)),
        )?;
        if let Some(cursor) = cursor
            && cursor.call_count != call_count
        {
            return Err(bill_changed(subscriber, *period));
        }
        let shown = lines_before + lines.len() as u64;
        // The last page ends the count; an earlier one leaves lines for later pages.
        let agrees = if last.is_none() { shown == call_count } else { shown < call_count };
        if agrees {
            let next_cursor = last.map(|after| Cursor { after, lines_before: shown, call_count }.encode(subscriber));
            return Ok(Bill { subscriber: subscriber.clone(), period: *period, call_count, total, lines, next_cursor });
        }
    }
    tracing::warn!(%subscriber, %period, "bill lines do not agree with the totals after {READS} reads");
    match cursor {
        // A line may be missing from an earlier page of this listing.
        Some(_) => Err(bill_changed(subscriber, *period)),
        None => Err(ApiError::unavailable_because(
            "the bill is being updated: its lines are catching up with its totals; retry in a second",
        )),
    }
}

/// The most calls an earlier API's bill lists (it has no pages).
pub const WHOLE_BILL_LIMIT: u64 = 10_000;

/// A whole month, read page by page as one listing, for the earlier APIs (SPEC §10).
/// Over [`WHOLE_BILL_LIMIT`] calls it is refused, pointing to the paged /v1 bill.
pub async fn read_whole<S: BillStore>(store: &S, subscriber: &PhoneNumber, period: Period) -> Result<Bill, ApiError> {
    let mut query = BillQuery {
        subscriber: subscriber.clone(),
        period,
        limit: crate::bill_query::MAX_LIMIT,
        format: crate::bill_query::Format::Json,
        cursor: None,
    };
    let mut whole: Option<Bill> = None;
    loop {
        let page = read_page(store, &query).await?;
        if page.call_count > WHOLE_BILL_LIMIT {
            return Err(ApiError::new(
                ErrorCode::InvalidQuery,
                format!(
                    "the bill of {subscriber} for {period} has {} calls, more than the {WHOLE_BILL_LIMIT} this route \
                     lists at once: read it in pages from GET /v1/bills/{subscriber}?period={period}",
                    page.call_count
                ),
            ));
        }
        let next = page.next_cursor.clone();
        match whole.as_mut() {
            None => whole = Some(Bill { next_cursor: None, ..page }),
            Some(bill) => bill.lines.extend(page.lines),
        }
        match next {
            None => return Ok(whole.expect("at least one page")),
            Some(text) => query.cursor = Some(Cursor::decode(&text, subscriber, period)?),
        }
    }
}

fn bill_changed(subscriber: &PhoneNumber, period: Period) -> ApiError {
    ApiError::new(
        ErrorCode::BillChanged,
        format!(
            "the bill of {subscriber} for {period} changed since the first page of this listing (a call completed \
             late): start again from the first page, without cursor"
        ),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use chrono::TimeDelta;

    use super::*;
    use crate::bill_query::Format;
    use crate::duration::CallDuration;
    use crate::ids::CallId;

    /// Three lines of 10 cents; the index shows `visible` of them for the first
    /// `lagging_reads` reads, all of them afterwards.
    struct LaggingIndex {
        lines: Vec<BillLine>,
        visible: usize,
        lagging_reads: u32,
        reads: AtomicU32,
    }

    fn period() -> Period {
        "2017-12".parse().unwrap()
    }

    impl LaggingIndex {
        fn new(visible: usize, lagging_reads: u32) -> LaggingIndex {
            let start: chrono::DateTime<chrono::Utc> = "2017-12-01T10:00:00Z".parse().unwrap();
            let lines = (1..=3)
                .map(|i| BillLine {
                    call_id: CallId(i),
                    destination: "1133334444".parse().unwrap(),
                    start: start + TimeDelta::hours(i as i64),
                    duration: CallDuration(60),
                    price: Cents(10),
                })
                .collect();
            LaggingIndex { lines, visible, lagging_reads, reads: AtomicU32::new(0) }
        }
    }

    impl BillStore for LaggingIndex {
        async fn bill_totals(&self, _: &PhoneNumber, _: Period) -> Result<(u64, Cents), ApiError> {
            Ok((3, Cents(30)))
        }

        async fn bill_lines(
            &self,
            _: &PhoneNumber,
            period: Period,
            limit: usize,
            after: Option<BillKey>,
        ) -> Result<(Vec<BillLine>, Option<BillKey>), ApiError> {
            let read = self.reads.fetch_add(1, Ordering::SeqCst);
            let visible = if read < self.lagging_reads { self.visible } else { self.lines.len() };
            let rest: Vec<BillLine> =
                self.lines[..visible].iter().filter(|l| after.is_none_or(|a| l.key(period) > a)).cloned().collect();
            let more = rest.len() > limit;
            let page: Vec<BillLine> = rest.into_iter().take(limit).collect();
            let last = more.then(|| page.last().unwrap().key(period));
            Ok((page, last))
        }
    }

    fn query(limit: usize, cursor: Option<Cursor>) -> BillQuery {
        BillQuery { subscriber: "99988526423".parse().unwrap(), period: period(), limit, format: Format::Json, cursor }
    }

    #[tokio::test]
    async fn a_page_waits_for_the_index_to_agree_with_the_totals() {
        // The index lags for two reads: the third read agrees.
        let store = LaggingIndex::new(2, 2);
        let bill = read_page(&store, &query(10, None)).await.unwrap();
        assert_eq!((bill.lines.len(), bill.call_count, bill.total), (3, 3, Cents(30)));
        // It lags for longer than a page waits: a truthful 503 on a first page.
        let store = LaggingIndex::new(2, READS);
        let error = read_page(&store, &query(10, None)).await.unwrap_err();
        assert_eq!((error.code, error.retry_after), (ErrorCode::Unavailable, Some(1)));
    }

    #[tokio::test]
    async fn a_listing_is_one_bill_or_bill_changed() {
        let store = LaggingIndex::new(3, 0);
        let first = read_page(&store, &query(2, None)).await.unwrap();
        let subscriber: PhoneNumber = "99988526423".parse().unwrap();
        let cursor = Cursor::decode(first.next_cursor.as_deref().unwrap(), &subscriber, period()).unwrap();
        assert_eq!((cursor.lines_before, cursor.call_count), (2, 3));
        let second = read_page(&store, &query(2, Some(cursor))).await.unwrap();
        assert_eq!((second.lines.len(), second.next_cursor), (1, None));
        // The bill had 2 calls when the listing began: it changed.
        let stale = Cursor { call_count: 2, ..cursor };
        assert_eq!(read_page(&store, &query(2, Some(stale))).await.unwrap_err().code, ErrorCode::BillChanged);
        // A position that cannot add up (lines missed on an earlier page): start again.
        let off = Cursor { lines_before: 1, ..cursor };
        assert_eq!(read_page(&store, &query(2, Some(off))).await.unwrap_err().code, ErrorCode::BillChanged);
    }
}
