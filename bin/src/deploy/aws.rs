//! AWS clients from the standard configuration chain, with the region and
//! credentials checked up front so that a missing one is reported by name
//! instead of as a failed request later.
//!
//! `AWS_ENDPOINT_URL` (and the per-service `AWS_ENDPOINT_URL_S3` and
//! `AWS_ENDPOINT_URL_CLOUDFORMATION`) are honoured by the SDK's loader.

use aws_config::{BehaviorVersion, Region};
use aws_sdk_cloudformation::config::ProvideCredentials;

use super::args::AwsArgs;
use super::{error_chain, DeployError};

/// The clients a subcommand uses, and the region they talk to.
pub struct Clients {
    pub cfn: aws_sdk_cloudformation::Client,
    pub s3: aws_sdk_s3::Client,
    pub region: String,
}

/// Loads the shared configuration and checks that it has a region and
/// credentials.
///
/// # Errors
/// [`DeployError::Config`] naming the variable, flag or profile to set.
pub async fn connect(args: &AwsArgs) -> Result<Clients, DeployError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &args.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &args.profile {
        loader = loader.profile_name(profile);
    }
    let config = loader.load().await;
    let profile_hint = match &args.profile {
        Some(profile) => format!("profile `{profile}`"),
        None => "the profile named by AWS_PROFILE (default: `default`)".to_owned(),
    };

    let Some(region) = config.region().map(|region| region.to_string()) else {
        return Err(DeployError::Config(format!(
            "no AWS region is set: pass --region, set AWS_REGION, or set `region` for {profile_hint} in ~/.aws/config"
        )));
    };
    let Some(provider) = config.credentials_provider() else {
        return Err(DeployError::Config(format!("no AWS credentials provider is configured: {}", credentials_hint(args))));
    };
    if let Err(error) = provider.provide_credentials().await {
        return Err(DeployError::Config(format!(
            "no usable AWS credentials: {}\nThe SDK's credential chain reported: {}",
            credentials_hint(args),
            error_chain(&error)
        )));
    }

    let cfn = aws_sdk_cloudformation::Client::new(&config);
    let mut s3_config = aws_sdk_s3::config::Builder::from(&config);
    if config.endpoint_url().is_some() {
        // Local emulators listen on an IP address, where virtual-hosted
        // bucket names cannot resolve.
        s3_config = s3_config.force_path_style(true);
    }
    let s3 = aws_sdk_s3::Client::from_conf(s3_config.build());
    Ok(Clients { cfn, s3, region })
}

/// Says what to set to give the program credentials, naming the profile
/// from `--profile` when one was given.
fn credentials_hint(args: &AwsArgs) -> String {
    let profile_note = match &args.profile {
        Some(profile) => format!(" Check that profile `{profile}` is defined there."),
        None => String::new(),
    };
    format!(
        "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or set AWS_PROFILE (or pass --profile) to a profile in \
         ~/.aws/credentials or ~/.aws/config; for an SSO profile run `aws sso login` first.{profile_note}"
    )
}
