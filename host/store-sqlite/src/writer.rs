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
//!
//! A write is either a sqlx future ([`Writer::write`]) or a synchronous closure on the same
//! handle ([`Writer::write_direct`], see [`crate::direct`]). A group runs its writes in
//! arrival order as segments of one kind; a run of direct writes holds the handle once and
//! makes no thread hand-off per statement.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use sqlx::{Connection, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use crate::direct::DirectConn;
use selvedge_store::{StoreError, WriterStats};

/// The future a write returns; it borrows the writer connection.
pub(crate) type WriteFuture<'c, T> =
    Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'c>>;

/// Time after which an open group takes no more writes and commits.
const GROUP_BUDGET: Duration = Duration::from_millis(4);
/// Most writes in one group.
const GROUP_MAX: usize = 256;

/// A sqlx write waiting for the writer task, with its caller's answer channel.
trait PendingWrite: Send {
    /// Runs the write on `conn`, inside the group's transaction.
    fn run<'c>(
        self: Box<Self>,
        conn: &'c mut SqliteConnection,
    ) -> Pin<Box<dyn Future<Output = Box<dyn RanWrite>> + Send + 'c>>;

    /// Answers the caller without running (the group could not start).
    fn abort(self: Box<Self>, error: StoreError);
}

/// A direct write waiting for the writer task.
trait PendingDirect: Send {
    /// Runs the write on `conn`, inside the group's transaction.
    fn run(self: Box<Self>, conn: &rusqlite::Connection) -> Box<dyn RanWrite>;

    /// Answers the caller without running.
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

/// A panicking write must not take the writer task (and every later write) down.
fn panicked() -> StoreError {
    StoreError::WriteFailed("the write panicked".into())
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
            let result = AssertUnwindSafe(write(conn))
                .catch_unwind()
                .await
                .unwrap_or_else(|_| Err(panicked()));
            Box::new(Ran { result, answer }) as Box<dyn RanWrite>
        })
    }

    fn abort(self: Box<Self>, error: StoreError) {
        let _ = self.answer.send(Err(error));
    }
}

/// A direct write: `F` runs on the writer's thread with the handle locked.
struct Direct<T, F>(Pending<T, F>);

impl<T, F> PendingDirect for Direct<T, F>
where
    T: Send + 'static,
    F: FnOnce(&rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &rusqlite::Connection) -> Box<dyn RanWrite> {
        let Pending { write, answer } = self.0;
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| write(conn)))
            .unwrap_or_else(|_| Err(panicked()));
        Box::new(Ran { result, answer })
    }

    fn abort(self: Box<Self>, error: StoreError) {
        let _ = self.0.answer.send(Err(error));
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

/// A write in the writer's inbox.
enum Queued {
    Sqlx(Box<dyn PendingWrite>),
    Direct(Box<dyn PendingDirect>),
}

enum Message {
    Write(Queued),
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
        // Its own thread and runtime: direct writes block it while they run, and a sqlx
        // statement's return does not wait in the shared run queue behind every other task.
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

    async fn send<T>(
        &self,
        write: Queued,
        answered: oneshot::Receiver<Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        self.sender
            .send(Message::Write(write))
            .map_err(|_| StoreError::Closed)?;
        answered.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `write` in the next group transaction; returns its result once committed.
    pub(crate) async fn write<T, F>(&self, write: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> WriteFuture<'c, T> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let pending = Box::new(Pending { write, answer });
        self.send(Queued::Sqlx(pending), answered).await
    }

    /// As [`Writer::write`] for a synchronous write on the direct connection. It runs on the
    /// writer's thread and holds up every other write while it runs: statements only, no
    /// waiting on anything else.
    pub(crate) async fn write_direct<T, F>(&self, write: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let pending = Box::new(Direct(Pending { write, answer }));
        self.send(Queued::Direct(pending), answered).await
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
                let mut group = Group::new(budget);
                let commit = group.run(&mut conn, first, &mut inbox).await;
                closing = group.finish(commit, &stats);
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

/// The writes of one transaction.
struct Group {
    started: Instant,
    budget: Duration,
    begun: bool,
    ran: Vec<Box<dyn RanWrite>>,
    closing: Option<oneshot::Sender<()>>,
}

/// How a segment of one kind of write ended.
enum Segment {
    /// A write of the other kind joins the group next.
    Handoff(Queued),
    /// The group ended here: committed, or rolled back with the reason.
    Ended(Result<(), String>),
}

// `BEGIN IMMEDIATE` takes the write lock up front, so a second process on the same file waits
// on busy_timeout there instead of failing a lock upgrade later.
const BEGIN: &str = "BEGIN IMMEDIATE";
const SAVEPOINT: &str = "SAVEPOINT write";
const RELEASE: &str = "RELEASE write";
const ROLLBACK_WRITE: &str = "ROLLBACK TO write; RELEASE write";

impl Group {
    fn new(budget: Duration) -> Self {
        Self {
            started: Instant::now(),
            budget,
            begun: false,
            ran: Vec::new(),
            closing: None,
        }
    }

    /// Runs `first` and whatever queues behind it in one transaction and commits it.
    async fn run(
        &mut self,
        conn: &mut SqliteConnection,
        first: Queued,
        inbox: &mut mpsc::UnboundedReceiver<Message>,
    ) -> Result<(), String> {
        let mut next = first;
        loop {
            let segment = match next {
                Queued::Sqlx(write) => self.run_sqlx(conn, write, inbox).await,
                Queued::Direct(write) => self.run_direct(conn, write, inbox).await,
            };
            match segment {
                Segment::Handoff(write) => next = write,
                Segment::Ended(commit) => return commit,
            }
        }
    }

    /// The next write to join the group, if it takes more; a close request ends it.
    fn next(&mut self, inbox: &mut mpsc::UnboundedReceiver<Message>) -> Option<Queued> {
        if self.ran.len() >= GROUP_MAX || self.started.elapsed() >= self.budget {
            return None;
        }
        match inbox.try_recv() {
            Ok(Message::Write(write)) => Some(write),
            Ok(Message::Close(ack)) => {
                self.closing = Some(ack);
                None
            }
            Err(_) => None,
        }
    }

    /// Runs sqlx writes until the group ends or a direct write comes next.
    async fn run_sqlx(
        &mut self,
        conn: &mut SqliteConnection,
        first: Box<dyn PendingWrite>,
        inbox: &mut mpsc::UnboundedReceiver<Message>,
    ) -> Segment {
        if !self.begun {
            if let Err(e) = sqlx::raw_sql(BEGIN).execute(&mut *conn).await {
                let why = format!("begin failed: {e}");
                first.abort(StoreError::Database(e));
                return Segment::Ended(Err(why));
            }
            self.begun = true;
        }
        let mut write = first;
        loop {
            if let Err(why) = self.run_one_sqlx(conn, write).await {
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
                return Segment::Ended(Err(why));
            }
            match self.next(inbox) {
                Some(Queued::Sqlx(more)) => write = more,
                Some(direct) => return Segment::Handoff(direct),
                None => {
                    let commit = sqlx::raw_sql("COMMIT")
                        .execute(&mut *conn)
                        .await
                        .map(|_| ())
                        .map_err(|e| format!("commit failed: {e}"));
                    if commit.is_err() {
                        // Leaves nothing half-applied; harmless when the transaction is gone.
                        let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
                    }
                    return Segment::Ended(commit);
                }
            }
        }
    }

    /// Runs one sqlx write inside a savepoint. `Err` means the savepoint itself failed,
    /// which leaves the transaction unusable: the whole group is rolled back.
    async fn run_one_sqlx(
        &mut self,
        conn: &mut SqliteConnection,
        write: Box<dyn PendingWrite>,
    ) -> Result<(), String> {
        if let Err(e) = sqlx::raw_sql(SAVEPOINT).execute(&mut *conn).await {
            let why = format!("savepoint failed: {e}");
            write.abort(StoreError::WriteFailed(why.clone()));
            return Err(why);
        }
        let done = write.run(conn).await;
        let end = if done.succeeded() {
            RELEASE
        } else {
            ROLLBACK_WRITE
        };
        match sqlx::raw_sql(end).execute(&mut *conn).await {
            Ok(_) => {
                self.ran.push(done);
                Ok(())
            }
            Err(e) => {
                let why = format!("savepoint release failed: {e}");
                done.answer(Err(why.clone()));
                Err(why)
            }
        }
    }

    /// Runs direct writes, with the handle locked once, until the group ends or a sqlx
    /// write comes next.
    async fn run_direct(
        &mut self,
        conn: &mut SqliteConnection,
        first: Box<dyn PendingDirect>,
        inbox: &mut mpsc::UnboundedReceiver<Message>,
    ) -> Segment {
        let mut lock = match conn.lock_handle().await {
            Ok(lock) => lock,
            Err(e) => {
                // The connection's thread is gone: nothing more can be written or rolled back.
                let why = format!("the writer connection is lost: {e}");
                first.abort(StoreError::Database(e));
                return Segment::Ended(Err(why));
            }
        };
        let db = match DirectConn::attach(&mut lock) {
            Ok(db) => db,
            Err(e) => {
                let why = e.to_string();
                first.abort(e);
                return Segment::Ended(Err(why));
            }
        };
        if !self.begun {
            if let Err(e) = db.execute_batch(BEGIN) {
                let why = format!("begin failed: {e}");
                first.abort(e.into());
                return Segment::Ended(Err(why));
            }
            self.begun = true;
        }
        let mut write = first;
        loop {
            if let Err(why) = self.run_one_direct(&db, write) {
                let _ = db.execute_batch("ROLLBACK");
                return Segment::Ended(Err(why));
            }
            match self.next(inbox) {
                Some(Queued::Direct(more)) => write = more,
                Some(sqlx) => return Segment::Handoff(sqlx),
                None => {
                    let commit = db
                        .execute_batch("COMMIT")
                        .map_err(|e| format!("commit failed: {e}"));
                    if commit.is_err() {
                        let _ = db.execute_batch("ROLLBACK");
                    }
                    return Segment::Ended(commit);
                }
            }
        }
    }

    /// [`Group::run_one_sqlx`] for a direct write.
    fn run_one_direct(
        &mut self,
        db: &rusqlite::Connection,
        write: Box<dyn PendingDirect>,
    ) -> Result<(), String> {
        if let Err(e) = db.prepare_cached(SAVEPOINT).and_then(|mut s| s.execute([])) {
            let why = format!("savepoint failed: {e}");
            write.abort(StoreError::WriteFailed(why.clone()));
            return Err(why);
        }
        let done = write.run(db);
        let end = if done.succeeded() {
            db.prepare_cached(RELEASE).and_then(|mut s| s.execute([]))
        } else {
            db.execute_batch(ROLLBACK_WRITE).map(|()| 0)
        };
        match end {
            Ok(_) => {
                self.ran.push(done);
                Ok(())
            }
            Err(e) => {
                let why = format!("savepoint release failed: {e}");
                done.answer(Err(why.clone()));
                Err(why)
            }
        }
    }

    /// Answers every write with the group's outcome; returns a close request met on the way.
    fn finish(self, commit: Result<(), String>, stats: &Counters) -> Option<oneshot::Sender<()>> {
        stats
            .writes
            .fetch_add(self.ran.len() as u64, Ordering::Relaxed);
        match &commit {
            Ok(()) => {
                stats.commits.fetch_add(1, Ordering::Relaxed);
            }
            Err(why) => {
                tracing::error!(error = %why, writes = self.ran.len(), "state store group commit failed");
            }
        }
        for done in self.ran {
            done.answer(commit.clone());
        }
        self.closing
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

    fn insert_direct(
        x: i64,
        fail_after: bool,
    ) -> impl FnOnce(&rusqlite::Connection) -> Result<i64, StoreError> + Send + 'static {
        move |conn| {
            conn.execute("INSERT INTO t (x) VALUES (?1)", [x])?;
            if fail_after {
                return Err(StoreError::InvalidArgument(format!("refusing {x}")));
            }
            Ok(x)
        }
    }

    #[tokio::test]
    async fn direct_and_sqlx_writes_share_one_commit_in_arrival_order() {
        let (_dir, writer, options) = writer_on_temp_file().await;
        let spawn_direct = |x, fail| {
            let w = writer.clone();
            tokio::spawn(async move { w.write_direct(insert_direct(x, fail)).await })
        };
        let spawn_sqlx = |x, fail| {
            let w = writer.clone();
            tokio::spawn(async move { w.write(insert(x, fail)).await })
        };
        // Queued before the writer runs: direct, direct (fails), sqlx, direct, sqlx (fails).
        let a = spawn_direct(1, false);
        let b = spawn_direct(2, true);
        let c = spawn_sqlx(3, false);
        let d = spawn_direct(4, false);
        let e = spawn_sqlx(5, true);
        assert_eq!(a.await.unwrap().expect("a committed"), 1);
        let refused = b.await.unwrap().expect_err("b fails");
        assert!(refused.to_string().contains("refusing 2"), "{refused}");
        assert_eq!(c.await.unwrap().expect("c committed"), 3);
        assert_eq!(d.await.unwrap().expect("d committed"), 4);
        assert!(e.await.unwrap().is_err(), "e fails");
        assert_eq!(
            writer.stats(),
            WriterStats {
                writes: 5,
                commits: 1
            },
            "one transaction across the switches between kinds"
        );

        writer.close().await;
        let mut conn = options.connect().await.expect("reconnect");
        let rows: Vec<i64> = sqlx::query_scalar("SELECT x FROM t ORDER BY rowid")
            .fetch_all(&mut conn)
            .await
            .expect("read");
        assert_eq!(
            rows,
            vec![1, 3, 4],
            "in arrival order, the failed ones rolled back alone"
        );
    }

    #[tokio::test]
    async fn a_panicking_direct_write_is_an_error_and_the_writer_keeps_serving() {
        let (_dir, writer, _options) = writer_on_temp_file().await;
        let panicked = writer
            .write_direct(|_conn: &rusqlite::Connection| -> Result<(), StoreError> {
                panic!("bug in a write")
            })
            .await;
        assert!(
            matches!(panicked, Err(StoreError::WriteFailed(_))),
            "{panicked:?}"
        );
        assert_eq!(
            writer
                .write_direct(insert_direct(8, false))
                .await
                .expect("next direct write"),
            8
        );
        assert_eq!(writer.write(insert(9, false)).await.expect("next write"), 9);
    }

    #[tokio::test]
    async fn a_direct_write_sqlite_refuses_fails_alone_and_its_group_commits() {
        let (_dir, writer, options) = writer_on_temp_file().await;
        let bad = {
            let w = writer.clone();
            tokio::spawn(async move {
                w.write_direct(|conn: &rusqlite::Connection| -> Result<(), StoreError> {
                    conn.execute("INSERT INTO missing_table (x) VALUES (1)", [])?;
                    Ok(())
                })
                .await
            })
        };
        let good = {
            let w = writer.clone();
            tokio::spawn(async move { w.write_direct(insert_direct(6, false)).await })
        };
        let refused = bad.await.unwrap().expect_err("no such table");
        assert!(refused.to_string().contains("missing_table"), "{refused}");
        assert_eq!(good.await.unwrap().expect("good committed"), 6);
        writer.close().await;
        let mut conn = options.connect().await.expect("reconnect");
        let rows: Vec<i64> = sqlx::query_scalar("SELECT x FROM t")
            .fetch_all(&mut conn)
            .await
            .expect("read");
        assert_eq!(rows, vec![6]);
    }
}
