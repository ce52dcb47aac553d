//! `vaultgate-deploy`, built only with the `deploy` feature: the binary
//! that deploys, compares and deletes vaultgate stacks with CloudFormation.

mod deploy;

fn main() -> std::process::ExitCode {
    deploy::main()
}
