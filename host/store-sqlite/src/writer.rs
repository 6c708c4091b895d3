//! Group commit on the single writer connection.
//!
//! Every write is sent to one task that owns the writer connection. While a transaction is
//! open, the writes that queue up behind it join it, so one `COMMIT` (one fsync with
//! `synchronous = FULL`) makes many writes durable at once: under a burst the cost per write
//! falls instead of the queue growing. A caller hears back only after the commit, so an
//! `Ok` still means "on disk".
//!
//! Each write runs inside its own `SAVEPOINT`: a write that fails rolls back alone and its
//! caller gets its own error, while the others in the group still commit. A group stops
//! taking new writes after [`GROUP_BUDGET`] or [`GROUP_MAX`] writes, so the first write of a
//! group never waits long for the ones that joined after it.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use sqlx::{Connection, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use selvedge_store::{StoreError, WriterStats};

/// The future a write returns; it borrows the writer connection.
pub(crate) type WriteFuture<'c, T> =
    Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'c>>;

/// Time after which an open group takes no more writes and commits.
const GROUP_BUDGET: Duration = Duration::from_millis(4);
/// Most writes in one group.
const GROUP_MAX: usize = 256;

/// A write waiting for the writer task, with its caller's answer channel.
trait PendingWrite: Send {
    /// Runs the write on `conn`, inside the group's transaction.
    fn run<'c>(
        self: Box<Self>,
        conn: &'c mut SqliteConnection,
    ) -> Pin<Box<dyn Future<Output = Box<dyn RanWrite>> + Send + 'c>>;

    /// Answers the caller without running (the group could not start).
    fn abort(self: Box<Self>, error: StoreError);
}

/// A write that ran and waits for the commit before its caller hears.
trait RanWrite: Send {
    fn succeeded(&self) -> bool;
    fn answer(self: Box<Self>, commit: Result<(), String>);
}

struct Pending<T, F> {
    write: F,
    answer: oneshot::Sender<Result<T, StoreError>>,
}

struct Ran<T> {
    result: Result<T, StoreError>,
    answer: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> PendingWrite for Pending<T, F>
where
    T: Send + 'static,
    F: for<'c> FnOnce(&'c mut SqliteConnection) -> WriteFuture<'c, T> + Send + 'static,
{
    fn run<'c>(
        self: Box<Self>,
        conn: &'c mut SqliteConnection,
    ) -> Pin<Box<dyn Future<Output = Box<dyn RanWrite>> + Send + 'c>> {
        let Pending { write, answer } = *self;
        Box::pin(async move {
            // A panicking write must not take the writer task (and every later write) down.
            let result = match AssertUnwindSafe(write(conn)).catch_unwind().await {
                Ok(result) => result,
                Err(_) => Err(StoreError::WriteFailed("the write panicked".into())),
            };
            Box::new(Ran { result, answer }) as Box<dyn RanWrite>
        })
    }

    fn abort(self: Box<Self>, error: StoreError) {
        let _ = self.answer.send(Err(error));
    }
}

impl<T: Send> RanWrite for Ran<T> {
    fn succeeded(&self) -> bool {
        self.result.is_ok()
    }

    fn answer(self: Box<Self>, commit: Result<(), String>) {
        let result = match (self.result, commit) {
            (Err(e), _) => Err(e),
            (Ok(value), Ok(())) => Ok(value),
            (Ok(_), Err(why)) => Err(StoreError::WriteFailed(why)),
        };
        // The caller may have gone away; the write is committed either way.
        let _ = self.answer.send(result);
    }
}

enum Message {
    Write(Box<dyn PendingWrite>),
    Close(oneshot::Sender<()>),
}

/// Handle to the writer task. Cloning shares the task.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    sender: mpsc::UnboundedSender<Message>,
    stats: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    writes: AtomicU64,
    commits: AtomicU64,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Message::Write(_) => "Write",
            Message::Close(_) => "Close",
        })
    }
}

impl Writer {
    /// Starts the writer task on a thread of its own; it owns `conn` from now on.
    pub(crate) fn spawn(conn: SqliteConnection) -> Self {
        Self::spawn_with_budget(conn, GROUP_BUDGET)
    }

    /// As [`Writer::spawn`], with `budget` instead of [`GROUP_BUDGET`] (tests that must not
    /// depend on how fast a loaded machine runs the first write).
    fn spawn_with_budget(conn: SqliteConnection, budget: Duration) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        let stats = Arc::new(Counters::default());
        let counters = stats.clone();
        // Its own thread and runtime: every statement of a group is a round trip to the
        // driver's connection thread, and on the shared runtime each return waited in the
        // run queue behind every other task (the group, and every write in it, with it).
        let spawned = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(run(conn, receiver, counters, budget)),
                    // Dropping the inbox answers every write with `Closed`.
                    Err(e) => tracing::error!(error = %e, "the state store's writer cannot start"),
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "the state store's writer thread cannot start");
        }
        Self { sender, stats }
    }

    /// Writes and commits so far.
    pub(crate) fn stats(&self) -> WriterStats {
        WriterStats {
            writes: self.stats.writes.load(Ordering::Relaxed),
            commits: self.stats.commits.load(Ordering::Relaxed),
        }
    }

    /// Runs `write` in the next group transaction; returns its result once committed.
    pub(crate) async fn write<T, F>(&self, write: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> WriteFuture<'c, T> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        self.sender
            .send(Message::Write(Box::new(Pending { write, answer })))
            .map_err(|_| StoreError::Closed)?;
        answered.await.map_err(|_| StoreError::Closed)?
    }

    /// Commits what is queued, stops the task and closes the connection (checkpointing
    /// the WAL). Writes sent afterwards fail with [`StoreError::Closed`].
    pub(crate) async fn close(&self) {
        let (ack, acked) = oneshot::channel();
        if self.sender.send(Message::Close(ack)).is_ok() {
            let _ = acked.await;
        }
    }
}

async fn run(
    mut conn: SqliteConnection,
    mut inbox: mpsc::UnboundedReceiver<Message>,
    stats: Arc<Counters>,
    budget: Duration,
) {
    let mut closing = None;
    while let Some(message) = inbox.recv().await {
        match message {
            Message::Write(first) => {
                closing = commit_group(&mut conn, first, &mut inbox, (&stats, budget)).await;
                if closing.is_some() {
                    break;
                }
            }
            Message::Close(ack) => {
                closing = Some(ack);
                break;
            }
        }
    }
    if let Err(e) = conn.close().await {
        tracing::warn!(error = %e, "closing the state store's writer connection failed");
    }
    if let Some(ack) = closing {
        let _ = ack.send(());
    }
}

/// Runs `first` and whatever queues behind it in one transaction. Returns a close request
/// met on the way, after committing the group.
async fn commit_group(
    conn: &mut SqliteConnection,
    first: Box<dyn PendingWrite>,
    inbox: &mut mpsc::UnboundedReceiver<Message>,
    (stats, budget): (&Counters, Duration),
) -> Option<oneshot::Sender<()>> {
    // IMMEDIATE takes the write lock up front, so a second process on the same file waits on
    // busy_timeout here instead of failing a lock upgrade later.
    if let Err(e) = sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut *conn).await {
        first.abort(StoreError::Database(e));
        return None;
    }
    let started = Instant::now();
    let mut ran: Vec<Box<dyn RanWrite>> = Vec::new();
    let mut next = Some(first);
    let mut closing = None;
    let mut broken = None;
    while let Some(write) = next.take() {
        match run_one(conn, write).await {
            Ok(done) => ran.push(done),
            Err(why) => {
                broken = Some(why);
                break;
            }
        }
        if ran.len() >= GROUP_MAX || started.elapsed() >= budget {
            break;
        }
        match inbox.try_recv() {
            Ok(Message::Write(write)) => next = Some(write),
            Ok(Message::Close(ack)) => closing = Some(ack),
            Err(_) => {}
        }
    }
    let commit = match broken {
        Some(why) => Err(why),
        None => sqlx::raw_sql("COMMIT")
            .execute(&mut *conn)
            .await
            .map(|_| ())
            .map_err(|e| format!("commit failed: {e}")),
    };
    if commit.is_err() {
        // Leaves nothing half-applied; harmless when the transaction is already gone.
        let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
    }
    stats.writes.fetch_add(ran.len() as u64, Ordering::Relaxed);
    match &commit {
        Ok(()) => {
            stats.commits.fetch_add(1, Ordering::Relaxed);
        }
        Err(why) => {
            tracing::error!(error = %why, writes = ran.len(), "state store group commit failed");
        }
    }
    for done in ran {
        done.answer(commit.clone());
    }
    closing
}

/// Runs one write inside a savepoint. `Err` means the savepoint itself failed, which leaves
/// the transaction unusable: the whole group is rolled back.
async fn run_one(
    conn: &mut SqliteConnection,
    write: Box<dyn PendingWrite>,
) -> Result<Box<dyn RanWrite>, String> {
    if let Err(e) = sqlx::raw_sql("SAVEPOINT write").execute(&mut *conn).await {
        let why = format!("savepoint failed: {e}");
        write.abort(StoreError::WriteFailed(why.clone()));
        return Err(why);
    }
    let done = write.run(conn).await;
    let end = if done.succeeded() {
        "RELEASE write"
    } else {
        "ROLLBACK TO write; RELEASE write"
    };
    match sqlx::raw_sql(end).execute(&mut *conn).await {
        Ok(_) => Ok(done),
        Err(e) => {
            let why = format!("savepoint release failed: {e}");
            done.answer(Err(why.clone()));
            Err(why)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use sqlx::ConnectOptions;
    use sqlx::sqlite::SqliteConnectOptions;

    async fn writer_on_temp_file() -> (tempfile::TempDir, Writer, SqliteConnectOptions) {
        let dir = tempfile::tempdir().expect("temp dir");
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("w.db"))
            .create_if_missing(true);
        let mut conn = options.connect().await.expect("connect");
        sqlx::raw_sql("CREATE TABLE t (x INTEGER NOT NULL)")
            .execute(&mut conn)
            .await
            .expect("schema");
        // A budget no loaded machine reaches: these tests count commits.
        (
            dir,
            Writer::spawn_with_budget(conn, Duration::from_secs(30)),
            options,
        )
    }

    fn insert(
        x: i64,
        fail_after: bool,
    ) -> impl for<'c> FnOnce(&'c mut SqliteConnection) -> WriteFuture<'c, i64> + Send + 'static
    {
        move |conn| {
            Box::pin(async move {
                sqlx::query("INSERT INTO t (x) VALUES (?)")
                    .bind(x)
                    .execute(&mut *conn)
                    .await?;
                if fail_after {
                    return Err(StoreError::InvalidArgument(format!("refusing {x}")));
                }
                Ok(x)
            })
        }
    }

    #[tokio::test]
    async fn queued_writes_share_one_commit_and_a_failed_one_leaves_no_row() {
        let (_dir, writer, options) = writer_on_temp_file().await;
        // On this single-threaded runtime all three are queued before the writer runs.
        let a = tokio::spawn({
            let w = writer.clone();
            async move { w.write(insert(1, false)).await }
        });
        let b = tokio::spawn({
            let w = writer.clone();
            async move { w.write(insert(2, true)).await }
        });
        let c = tokio::spawn({
            let w = writer.clone();
            async move { w.write(insert(3, false)).await }
        });
        assert_eq!(a.await.expect("a").expect("a committed"), 1);
        let refused = b.await.expect("b").expect_err("b fails");
        assert!(refused.to_string().contains("refusing 2"), "{refused}");
        assert_eq!(c.await.expect("c").expect("c committed"), 3);
        assert_eq!(
            writer.stats(),
            WriterStats {
                writes: 3,
                commits: 1
            }
        );

        writer.close().await;
        let mut conn = options.connect().await.expect("reconnect");
        let rows: Vec<i64> = sqlx::query_scalar("SELECT x FROM t ORDER BY x")
            .fetch_all(&mut conn)
            .await
            .expect("read");
        assert_eq!(rows, vec![1, 3], "the failed write rolled back alone");
    }

    #[tokio::test]
    async fn a_panicking_write_is_an_error_and_the_writer_keeps_serving() {
        let (_dir, writer, _options) = writer_on_temp_file().await;
        let panicked = writer
            .write(|_conn: &mut SqliteConnection| -> WriteFuture<'_, ()> {
                Box::pin(async { panic!("bug in a write") })
            })
            .await;
        assert!(
            matches!(panicked, Err(StoreError::WriteFailed(_))),
            "{panicked:?}"
        );
        assert_eq!(writer.write(insert(7, false)).await.expect("next write"), 7);
    }
}
