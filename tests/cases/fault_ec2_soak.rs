// A short mixed soak of the EC2 driver on moto behind the fault proxy
// (tests/common/fault_proxy.rs), which breaks a share of the exchanges before or after
// forwarding them: key pairs made, imported, deleted and listed, a steady node looked at
// and listed. Each key's possible states are tracked (an `Err` write may or may not have
// happened), every `Ok` answer is checked against them, every error must be explained
// by a fault injected during its operation, and the account is read back at the end
// without the proxy. RunInstances stays out of the faulted traffic: moto ignores the
// ClientToken that makes a retried launch safe on EC2. Included after `fault_ec2.rs`.
//
// MULTICLOUD_FAULT_SEED (printed; random when unset), MULTICLOUD_FAULT_EC2_OPS (default 60).

/// The key pair names the soak works on.
const EC2_SOAK_KEYS: [&str; 4] = ["k0", "k1", "k2", "k3"];

/// A valid OpenSSH public key (moto checks the format of imported keys).
const EC2_SOAK_PUBLIC_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDZXpkuHvI62iaI9zrO0FZd9KERZOJiK9g09N+pQVKdp soak";

/// Faults the driver's limits can see: stalls outlast the whole-call limit, trickles
/// finish well within it.
const EC2_SOAK_TIMING: Timing = Timing {
    stall: Duration::from_secs(1),
    trickle_gap: Duration::from_millis(10),
    trickle_pieces: 5,
};

/// The states one key pair may be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ec2Maybe {
    absent: bool,
    present: bool,
}

const EC2_ABSENT: Ec2Maybe = Ec2Maybe {
    absent: true,
    present: false,
};
const EC2_PRESENT: Ec2Maybe = Ec2Maybe {
    absent: false,
    present: true,
};

/// One soak run: the driver through the proxy, what each key may be, what went wrong.
struct Ec2Soak {
    d: Ec2,
    proxy: FaultProxy,
    node: String,
    keys: [Ec2Maybe; 4],
    problems: Vec<String>,
    op: usize,
}

impl Ec2Soak {
    fn problem(&mut self, what: String) {
        let faults = self.proxy.faults_of(self.op);
        self.problems
            .push(format!("op {}: {what} (faults: {faults:?})", self.op));
    }

    /// An error must come from a fault injected during this operation, and be of a kind
    /// such a fault gives.
    fn error(&mut self, what: &str, e: &Error) {
        let kind_ok = matches!(
            e.kind(),
            ErrorKind::Transport
                | ErrorKind::Timeout
                | ErrorKind::RateLimited
                | ErrorKind::Provider
        );
        if !kind_ok || self.proxy.faults_of(self.op).is_empty() {
            self.problem(format!("{what}: unexplained {:?}: {e}", e.kind()));
        }
    }

    /// An `Ok` answer says key `k` is (or is not) there: it must be a state the key may
    /// be in, and is now the only one.
    fn saw(&mut self, what: &str, k: usize, present: bool) {
        let may = self.keys[k];
        if (present && !may.present) || (!present && !may.absent) {
            self.problem(format!(
                "{what}: {} seen {}, but it may be {may:?}",
                EC2_SOAK_KEYS[k],
                if present { "present" } else { "absent" }
            ));
        }
        self.keys[k] = if present { EC2_PRESENT } else { EC2_ABSENT };
    }

    /// A create or import: `Ok` means the key was absent and is now there; `AlreadyExists`
    /// that it was there; any other error that it may be there now.
    fn created(
        &mut self,
        what: &str,
        k: usize,
        result: multicloud::Result<multicloud::compute::KeyPair>,
        private: bool,
    ) {
        match result {
            Ok(key) => {
                if key.name != EC2_SOAK_KEYS[k] || key.private_key.is_some() != private {
                    self.problem(format!("{what}: answered {key:?}"));
                }
                self.saw(what, k, false);
                self.keys[k] = EC2_PRESENT;
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => self.saw(what, k, true),
            Err(e) => {
                self.error(what, &e);
                self.keys[k].present = true;
            }
        }
    }

    /// A delete: `Ok` means the key was there and is gone; `NotFound` that it was not
    /// there; any other error that it may be gone.
    fn deleted(&mut self, what: &str, k: usize, result: multicloud::Result<()>) {
        match result {
            Ok(()) => {
                self.saw(what, k, true);
                self.keys[k] = EC2_ABSENT;
            }
            Err(e) if e.kind() == ErrorKind::NotFound => self.saw(what, k, false),
            Err(e) => {
                self.error(what, &e);
                self.keys[k].absent = true;
            }
        }
    }

    fn listed_keys(&mut self, what: &str, names: &[String]) {
        let mut sorted = names.to_vec();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != names.len()
            || sorted.iter().any(|n| !EC2_SOAK_KEYS.contains(&n.as_str()))
        {
            self.problem(format!("{what}: listed {names:?}"));
        }
        for (k, name) in EC2_SOAK_KEYS.iter().enumerate() {
            self.saw(what, k, names.iter().any(|n| n == name));
        }
    }

    fn listed_nodes(&mut self, what: &str, ids: &[String]) {
        if ids != [self.node.clone()] {
            self.problem(format!("{what}: listed {ids:?}, not the one node"));
        }
    }
}

#[maybe_async]
async fn ec2_soak_step(run: &mut Ec2Soak, rng: &mut fastrand::Rng) {
    let k = rng.usize(..EC2_SOAK_KEYS.len());
    let name = EC2_SOAK_KEYS[k];
    match rng.u8(..6) {
        0 => {
            let r = run.d.create_key_pair(name).await;
            run.created("create_key_pair", k, r, true);
        }
        1 => {
            let r = run.d.import_key_pair(name, EC2_SOAK_PUBLIC_KEY).await;
            run.created("import_key_pair", k, r, false);
        }
        2 => {
            let r = run.d.delete_key_pair(name).await;
            run.deleted("delete_key_pair", k, r);
        }
        3 => match run.d.list_key_pairs().await {
            Ok(keys) => run.listed_keys(
                "list_key_pairs",
                &keys.into_iter().map(|k| k.name).collect::<Vec<_>>(),
            ),
            Err(e) => run.error("list_key_pairs", &e),
        },
        4 => match run.d.get_node(&run.node).await {
            Ok(n) => run.listed_nodes("get_node", &[n.id]),
            Err(e) => run.error("get_node", &e),
        },
        _ => match run.d.list_nodes().await {
            Ok(nodes) => run.listed_nodes(
                "list_nodes",
                &nodes.into_iter().map(|n| n.id).collect::<Vec<_>>(),
            ),
            Err(e) => run.error("list_nodes", &e),
        },
    }
}

#[maybe_async]
#[mode_test]
async fn ec2_fault_soak_keeps_key_pairs_and_nodes_true() {
    let number = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let seed = number("MULTICLOUD_FAULT_SEED").unwrap_or_else(|| fastrand::u64(..));
    let ops = number("MULTICLOUD_FAULT_EC2_OPS").unwrap_or(60) as usize;
    eprintln!("{MODE} EC2 soak: MULTICLOUD_FAULT_SEED={seed}, {ops} operations");
    let direct_config = super::common::ec2env::ec2_config("eu-west-1");
    let direct = Ec2::new(direct_config.clone()).unwrap();
    let node = direct
        .create_node(&CreateNode::new("steady", "t2.micro", "ami-12c6146b"))
        .await
        .unwrap();
    let proxy = FaultProxy::start(&s3env::moto(), seed, 0.2, EC2_SOAK_TIMING);
    let mut config = direct_config;
    config.endpoint = url::Url::parse(&proxy.url()).unwrap();
    let limit = Duration::from_millis(400);
    let transport = ec2_transport(6).request_timeout(limit).stall_timeout(limit);
    let d = Ec2::with_transport(config, transport).unwrap();
    let mut run = Ec2Soak {
        d,
        proxy,
        node: node.id,
        keys: [EC2_ABSENT; 4],
        problems: Vec::new(),
        op: 0,
    };
    let mut rng = fastrand::Rng::with_seed(seed);
    let started = Instant::now();
    for op in 0..ops {
        run.op = op;
        run.proxy.set_op(op);
        ec2_soak_step(&mut run, &mut rng).await;
    }
    run.op = usize::MAX;
    let keys = direct.list_key_pairs().await.unwrap();
    run.listed_keys(
        "final list_key_pairs",
        &keys.into_iter().map(|k| k.name).collect::<Vec<_>>(),
    );
    let nodes = direct.list_nodes().await.unwrap();
    run.listed_nodes(
        "final list_nodes",
        &nodes.into_iter().map(|n| n.id).collect::<Vec<_>>(),
    );
    let counts = run.proxy.counts();
    eprintln!(
        "{MODE} EC2 soak: {ops} operations in {:?}, faults {counts:?}",
        started.elapsed()
    );
    assert!(run.problems.is_empty(), "seed {seed}: {:#?}", run.problems);
    assert!(!counts.is_empty(), "no fault was injected");
    assert_eq!(
        run.proxy.upstream_failures(),
        0,
        "moto failed to answer the proxy"
    );
}
