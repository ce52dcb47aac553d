//! The network model of a template: which route table each subnet uses,
//! what that route table reaches (an internet gateway or NAT gateway through
//! `0.0.0.0/0`, S3 gateway endpoints whose `RouteTableIds` include it, or
//! nothing), and therefore which path an S3 request from the subnet takes.
//!
//! A gateway endpoint adds a prefix-list route for S3, which is more
//! specific than `0.0.0.0/0`, so S3 traffic from a route table attached to
//! an S3 endpoint always goes through the endpoint.

use ipnet::IpNet;
use serde_json::{Map, Value as Json};

use super::resolve::Resolver;
use crate::template::Template;

/// The target of a route table's `0.0.0.0/0` route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultRoute {
    /// An internet gateway, by logical ID when the template defines it.
    InternetGateway(String),
    /// A NAT gateway, by logical ID.
    NatGateway(String),
    /// Another target (transit gateway, network interface, peering).
    Other(String),
}

/// A VPC.
#[derive(Debug, Clone, PartialEq)]
pub struct Vpc {
    /// Logical ID.
    pub logical_id: String,
    /// Physical ID, `vpc-…`.
    pub id: String,
}

/// A route table and what it reaches.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteTable {
    /// Logical ID.
    pub logical_id: String,
    /// Physical ID, `rtb-…`.
    pub id: String,
    /// The `0.0.0.0/0` route, if any.
    pub default_route: Option<DefaultRoute>,
    /// Logical IDs of the subnets associated with it.
    pub subnets: Vec<String>,
}

/// A subnet.
#[derive(Debug, Clone, PartialEq)]
pub struct Subnet {
    /// Logical ID.
    pub logical_id: String,
    /// Physical ID, `subnet-…`.
    pub id: String,
    /// Physical ID of its VPC.
    pub vpc_id: String,
    /// Its CIDR block, when literal.
    pub cidr: Option<IpNet>,
    /// `MapPublicIpOnLaunch`.
    pub public_ip_on_launch: bool,
    /// Logical ID of the associated route table; `None` means the VPC's
    /// main route table, which a template cannot give routes beyond the VPC.
    pub route_table: Option<String>,
}

/// A VPC endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// Logical ID.
    pub logical_id: String,
    /// Physical ID, `vpce-…`.
    pub id: String,
    /// Physical ID of its VPC.
    pub vpc_id: String,
    /// `ServiceName`, such as `com.amazonaws.us-east-1.s3`.
    pub service: String,
    /// `true` for a gateway endpoint (the default `VpcEndpointType`).
    pub gateway: bool,
    /// Logical IDs of the route tables in `RouteTableIds`.
    pub route_tables: Vec<String>,
    /// The resolved `PolicyDocument`; `None` means the default policy,
    /// which allows full access.
    pub policy: Option<Json>,
}

impl Endpoint {
    /// Returns `true` for an S3 gateway endpoint.
    pub fn is_s3_gateway(&self) -> bool {
        self.gateway && self.service.ends_with(".s3")
    }
}

/// An EC2 instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// Logical ID.
    pub logical_id: String,
    /// Physical ID, `i-…`.
    pub id: String,
    /// Logical ID of its subnet.
    pub subnet: Option<String>,
    /// Its private address.
    pub private_ip: String,
    /// Its public address, when it gets one.
    pub public_ip: Option<String>,
    /// The resolved `IamInstanceProfile` (a profile name).
    pub instance_profile: Option<String>,
    /// The resolved `ImageId`, which may be an SSM parameter path.
    pub image_id: Option<String>,
}

/// The path an S3 request from a subnet takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S3Path {
    /// Through the S3 gateway endpoint with this logical ID.
    Endpoint(String),
    /// Over the internet from this public address.
    Internet {
        /// The address S3 puts in `aws:SourceIp`.
        source_ip: String,
        /// The gateway the request leaves through.
        via: DefaultRoute,
    },
    /// No route reaches S3.
    Unreachable,
}

/// The network resources of a template.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Network {
    /// VPCs.
    pub vpcs: Vec<Vpc>,
    /// Subnets.
    pub subnets: Vec<Subnet>,
    /// Route tables.
    pub route_tables: Vec<RouteTable>,
    /// VPC endpoints of every service and type.
    pub endpoints: Vec<Endpoint>,
    /// EC2 instances.
    pub instances: Vec<Instance>,
}

impl Network {
    /// Reads the network resources of a template.
    ///
    /// # Errors
    /// A message naming the resource whose properties cannot be resolved.
    pub fn from_template(template: &Template, resolver: &Resolver<'_>) -> Result<Network, String> {
        let of_type = |kind: &str| {
            template
                .resources
                .iter()
                .filter(move |(id, resource)| resource.resource_type == kind && resolver.is_deployed(id))
                .map(|(id, _)| id.clone())
                .collect::<Vec<_>>()
        };
        // Maps a resolved physical ID back to the logical ID of a resource of `kind`.
        let logical = |kind: &str, physical: &str| of_type(kind).into_iter().find(|id| resolver.physical_id(id) == physical);
        let text = |map: &Map<String, Json>, key: &str| map.get(key).and_then(Json::as_str).map(str::to_owned);

        let mut network = Network::default();
        for logical_id in of_type("AWS::EC2::VPC") {
            network.vpcs.push(Vpc { id: resolver.physical_id(&logical_id), logical_id });
        }
        for logical_id in of_type("AWS::EC2::RouteTable") {
            network.route_tables.push(RouteTable { id: resolver.physical_id(&logical_id), logical_id, default_route: None, subnets: Vec::new() });
        }
        for logical_id in of_type("AWS::EC2::Route") {
            let properties = resolver.properties(&logical_id)?;
            let destination = text(&properties, "DestinationCidrBlock");
            if destination.as_deref() != Some("0.0.0.0/0") {
                continue;
            }
            let Some(table_id) = text(&properties, "RouteTableId") else { continue };
            let target = if let Some(gateway) = text(&properties, "GatewayId") {
                DefaultRoute::InternetGateway(logical("AWS::EC2::InternetGateway", &gateway).unwrap_or(gateway))
            } else if let Some(nat) = text(&properties, "NatGatewayId") {
                DefaultRoute::NatGateway(logical("AWS::EC2::NatGateway", &nat).unwrap_or(nat))
            } else {
                let other = ["TransitGatewayId", "NetworkInterfaceId", "VpcPeeringConnectionId", "InstanceId", "EgressOnlyInternetGatewayId"]
                    .iter()
                    .find_map(|key| text(&properties, key))
                    .unwrap_or_else(|| logical_id.clone());
                DefaultRoute::Other(other)
            };
            if let Some(table) = network.route_tables.iter_mut().find(|table| table.id == table_id) {
                table.default_route = Some(target);
            }
        }
        for logical_id in of_type("AWS::EC2::Subnet") {
            let properties = resolver.properties(&logical_id)?;
            network.subnets.push(Subnet {
                id: resolver.physical_id(&logical_id),
                vpc_id: text(&properties, "VpcId").unwrap_or_default(),
                cidr: text(&properties, "CidrBlock").and_then(|cidr| cidr.parse().ok()),
                public_ip_on_launch: properties.get("MapPublicIpOnLaunch").is_some_and(is_true),
                route_table: None,
                logical_id,
            });
        }
        for logical_id in of_type("AWS::EC2::SubnetRouteTableAssociation") {
            let properties = resolver.properties(&logical_id)?;
            let (Some(subnet_id), Some(table_id)) = (text(&properties, "SubnetId"), text(&properties, "RouteTableId")) else { continue };
            let Some(table) = network.route_tables.iter_mut().find(|table| table.id == table_id) else { continue };
            let Some(subnet) = network.subnets.iter_mut().find(|subnet| subnet.id == subnet_id) else { continue };
            subnet.route_table = Some(table.logical_id.clone());
            table.subnets.push(subnet.logical_id.clone());
        }
        for logical_id in of_type("AWS::EC2::VPCEndpoint") {
            let properties = resolver.properties(&logical_id)?;
            let route_tables = match properties.get("RouteTableIds") {
                Some(Json::Array(ids)) => ids
                    .iter()
                    .filter_map(Json::as_str)
                    .map(|id| logical("AWS::EC2::RouteTable", id).unwrap_or_else(|| id.to_owned()))
                    .collect(),
                _ => Vec::new(),
            };
            let policy = match properties.get("PolicyDocument") {
                Some(Json::String(text)) => Some(serde_json::from_str(text).map_err(|err| format!("$.Resources.{logical_id}.Properties.PolicyDocument: {err}"))?),
                other => other.cloned(),
            };
            network.endpoints.push(Endpoint {
                id: resolver.physical_id(&logical_id),
                vpc_id: text(&properties, "VpcId").unwrap_or_default(),
                service: text(&properties, "ServiceName").unwrap_or_default(),
                gateway: text(&properties, "VpcEndpointType").is_none_or(|kind| kind == "Gateway"),
                route_tables,
                policy,
                logical_id,
            });
        }
        for logical_id in of_type("AWS::EC2::Instance") {
            let properties = resolver.properties(&logical_id)?;
            let mut subnet_id = text(&properties, "SubnetId");
            let mut public_by_interface = false;
            if let Some(Json::Array(interfaces)) = properties.get("NetworkInterfaces") {
                if let Some(Json::Object(first)) = interfaces.first() {
                    subnet_id = subnet_id.or_else(|| text(first, "SubnetId"));
                    public_by_interface = first.get("AssociatePublicIpAddress").is_some_and(is_true);
                }
            }
            let subnet = subnet_id.and_then(|id| network.subnets.iter().find(|subnet| subnet.id == id).map(|s| s.logical_id.clone()));
            let public = public_by_interface || subnet.as_ref().is_some_and(|id| network.subnet(id).is_some_and(|s| s.public_ip_on_launch));
            network.instances.push(Instance {
                id: resolver.physical_id(&logical_id),
                private_ip: resolver.instance_private_ip(&logical_id).unwrap_or_else(|| "10.0.0.10".to_owned()),
                public_ip: public.then(|| resolver.attribute(&logical_id, "PublicIp").ok().and_then(|v| v.as_str().map(str::to_owned))).flatten(),
                instance_profile: text(&properties, "IamInstanceProfile"),
                image_id: text(&properties, "ImageId"),
                subnet,
                logical_id,
            });
        }
        Ok(network)
    }

    /// Looks a subnet up by logical ID.
    pub fn subnet(&self, logical_id: &str) -> Option<&Subnet> {
        self.subnets.iter().find(|subnet| subnet.logical_id == logical_id)
    }

    /// Looks a route table up by logical ID.
    pub fn route_table(&self, logical_id: &str) -> Option<&RouteTable> {
        self.route_tables.iter().find(|table| table.logical_id == logical_id)
    }

    /// Looks an endpoint up by logical or physical ID.
    pub fn endpoint(&self, id: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|endpoint| endpoint.logical_id == id || endpoint.id == id)
    }

    /// Returns the S3 gateway endpoints attached to a route table.
    pub fn s3_endpoints_of(&self, route_table: &str) -> Vec<&Endpoint> {
        self.endpoints.iter().filter(|e| e.is_s3_gateway() && e.route_tables.iter().any(|t| t == route_table)).collect()
    }

    /// Returns the path an S3 request from an instance takes. `public_ip`
    /// is the instance's own public address, used behind an internet gateway.
    pub fn s3_path(&self, subnet: &str, public_ip: Option<&str>) -> S3Path {
        let Some(table) = self.subnet(subnet).and_then(|s| s.route_table.as_deref()).and_then(|t| self.route_table(t)) else {
            return S3Path::Unreachable;
        };
        if let Some(endpoint) = self.s3_endpoints_of(&table.logical_id).first() {
            return S3Path::Endpoint(endpoint.logical_id.clone());
        }
        match &table.default_route {
            Some(route @ DefaultRoute::InternetGateway(_)) => match public_ip {
                Some(address) => S3Path::Internet { source_ip: address.to_owned(), via: route.clone() },
                // Without a public address the internet gateway cannot carry the traffic.
                None => S3Path::Unreachable,
            },
            Some(route @ DefaultRoute::NatGateway(nat)) => S3Path::Internet { source_ip: nat_address(nat), via: route.clone() },
            Some(route @ DefaultRoute::Other(_)) => S3Path::Internet { source_ip: "192.0.2.200".to_owned(), via: route.clone() },
            None => S3Path::Unreachable,
        }
    }

    /// Returns `true` when the subnet's route table sends `0.0.0.0/0` to an
    /// internet gateway, which is what makes a subnet public in AWS's terms.
    /// A subnet on the main route table, or whose default route is a NAT
    /// gateway, is private.
    pub fn is_public_subnet(&self, subnet: &str) -> bool {
        self.subnet(subnet)
            .and_then(|s| s.route_table.as_deref())
            .and_then(|t| self.route_table(t))
            .is_some_and(|table| matches!(table.default_route, Some(DefaultRoute::InternetGateway(_))))
    }

    /// Returns the VPC physical ID of an endpoint or subnet's VPC.
    pub fn vpc_of_subnet(&self, subnet: &str) -> Option<&str> {
        self.subnet(subnet).map(|s| s.vpc_id.as_str())
    }
}

/// Returns a deterministic public address for a NAT gateway, from the documentation range 198.51.100.0/24.
fn nat_address(nat: &str) -> String {
    let sum: u32 = nat.bytes().map(u32::from).sum();
    format!("198.51.100.{}", 1 + sum % 250)
}

fn is_true(value: &Json) -> bool {
    match value {
        Json::Bool(flag) => *flag,
        Json::String(text) => text.eq_ignore_ascii_case("true"),
        _ => false,
    }
}
