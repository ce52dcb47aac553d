//! `S3GatewayEndpoint`: the S3 gateway VPC endpoint through which the
//! private subnet reaches the backup bucket, with a policy that lets through
//! only uploads to that bucket.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use vaultgate_core::policy::{PolicyDocument, Principal, Statement};
use vaultgate_core::resources::ec2;
use vaultgate_core::construct::PRIMARY_ID;
use vaultgate_core::{Expr, LogicalId, Scope};

use crate::actions;
use crate::error::{ConstructError, PropChecker};

/// Options of [`S3GatewayEndpoint`] that users set in config files.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct S3GatewayEndpointOptions {
    /// Also allow reading (`s3:GetObject`) from the Amazon Linux package
    /// repository buckets of the stack's region, so that `dnf` works on the
    /// private instance. Default: off, so the endpoint lets through nothing
    /// but uploads to the backup bucket; the trade-off is that the private
    /// instance cannot install or update packages.
    pub allow_package_repositories: bool,
}

/// Props of [`S3GatewayEndpoint`].
#[derive(Debug, Clone)]
pub struct S3GatewayEndpointProps {
    /// The VPC's ID.
    pub vpc_id: Expr,
    /// Route tables to attach. Only private route tables belong here:
    /// attaching the public one would let the bastion's S3 traffic pass
    /// through the endpoint and satisfy the bucket policy. At least one is
    /// required.
    pub route_tables: Vec<LogicalId>,
    /// ARN of the backup bucket's objects, `arn:PARTITION:s3:::BUCKET/*`.
    /// An ARN without `/*` names the bucket and matches no object.
    pub bucket_objects_arn: Expr,
    /// The options set in config files.
    pub options: S3GatewayEndpointOptions,
}

/// An S3 gateway endpoint (`com.amazonaws.REGION.s3`, type `Gateway`).
///
/// Its policy allows, for any principal (`Principal: "*"`, because an
/// endpoint policy cannot name the caller's role before it exists), only
/// `s3:PutObject` and `s3:AbortMultipartUpload` on the bucket's objects.
/// Who may upload is decided by IAM and the bucket policy; the endpoint only
/// narrows what can leave the VPC. A gateway endpoint serves its own region
/// only, so the bucket must be in the stack's region.
///
/// ```
/// use vaultgate_constructs::s3_gateway_endpoint::{S3GatewayEndpoint, S3GatewayEndpointProps};
/// use vaultgate_core::Expr;
///
/// let mut stack = vaultgate_core::Stack::new("Demo");
/// let props = S3GatewayEndpointProps {
///     vpc_id: Expr::string("vpc-0123456789abcdef0"),
///     route_tables: vec![],
///     bucket_objects_arn: Expr::string("arn:aws:s3:::acme-backups/*"),
///     options: Default::default(),
/// };
/// // An endpoint with no route table carries no traffic, so it is rejected.
/// assert!(S3GatewayEndpoint::new(&mut stack.root(), "Endpoint", &props).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct S3GatewayEndpoint {
    /// The endpoint resource.
    pub endpoint: LogicalId,
}

impl S3GatewayEndpoint {
    /// Creates the endpoint and its policy.
    ///
    /// # Errors
    /// [`ConstructError::InvalidProps`] when `route_tables` is empty.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: &S3GatewayEndpointProps) -> Result<S3GatewayEndpoint, ConstructError> {
        let mut scope = scope.child(id)?;
        let mut checker = PropChecker::default();
        if props.route_tables.is_empty() {
            checker.reject(
                "route_tables",
                "[]",
                "a gateway endpoint with no route table carries no traffic; attach the private subnet's route table",
            );
        }
        checker.finish(scope.path())?;

        let mut endpoint = ec2::VpcEndpoint::new(props.vpc_id.clone());
        endpoint.service_name = Some(Expr::sub("com.amazonaws.${AWS::Region}.s3").into());
        endpoint.vpc_endpoint_type = Some("Gateway".into());
        endpoint.route_table_ids =
            Some(props.route_tables.iter().map(|table| table.reference().into()).collect::<Vec<_>>().into());
        endpoint.policy_document = Some(endpoint_policy(&props.bucket_objects_arn, &props.options).to_json().into());
        let endpoint = scope.add_resource("Resource", endpoint)?;
        Ok(S3GatewayEndpoint { endpoint })
    }

    /// `Ref` to the endpoint: its ID, such as `vpce-0123456789abcdef0`.
    pub fn endpoint_id(&self) -> Expr {
        self.endpoint.reference()
    }

    /// Attaches one more route table to the endpoint, after the ones in
    /// [`S3GatewayEndpointProps::route_tables`], so that a private subnet
    /// created after the endpoint reaches S3 through it.
    ///
    /// As with `route_tables`, attach only private route tables: attaching
    /// the public one would let the bastion's S3 traffic pass through the
    /// endpoint and satisfy the bucket policy.
    ///
    /// # Errors
    /// [`ConstructError::NotInStack`] when the endpoint is not a resource of
    /// `scope`'s stack; [`ConstructError::InvalidProps`] when `route_table`
    /// is not an `AWS::EC2::RouteTable` of that stack, when the table is
    /// already attached, or when the endpoint's `RouteTableIds` was replaced
    /// by something other than a list. A public subnet's route table is not
    /// rejected here; `vaultgate verify` reports it.
    ///
    /// # Examples
    /// ```
    /// use vaultgate_constructs::backup_architecture::{BackupArchitecture, BackupArchitectureProps};
    /// use vaultgate_constructs::private_backup_subnet::{PrivateBackupSubnet, PrivateBackupSubnetProps};
    /// use vaultgate_core::Expr;
    ///
    /// let mut stack = vaultgate_core::Stack::new("Backups");
    /// let mut root = stack.root();
    /// let parts = BackupArchitecture::new(&mut root, "Backup", &BackupArchitectureProps::default()).unwrap();
    /// let props = PrivateBackupSubnetProps { cidr_block: "10.0.2.0/24".into() };
    /// let zone = Expr::select(0, Expr::get_azs());
    /// let second = PrivateBackupSubnet::new(&mut root, "SecondSubnet", &parts.vpc, &props, zone).unwrap();
    /// parts.endpoint.add_route_table(&mut root, &second.route_table).unwrap();
    ///
    /// let template = stack.synth().unwrap().template;
    /// let tables = &template.resources[parts.endpoint.endpoint.as_str()].properties["RouteTableIds"];
    /// assert_eq!(tables[1], serde_json::json!({"Ref": second.route_table.as_str()}));
    /// ```
    pub fn add_route_table(&self, scope: &mut Scope<'_>, route_table: &LogicalId) -> Result<(), ConstructError> {
        if scope.stack().resource(&self.endpoint).is_none() {
            return Err(ConstructError::NotInStack { path: scope.path(), logical_id: self.endpoint.to_string() });
        }
        let table_type = scope.stack().resource(route_table).map(|table| table.resource_type.clone());
        if table_type.as_deref() != Some("AWS::EC2::RouteTable") {
            let reason = match table_type {
                None => "no resource of this stack has that logical ID; pass a route table created in the endpoint's stack".to_owned(),
                Some(other) => format!("it is an {other}, not an AWS::EC2::RouteTable; pass the route table of a private subnet"),
            };
            let mut checker = PropChecker::default();
            checker.reject("route_tables", format!("{:?}", route_table.as_str()), &reason);
            return checker.finish(self.construct_path(scope));
        }
        let Some(endpoint) = scope.resource_mut(&self.endpoint) else {
            return Err(ConstructError::NotInStack { path: scope.path(), logical_id: self.endpoint.to_string() });
        };
        // Entries are read in place, without a map lookup each, because a
        // big stack attaches hundreds of tables and checks each against all.
        let is_this_table = |table: &Json| {
            let Some(map) = table.as_object() else { return false };
            let mut entries = map.iter();
            matches!(
                (entries.next(), entries.next()),
                (Some((key, Json::String(id))), None) if key == "Ref" && id == route_table.as_str()
            )
        };
        let problem = match endpoint.properties.entry("RouteTableIds").or_insert_with(|| Json::Array(Vec::new())) {
            Json::Array(tables) if tables.iter().any(is_this_table) => (
                format!("{:?}", route_table.as_str()),
                "the route table is already attached to this endpoint; attach each route table once",
            ),
            Json::Array(tables) => {
                tables.push(route_table.reference().to_json());
                return Ok(());
            }
            other => (
                other.to_string(),
                "the endpoint's RouteTableIds is not a list, so no route table can be added to it; set RouteTableIds as a list",
            ),
        };

        let mut checker = PropChecker::default();
        checker.reject("route_tables", problem.0, problem.1);
        checker.finish(self.construct_path(scope))
    }

    /// Returns the endpoint construct's path, which errors name.
    fn construct_path(&self, scope: &mut Scope<'_>) -> String {
        let resource_path = scope.stack().resource_path(&self.endpoint).unwrap_or_default();
        resource_path.strip_suffix(&format!("/{PRIMARY_ID}")).unwrap_or(resource_path).to_owned()
    }
}

fn endpoint_policy(objects: &Expr, options: &S3GatewayEndpointOptions) -> PolicyDocument {
    let mut document = PolicyDocument::new(vec![Statement::allow()
        .sid("UploadOnlyToBackupBucket")
        .principal(Principal::Anyone)
        .actions(actions::UPLOAD)
        .resource(objects.clone())]);
    if options.allow_package_repositories {
        // NOTE: the bucket names follow the Amazon Linux user guides' VPC
        // endpoint examples (AL2023 and AL2); a region where they differ
        // needs its own statement.
        document.add_statement(
            Statement::allow()
                .sid("ReadAmazonLinuxPackageRepositories")
                .principal(Principal::Anyone)
                .actions(actions::PACKAGE_REPOSITORY_READ)
                .resource(Expr::sub("arn:${AWS::Partition}:s3:::al2023-repos-${AWS::Region}-de612dc2/*"))
                .resource(Expr::sub("arn:${AWS::Partition}:s3:::amazonlinux-2-repos-${AWS::Region}/*")),
        );
    }
    document
}
