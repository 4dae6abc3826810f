//! The core's executor: runs instances of uploaded components in this process and
//! wakes the ones that wait.
//!
//! An instance runs when it is started, resumed, or due: a durable sleep that
//! suspended it has ended, or the core that ran it died (its lease passed). Its
//! state lives in the store, so a run picked up again replays its finished steps
//! from their checkpoints. The store's claims make sure one run of an instance at
//! a time, across the wake loop and API calls of every core, and lease the
//! instance to this core (its node id), which renews its leases with a heartbeat.
//! The wake loop claims due instances in batches of at most its free slots.
//!
//! At most `max_running` instances run at once; the others wait in the order they
//! were started, and keep their status (`pending`, `sleeping`) until their turn.
//! Compiled components are kept per (tenant, digest), the `max_compiled` most
//! recently used ones, prepared (imports resolved) so that a run only instantiates,
//! and on disk when the host has a compiled-component cache. Memories, tables and
//! stacks for `max_running` runs are reserved once and reused ([`Host::pooled`]).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::grants::TenantGrants;
use crate::lru::Lru;
use crate::slots::Slots;
use runtara_connections::ConnectionsKey;
use runtara_host::{
    CompiledCache, DurableInstance, Host, HostError, InstancePool, Outcome, Prepared, RunOptions,
};
use runtara_store::{Claimed, Fence, InstanceKey, Lease, Status, Store, StoreError, now_ms};

/// How often the wake loop looks for due instances.
const WAKE_INTERVAL: Duration = Duration::from_millis(200);

/// What the core runs instances with.
pub struct CoreOptions {
    /// Limits for every instance (`durable`, `dirs` and `allowed_hosts` are set per
    /// instance).
    pub run: RunOptions,
    /// What each tenant's instances may use (directories, HTTP hosts).
    pub grants: TenantGrants,
    /// A durable sleep with more than this left suspends the instance until the wake
    /// loop resumes it, instead of holding it in memory.
    pub suspend_sleeps_over: Duration,
    /// How many instances may run at once; the others wait their turn.
    pub max_running: usize,
    /// How many compiled components are kept in memory.
    pub max_compiled: usize,
    /// Where compiled components are kept on disk, so that a restarted core does not
    /// compile them again.
    pub compiled_cache: Option<CompiledCache>,
    /// This core's node id, and how long the lease on an instance it runs lasts
    /// past a claim or a heartbeat (it beats three times per lease).
    pub lease: Lease,
    /// Whether this core has the store to itself (SQLite, held with
    /// [`crate::hold_sqlite`]): any instance left running is then a dead core's,
    /// taken over at once rather than when its lease passes.
    pub alone: bool,
    /// The key connection secrets are sealed with; without one the core keeps no
    /// connections.
    pub connections_key: Option<Arc<ConnectionsKey>>,
}

/// The executor; share it as `Arc<Core>`.
pub struct Core {
    host: Arc<Host>,
    store: Store,
    options: CoreOptions,
    /// The instances this core took on, waiting for a slot or running.
    taken: Mutex<HashMap<InstanceKey, Phase>>,
    slots: Slots<QueuedRun>,
    compiled: Mutex<Lru<(String, String), Prepared>>,
    /// When this core started (ms since the epoch), as its node row says.
    started_at: i64,
}

/// Where an instance this core took on is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Waiting,
    Running,
}

/// A run waiting for a slot.
enum QueuedRun {
    /// An instance to claim once it has a slot, if it is then one of these statuses.
    ToClaim { key: InstanceKey, from: Vec<Status> },
    /// An instance the wake loop claimed already.
    Claimed { key: InstanceKey, claimed: Claimed },
}

impl Core {
    pub fn new(store: Store, options: CoreOptions) -> Result<Arc<Self>, HostError> {
        let pool = InstancePool {
            runs: options.max_running,
        };
        Ok(Arc::new(Self {
            host: Arc::new(Host::pooled(options.compiled_cache.clone(), pool)?),
            store,
            taken: Mutex::default(),
            slots: Slots::new(options.max_running),
            compiled: Mutex::new(Lru::new(options.max_compiled)),
            started_at: now_ms(),
            options,
        }))
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The key connection secrets are sealed with, if this core was given one.
    pub fn connections_key(&self) -> Option<&ConnectionsKey> {
        self.options.connections_key.as_deref()
    }

    /// Compiles and prepares an uploaded component to check it can run as an
    /// instance; hand the result to [`Core::keep_compiled`] once it is saved.
    /// Compiling takes seconds for a large component: call it off the async workers.
    pub fn check_component(&self, bytes: &[u8]) -> Result<Prepared, HostError> {
        let name = Path::new("the uploaded component");
        let component = self.host.load_bytes(bytes, name)?;
        self.host.check_durability(&component, true)?;
        self.host.prepare(&component)
    }

    /// Keeps a checked component compiled, so that runs of `digest` in `tenant`
    /// do not compile it again.
    pub fn keep_compiled(&self, tenant: &str, digest: &str, component: Prepared) {
        lock(&self.compiled).insert((tenant.to_owned(), digest.to_owned()), component);
    }

    /// Whether the tenant's component `digest` is kept compiled here, which it is
    /// only once it was uploaded.
    pub fn has_compiled(&self, tenant: &str, digest: &str) -> bool {
        lock(&self.compiled).contains(&(tenant.to_owned(), digest.to_owned()))
    }

    /// Runs the instance in the background, once a slot is free, if it is then
    /// `from` one of these statuses. False when this core took it on already.
    pub fn start(self: &Arc<Self>, key: InstanceKey, from: &[Status]) -> bool {
        {
            let mut taken = lock(&self.taken);
            if taken.contains_key(&key) {
                return false;
            }
            taken.insert(key.clone(), Phase::Waiting);
        }
        self.enter(QueuedRun::ToClaim {
            key,
            from: from.to_vec(),
        });
        true
    }

    /// Runs an instance the wake loop claimed, once a slot is free (the wake loop
    /// claims no more than the free slots). A start of it this core queued
    /// meanwhile will find it claimed.
    fn start_claimed(self: &Arc<Self>, key: InstanceKey, claimed: Claimed) {
        lock(&self.taken).insert(key.clone(), Phase::Running);
        self.enter(QueuedRun::Claimed { key, claimed });
    }

    fn enter(self: &Arc<Self>, queued: QueuedRun) {
        if let Some(run) = self.slots.enter(queued) {
            let core = self.clone();
            tokio::spawn(async move { core.run_in_slot(run).await });
        }
    }

    /// Runs `run`, then, in the same slot, each run that waits for one.
    async fn run_in_slot(&self, run: QueuedRun) {
        let mut next = Some(run);
        while let Some(queued) = next {
            let (key, claimed) = match queued {
                QueuedRun::Claimed { key, claimed } => (key, Some(claimed)),
                QueuedRun::ToClaim { key, from } => {
                    match self.store.claim(&key, &from, &self.options.lease).await {
                        Ok(Some(claimed)) => {
                            lock(&self.taken).insert(key.clone(), Phase::Running);
                            (key, Some(claimed))
                        }
                        Ok(None) => (key, None),
                        Err(error) => {
                            eprintln!("runtara serve: cannot start {key}: {error}");
                            (key, None)
                        }
                    }
                }
            };
            match claimed {
                Some(claimed) => {
                    match self.run(&key, claimed).await {
                        Ok(()) => {}
                        // Its writes were refused: another core took it over.
                        Err(StoreError::Fenced { .. }) => eprintln!(
                            "runtara serve: {key} was taken over by another core after this \
                             core's lease on it passed; this core's run of it stopped"
                        ),
                        Err(error) => eprintln!("runtara serve: {key}: {error}"),
                    }
                    lock(&self.taken).remove(&key);
                }
                // Cancelled, or claimed by someone else (the wake loop of this core
                // too, which then runs it), while it waited.
                None => {
                    let mut taken = lock(&self.taken);
                    if taken.get(&key) == Some(&Phase::Waiting) {
                        taken.remove(&key);
                    }
                }
            }
            next = self.slots.leave();
        }
    }

    /// One run of the instance, to completion, failure or suspension.
    async fn run(&self, key: &InstanceKey, instance: Claimed) -> Result<(), StoreError> {
        let component = match self.component(key, instance.component.as_deref()).await {
            Ok(component) => component,
            Err(message) => {
                return self
                    .fail(key, instance.fence, "COMPONENT_UNAVAILABLE", &message)
                    .await;
            }
        };
        let mut options = self.options.run.clone();
        // The tenant's own grants, never another's.
        let grants = self.options.grants.of(&key.tenant);
        options.dirs = grants.dirs;
        options.allowed_hosts = grants.allowed_hosts;
        options.durable = Some(
            DurableInstance::new(
                self.store.clone(),
                key.clone(),
                Some(self.options.suspend_sleeps_over),
            )
            .claimed(instance.has_checkpoints, instance.fence),
        );
        match self
            .host
            .run_prepared(&component, &instance.input, &options)
            .await
        {
            // The instance told the store itself how it ended.
            Ok(Outcome::Completed(_) | Outcome::Failed(_) | Outcome::Suspended(_)) => Ok(()),
            Err(error) => {
                let code = match error {
                    HostError::Timeout { .. } => "TIMEOUT",
                    HostError::MemoryLimit { .. } => "MEMORY_LIMIT",
                    _ => "HOST_ERROR",
                };
                self.fail(key, instance.fence, code, &error.to_string())
                    .await
            }
        }
    }

    /// Records that the run `fence` failed in the host. Refused once another core
    /// took the instance over: the failure was then most likely the refused write
    /// that stopped the run.
    async fn fail(
        &self,
        key: &InstanceKey,
        fence: Fence,
        code: &str,
        message: &str,
    ) -> Result<(), StoreError> {
        let error = json!({ "code": code, "message": message, "category": "permanent" });
        self.store
            .set_status_fenced(key, Some(fence), Status::Failed, Some(&error))
            .await
    }

    /// The instance's component, compiled and prepared once per core (off the async
    /// workers).
    async fn component(&self, key: &InstanceKey, digest: Option<&str>) -> Result<Prepared, String> {
        let digest = digest.ok_or("the instance names no component")?;
        let cache_key = (key.tenant.clone(), digest.to_owned());
        if let Some(component) = lock(&self.compiled).get(&cache_key) {
            return Ok(component);
        }
        let bytes = self
            .store
            .component(&key.tenant, digest)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("component {digest} was not uploaded"))?;
        let (host, name) = (self.host.clone(), digest.to_owned());
        let component = tokio::task::spawn_blocking(move || {
            host.prepare(&host.load_bytes(&bytes, Path::new(&name))?)
        })
        .await
        .map_err(|e| format!("compiling component {digest} stopped: {e}"))?
        .map_err(|e| e.to_string())?;
        lock(&self.compiled).insert(cache_key, component.clone());
        Ok(component)
    }

    /// This core's node id.
    pub fn node(&self) -> &str {
        &self.options.lease.node
    }

    /// How long a lease lasts; a node that has not beaten for that long is gone.
    pub fn lease_duration(&self) -> Duration {
        self.options.lease.duration
    }

    /// Claims and runs what is due, forever, as many as it has free slots for:
    /// pending instances, sleeping ones whose time has come, and running ones whose
    /// lease has passed. First it releases the leases a previous process of this
    /// core left (every lease, when the core has the store to itself), so their
    /// instances go on at once.
    pub async fn wake_loop(self: Arc<Self>) {
        let left_by = (!self.options.alone).then_some(self.node());
        if let Err(error) = self.store.release_leases(left_by).await {
            eprintln!(
                "runtara serve: cannot take over the instances a previous core left: {error}"
            );
        }
        loop {
            let free = self.slots.free();
            if free > 0 {
                match self.store.claim_due(&self.options.lease, free).await {
                    Ok(claimed) => {
                        for (key, instance) in claimed {
                            self.start_claimed(key, instance);
                        }
                    }
                    Err(error) => eprintln!("runtara serve: cannot claim due instances: {error}"),
                }
            }
            tokio::time::sleep(WAKE_INTERVAL).await;
        }
    }

    /// Beats three times per lease, forever: the node is alive at `address`, and
    /// the leases of the instances it runs go on.
    pub async fn heartbeat_loop(self: Arc<Self>, address: String) {
        let lease = &self.options.lease;
        loop {
            if let Err(error) = self.store.heartbeat(lease, &address, self.started_at).await {
                eprintln!(
                    "runtara serve: node {}: the heartbeat failed: {error}",
                    lease.node
                );
            }
            tokio::time::sleep(lease.duration / 3).await;
        }
    }
}

/// Locks a mutex, also when a thread panicked while holding it (the sets stay valid).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
