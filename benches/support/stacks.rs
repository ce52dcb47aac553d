//! The stacks that the benchmarks synthesize, in the three sizes that the
//! whole-process comparison uses too: the default stack, one big stack (the
//! default architecture plus extra private subnets) and an app of many
//! default stacks. `benches/synth.rs` and `examples/synth_sizes.rs` both
//! include this file, so that both measure the same work.

use vaultgate::constructs::config::ARCHITECTURE_ID;
use vaultgate::constructs::private_backup_subnet::{PrivateBackupSubnet, PrivateBackupSubnetProps};
use vaultgate::constructs::{BackupArchitecture, BackupConfig, ConstructError};
use vaultgate::{App, Expr, Stack};

/// Resources that [`big_stack`] adds per extra subnet: the subnet, its
/// route table and their association.
pub const RESOURCES_PER_EXTRA_SUBNET: usize = 3;

/// Returns the number of extra subnets that brings the big stack closest
/// to `total` resources without going over it.
pub fn extra_subnets_for(total: usize) -> usize {
    let base = default_stack("Count").expect("the default stack builds").resource_count();
    total.saturating_sub(base) / RESOURCES_PER_EXTRA_SUBNET
}

/// Builds the default stack, [`BackupConfig::default`], named `name`.
pub fn default_stack(name: &str) -> Result<Stack, ConstructError> {
    BackupConfig { stack_name: name.to_owned(), ..BackupConfig::default() }.build()
}

/// Builds the default architecture plus `extra` private backup subnets under the
/// construct `ExtraSubnets`, each with its own route table and association,
/// all attached to the architecture's one S3 gateway endpoint. The subnets
/// take `10.0.10.0/24` upwards.
///
/// # Panics
/// When `extra` is over 246, because the subnets would not fit in the VPC.
pub fn big_stack(name: &str, extra: usize) -> Result<Stack, ConstructError> {
    assert!(extra <= 246, "{extra} extra /24 subnets do not fit in 10.0.10.0-10.0.255.0");
    let config = BackupConfig { stack_name: name.to_owned(), ..BackupConfig::default() };
    let mut stack = Stack::new(&config.stack_name);
    stack.set_description(&config.description);
    let mut root = stack.root();
    let architecture = BackupArchitecture::new(&mut root, ARCHITECTURE_ID, &config.architecture_props())?;

    let zone = Expr::select(config.network.availability_zone_index, Expr::get_azs());
    let mut group = root.child("ExtraSubnets")?;
    for index in 0..extra {
        let props = PrivateBackupSubnetProps { cidr_block: format!("10.0.{}.0/24", 10 + index) };
        let subnet = PrivateBackupSubnet::new(&mut group, &format!("Subnet{index}"), &architecture.vpc, &props, zone.clone())?;
        architecture.endpoint.add_route_table(&mut group, &subnet.route_table)?;
    }
    Ok(stack)
}

/// Builds an app of `count` default stacks named `Backup00`, `Backup01`, and so on.
pub fn many_app(count: usize) -> Result<App, ConstructError> {
    let mut app = App::new();
    for index in 0..count {
        app.add_stack(default_stack(&format!("Backup{index:02}"))?);
    }
    Ok(app)
}
