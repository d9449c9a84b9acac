//! A zone moved between DNS providers through a BIND zone file: exported from the source,
//! written to a file, imported into the target, and the two record sets compared; the
//! same code in blocking and async mode (`dns_steps.rs`). Running it twice changes
//! nothing the second time.
//!
//! ```text
//! cargo run --all-features --example dns_move_zone          # memory to memory
//! cargo run --all-features --example dns_move_zone -- SOURCE_URL TARGET_URL DOMAIN
//! scripts/dns-examples      # Route53 on moto to the DigitalOcean fake
//! ```

mod blocking {
    use maybe_async::must_be_sync as maybe_async;
    use multicloud::blocking as mc;

    include!("dns_steps.rs");
}

mod asynchronous {
    use maybe_async::must_be_async as maybe_async;
    use multicloud::asynchronous as mc;

    include!("dns_steps.rs");
}

use std::process::ExitCode;

#[tokio::main]
async fn main() -> multicloud::Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.into());
    let (from, to, domain) = (
        arg(0, "memory://"),
        arg(1, "memory://"),
        arg(2, "example.com"),
    );
    let dir = tempfile::tempdir().expect("a temporary directory");

    println!("blocking mode: {domain} from {from} to {to}");
    let (src, dst) = (
        multicloud::blocking::dns::AnyDns::from_url(&from)?,
        multicloud::blocking::dns::AnyDns::from_url(&to)?,
    );
    let diff = tokio::task::block_in_place(|| -> multicloud::Result<Vec<String>> {
        let (_, made) = blocking::demo_zone(&src, &domain)?;
        if made {
            println!("  {from} had no zone {domain}: made one with a record of every type");
        }
        let file = dir.path().join("blocking.zone");
        std::fs::write(&file, blocking::export(&src, &domain)?).expect("the zone file");
        println!("  exported to {}", file.display());
        let text = std::fs::read_to_string(&file).expect("the zone file");
        blocking::import_and_diff(&src, &dst, &domain, &text)
    })?;
    let blocking_ok = report(&diff);

    println!("async mode: {domain} from {from} to {to}");
    let (src, dst) = (
        multicloud::asynchronous::dns::AnyDns::from_url(&from)?,
        multicloud::asynchronous::dns::AnyDns::from_url(&to)?,
    );
    asynchronous::demo_zone(&src, &domain).await?;
    let file = dir.path().join("async.zone");
    tokio::fs::write(&file, asynchronous::export(&src, &domain).await?)
        .await
        .expect("the zone file");
    println!("  exported to {}", file.display());
    let text = tokio::fs::read_to_string(&file)
        .await
        .expect("the zone file");
    let diff = asynchronous::import_and_diff(&src, &dst, &domain, &text).await?;
    let async_ok = report(&diff);
    Ok(if blocking_ok && async_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Prints the difference; true when there is none.
fn report(diff: &[String]) -> bool {
    match diff.is_empty() {
        true => println!("  the two record sets are the same"),
        false => diff.iter().for_each(|l| println!("  {l}")),
    }
    diff.is_empty()
}
