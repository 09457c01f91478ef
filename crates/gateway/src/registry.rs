//! What routing reads on every request — provider nodes, connections with their decrypted keys,
//! aliases — held in memory as one immutable snapshot. The database is the source of truth;
//! every management write reloads the snapshot, so the request path never queries SQLite or
//! decrypts a secret.

use std::sync::{Arc, RwLock};

use omniroute_store::aliases::Alias;
use omniroute_store::connections::Connection;
use omniroute_store::nodes::ProviderNode;
use omniroute_store::{SecretString, Secrets, Store, StoreError};

#[derive(Debug, Default)]
pub struct Snapshot {
    pub nodes: Vec<ProviderNode>,
    /// Every connection, by provider then priority, with its key.
    pub connections: Vec<LiveConnection>,
    pub aliases: Vec<Alias>,
}

#[derive(Debug)]
pub struct LiveConnection {
    pub row: Connection,
    pub api_key: Option<SecretString>,
}

impl Snapshot {
    pub fn node(&self, prefix: &str) -> Option<&ProviderNode> {
        self.nodes.iter().find(|n| n.prefix == prefix)
    }

    /// Enabled connections of `provider`, best (lowest priority value) first.
    pub fn connections_of<'a>(
        &'a self,
        provider: &'a str,
    ) -> impl Iterator<Item = &'a LiveConnection> + 'a {
        self.connections
            .iter()
            .filter(move |c| c.row.enabled && c.row.provider == provider)
    }
}

#[derive(Debug, Default)]
pub struct Registry {
    current: RwLock<Arc<Snapshot>>,
}

impl Registry {
    pub async fn load(store: &Store, secrets: &Secrets) -> Result<Self, StoreError> {
        let registry = Self::default();
        registry.reload(store, secrets).await?;
        Ok(registry)
    }

    /// The current snapshot (cheap: one read lock and an `Arc` clone).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Rebuilds the snapshot from the database.
    pub async fn reload(&self, store: &Store, secrets: &Secrets) -> Result<(), StoreError> {
        let mut connections = Vec::new();
        for row in store.connections().await? {
            let api_key = match &row.secret_name {
                Some(name) => secrets.get(name).await?,
                None => None,
            };
            connections.push(LiveConnection { row, api_key });
        }
        let snapshot = Arc::new(Snapshot {
            nodes: store.nodes().await?,
            connections,
            aliases: store.aliases().await?,
        });
        match self.current.write() {
            Ok(mut guard) => *guard = snapshot,
            Err(poisoned) => *poisoned.into_inner() = snapshot,
        }
        Ok(())
    }
}
