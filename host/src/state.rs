use wasmtime_wasi::{FsPerms, ResourceTable, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::durable::DurableInstance;
use crate::limits::MemoryLimit;
use crate::outbound::AllowedHosts;
use crate::{HostError, RunOptions};

/// What one store holds: WASI state (outgoing HTTP included, for the http agent,
/// to the allowed hosts), the memory limiter and the durable instance, if any.
pub struct HostState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    allowed_hosts: AllowedHosts,
    table: ResourceTable,
    pub memory: MemoryLimit,
    /// The instance, when the host provides `runtara:durable/context`.
    pub durable: Option<DurableInstance>,
}

impl HostState {
    pub fn new(options: &RunOptions) -> Result<Self, HostError> {
        let mut wasi = WasiCtxBuilder::new();
        wasi.inherit_stderr()
            .inherit_stdout()
            .arg("runtara-scenario");
        if let Some(durable) = &options.durable {
            // The workflow's `variables._instance_id` and `_tenant_id`.
            wasi.env("RUNTARA_INSTANCE_ID", &durable.key.instance)
                .env("RUNTARA_TENANT_ID", &durable.key.tenant);
        }
        for (host, guest) in &options.dirs {
            wasi.preopened_dir(host, guest, FsPerms::ReadWrite)
                .map_err(|e| HostError::Dir {
                    path: host.clone(),
                    source: std::io::Error::other(e.to_string()),
                })?;
        }
        Ok(Self {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            allowed_hosts: AllowedHosts::new(options.allowed_hosts.iter().cloned()),
            table: ResourceTable::new(),
            memory: MemoryLimit::new(options.max_memory_bytes),
            durable: options.durable.clone(),
        })
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.allowed_hosts,
        }
    }
}
