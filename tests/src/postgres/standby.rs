//! Failover: a synchronous streaming standby of a cluster, and its promotion.
//!
//! [`PgCluster::standby`] copies the primary with `pg_basebackup -R` (which also writes the
//! standby's `primary_conninfo` and `standby.signal`), starts the copy on a port of its own, and
//! names it in the primary's `synchronous_standby_names`: from then on every commit on the
//! primary waits until the standby has the commit on disk, so a commit the primary confirmed
//! survives the primary's crash. It does not wait for the standby to *apply* it: a read on the
//! standby right after a write may not see it yet (tests poll, or use
//! [`PgCluster::wait_for_replay`]).

use std::{
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use super::{PgCluster, PgError, Role, tools::run};

/// How long a new standby may take to stream as the primary's synchronous standby, and a
/// standby to replay up to the primary's WAL position.
const REPLICATION_WAIT: Duration = Duration::from_secs(30);

impl PgCluster {
    /// A hot standby of `primary` on a new port, streaming, which the primary now waits for on
    /// every commit (the newest standby replaces an earlier one in `synchronous_standby_names`).
    /// The standby takes `primary`'s options. Reads work on it; writes fail until
    /// [`promote`](Self::promote).
    pub fn standby(primary: &PgCluster) -> Result<PgCluster, PgError> {
        if !primary.running {
            return Err(PgError::State("to copy for a standby is not running"));
        }
        let mut standby = Self::prepare(primary.options.clone(), Role::Standby)?;
        // Named apart from its port, which may change if another process takes it first.
        static STANDBYS: AtomicU32 = AtomicU32::new(0);
        let name = format!("standby_{}", STANDBYS.fetch_add(1, Ordering::Relaxed) + 1);
        let mut backup = standby
            .runner
            .server_program("pg_basebackup", standby.dir.path());
        backup
            .arg("-D")
            .arg(standby.data_dir())
            // TCP, as a standby on another machine would connect; application_name is how the
            // primary's synchronous_standby_names recognises this standby.
            .arg("-d")
            .arg(format!(
                "host=127.0.0.1 port={} user=postgres application_name={name}",
                primary.port
            ))
            .args(["-R", "-X", "stream", "--checkpoint=fast", "--no-sync"]);
        run(&mut backup)?;
        // The copy carries the primary's harness.conf (its port, its socket: rewritten when the
        // standby starts on a port of its own) and may carry a synchronous_standby_names: a promoted standby with no standby of its own
        // must not wait for one on every commit. postgresql.auto.conf is read last.
        let auto_conf = standby.data_dir().join("postgresql.auto.conf");
        let mut auto = std::fs::read_to_string(&auto_conf)
            .map_err(PgError::io("reading the standby's postgresql.auto.conf"))?;
        auto.push_str("synchronous_standby_names = ''\n");
        standby.runner.write(&auto_conf, &auto)?;
        standby.start_on_a_free_port()?;

        primary.psql(
            "postgres",
            &format!("ALTER SYSTEM SET synchronous_standby_names = '\"{name}\"'"),
        )?;
        primary.psql("postgres", "SELECT pg_reload_conf()")?;
        let query =
            format!("SELECT sync_state FROM pg_stat_replication WHERE application_name = '{name}'");
        Self::wait_for(
            "the standby streaming as synchronous",
            REPLICATION_WAIT,
            || Ok(primary.psql("postgres", &query)? == "sync"),
        )?;
        Ok(standby)
    }

    /// Turns a standby into a primary (`pg_ctl promote -w`: returns when it takes writes).
    pub fn promote(&mut self) -> Result<(), PgError> {
        if self.role != Role::Standby {
            return Err(PgError::State("is not a standby"));
        }
        if !self.running {
            return Err(PgError::State("is not running"));
        }
        let mut promote = self.pg_ctl();
        promote.arg("promote");
        run(&mut promote)?;
        self.role = Role::Primary;
        Ok(())
    }

    /// Waits until this standby has replayed everything `primary` has written so far: after
    /// it, a read on the standby sees every commit the primary had confirmed.
    pub fn wait_for_replay(&self, primary: &PgCluster) -> Result<(), PgError> {
        let target = primary.psql("postgres", "SELECT pg_current_wal_lsn()")?;
        let query = format!("SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn");
        Self::wait_for(
            "the standby replaying the primary's WAL",
            REPLICATION_WAIT,
            || Ok(self.psql("postgres", &query)? == "t"),
        )
    }
}
