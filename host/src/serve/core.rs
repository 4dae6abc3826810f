//! The core's executor: runs instances of uploaded components in this process and
//! wakes the ones that wait.
//!
//! An instance runs when it is started, resumed, or due: a durable sleep that
//! suspended it has ended, or (when the core starts) a previous core process died
//! while it ran. Its state lives in the store, so a run picked up again replays
//! its finished steps from their checkpoints. The store's `claim` makes sure one
//! run of an instance at a time, across the wake loop and API calls.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use wasmtime::component::Component;

use crate::store::{InstanceKey, Status, Store, StoreError};
use crate::{DurableInstance, Host, HostError, Outcome, RunOptions};

/// How often the wake loop looks for due instances.
const WAKE_INTERVAL: Duration = Duration::from_millis(200);

/// What the core runs instances with.
pub struct CoreOptions {
    /// Limits and grants for every instance (`durable` is set per instance).
    pub run: RunOptions,
    /// A durable sleep with more than this left suspends the instance until the wake
    /// loop resumes it, instead of holding it in memory.
    pub suspend_sleeps_over: Duration,
}

/// The executor; share it as `Arc<Core>`.
pub struct Core {
    host: Host,
    store: Store,
    options: CoreOptions,
    running: Mutex<HashSet<InstanceKey>>,
    compiled: Mutex<HashMap<(String, String), Component>>,
}

impl Core {
    pub fn new(store: Store, options: CoreOptions) -> Result<Arc<Self>, HostError> {
        Ok(Arc::new(Self {
            host: Host::new()?,
            store,
            options,
            running: Mutex::default(),
            compiled: Mutex::default(),
        }))
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Compiles an uploaded component to check it can run as an instance; hand
    /// the result to [`Core::keep_compiled`] once it is saved. Compiling takes
    /// seconds for a large component: call it off the async workers.
    pub fn check_component(&self, bytes: &[u8]) -> Result<Component, HostError> {
        let component = self
            .host
            .load_bytes(bytes, Path::new("the uploaded component"))?;
        self.host.check_durability(&component, true)?;
        Ok(component)
    }

    /// Keeps a checked component compiled, so that runs of `digest` in `tenant`
    /// do not compile it again.
    pub fn keep_compiled(&self, tenant: &str, digest: &str, component: Component) {
        lock(&self.compiled).insert((tenant.to_owned(), digest.to_owned()), component);
    }

    /// Whether this core is running the instance now.
    pub fn is_running(&self, key: &InstanceKey) -> bool {
        lock(&self.running).contains(key)
    }

    /// Runs the instance in the background if it is `from` one of these statuses.
    pub async fn start(
        self: &Arc<Self>,
        key: InstanceKey,
        from: &[Status],
    ) -> Result<bool, StoreError> {
        if self.is_running(&key) || !self.store.claim(&key, from).await? {
            return Ok(false);
        }
        lock(&self.running).insert(key.clone());
        let core = self.clone();
        tokio::spawn(async move {
            if let Err(error) = core.run(&key).await {
                eprintln!("runtara serve: {key}: {error}");
            }
            lock(&core.running).remove(&key);
        });
        Ok(true)
    }

    /// One run of the instance, to completion, failure or suspension.
    async fn run(&self, key: &InstanceKey) -> Result<(), StoreError> {
        let Some(instance) = self.store.instance(key).await? else {
            return Ok(());
        };
        let component = match self.component(key, instance.component.as_deref()).await {
            Ok(component) => component,
            Err(message) => return self.fail(key, "COMPONENT_UNAVAILABLE", &message).await,
        };
        let mut options = self.options.run.clone();
        options.durable = Some(DurableInstance {
            store: self.store.clone(),
            key: key.clone(),
            suspend_sleeps_over: Some(self.options.suspend_sleeps_over),
        });
        match self.host.run(&component, &instance.input, &options).await {
            // The instance told the store itself how it ended.
            Ok(Outcome::Completed(_) | Outcome::Failed(_) | Outcome::Suspended(_)) => Ok(()),
            Err(error) => self.fail(key, "HOST_ERROR", &error.to_string()).await,
        }
    }

    async fn fail(&self, key: &InstanceKey, code: &str, message: &str) -> Result<(), StoreError> {
        let error = json!({ "code": code, "message": message, "category": "permanent" });
        self.store
            .set_status(key, Status::Failed, Some(&error))
            .await
    }

    /// The instance's component, compiled once per core.
    async fn component(
        &self,
        key: &InstanceKey,
        digest: Option<&str>,
    ) -> Result<Component, String> {
        let digest = digest.ok_or("the instance names no component")?;
        let cache_key = (key.tenant.clone(), digest.to_owned());
        if let Some(component) = lock(&self.compiled).get(&cache_key) {
            return Ok(component.clone());
        }
        let bytes = self
            .store
            .component(&key.tenant, digest)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("component {digest} was not uploaded"))?;
        let component = self
            .host
            .load_bytes(&bytes, Path::new(digest))
            .map_err(|e| e.to_string())?;
        lock(&self.compiled).insert(cache_key, component.clone());
        Ok(component)
    }

    /// Starts what is due, forever: first also what a previous core left running.
    pub async fn wake_loop(self: Arc<Self>) {
        let mut first = true;
        loop {
            match self.store.due(first).await {
                Ok(due) => {
                    for key in due {
                        let from = [Status::Pending, Status::Sleeping, Status::Running];
                        let from = if first { &from[..] } else { &from[..2] };
                        if let Err(error) = self.start(key.clone(), from).await {
                            eprintln!("runtara serve: cannot start {key}: {error}");
                        }
                    }
                    first = false;
                }
                Err(error) => eprintln!("runtara serve: cannot look for due instances: {error}"),
            }
            tokio::time::sleep(WAKE_INTERVAL).await;
        }
    }
}

/// Locks a mutex, also when a thread panicked while holding it (the sets stay valid).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
