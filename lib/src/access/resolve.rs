//! Resolution of CloudFormation intrinsics to plausible literal values, so
//! that policies and network settings in a template can be evaluated
//! offline.
//!
//! The stack is assumed to deploy in one account, region and partition
//! ([`Environment`], by default 111122223333, us-east-1, aws). A resource's
//! `Ref` and `Fn::GetAtt` resolve to deterministic physical values derived
//! from its properties or, failing that, from a hash of its logical ID, so
//! the same template always yields the same IDs (`vpce-…`, `subnet-…`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use ipnet::IpNet;
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};

use crate::template::Template;

/// The account, region, partition and stack name the stack is assumed to deploy to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// `AWS::AccountId`.
    pub account: String,
    /// `AWS::Region`.
    pub region: String,
    /// `AWS::Partition`.
    pub partition: String,
    /// `AWS::StackName`.
    pub stack_name: String,
}

impl Default for Environment {
    fn default() -> Environment {
        Environment {
            account: "111122223333".to_owned(),
            region: "us-east-1".to_owned(),
            partition: "aws".to_owned(),
            stack_name: "vaultgate".to_owned(),
        }
    }
}

/// Resolves intrinsics in one template.
#[derive(Debug)]
pub struct Resolver<'t> {
    template: &'t Template,
    environment: Environment,
    /// Physical IDs already derived, by logical ID, because every `Ref` to
    /// a resource looks its ID up again and deriving one resolves
    /// properties and hashes. Only looked up, never iterated.
    physical_ids: Mutex<HashMap<String, String>>,
    /// Logical IDs whose physical ID is being derived, innermost last, so
    /// that a name property referring back to its own resource is caught.
    deriving: Mutex<Vec<String>>,
    /// A message for each such self-reference found, in template order.
    name_cycles: Mutex<Vec<String>>,
}

type Resolved = Result<Option<Json>, String>;

/// Maximum number of resources whose names are derived one inside another,
/// because each link recurses and a long enough chain would overflow the
/// thread's stack. Real templates chain two or three names.
const MAX_NAME_CHAIN: usize = 64;

impl<'t> Resolver<'t> {
    /// Creates a resolver for `template` deployed in `environment`.
    ///
    /// Every resource's physical ID is derived here, on this thread, so
    /// that a cycle through name properties is found once (see
    /// [`Resolver::name_cycles`]) and later lookups from any thread only
    /// read the cache.
    pub fn new(template: &'t Template, environment: Environment) -> Resolver<'t> {
        let resolver = Resolver {
            template,
            environment,
            physical_ids: Mutex::new(HashMap::new()),
            deriving: Mutex::new(Vec::new()),
            name_cycles: Mutex::new(Vec::new()),
        };
        for logical_id in template.resources.keys() {
            resolver.physical_id(logical_id);
        }
        resolver
    }

    /// Returns a message for each resource whose name property refers back
    /// to the resource itself, directly or through other resources' names,
    /// and for each chain of names longer than 64 resources.
    /// CloudFormation rejects such a template as a circular dependency; the
    /// resolver gives the resource a generated name instead.
    pub fn name_cycles(&self) -> Vec<String> {
        lock(&self.name_cycles).clone()
    }

    /// Returns the environment the resolver assumes.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// Resolves every intrinsic in `value`. `AWS::NoValue` removes the
    /// property or list element that holds it.
    ///
    /// # Errors
    /// A message naming the intrinsic that cannot be resolved, such as a
    /// `Ref` to a logical ID the template does not define.
    pub fn resolve(&self, value: &Json) -> Result<Json, String> {
        Ok(self.resolve_value(value, 0)?.unwrap_or(Json::Null))
    }

    /// Resolves the properties of a resource, or returns an empty map for
    /// an unknown logical ID.
    ///
    /// # Errors
    /// A message naming the resource and the intrinsic that failed.
    pub fn properties(&self, logical_id: &str) -> Result<Map<String, Json>, String> {
        let Some(resource) = self.template.resources.get(logical_id) else { return Ok(Map::new()) };
        // Resolved in place, as `resolve` would resolve a copy of the map.
        match self.resolve_map(&resource.properties, 0) {
            Ok(Some(Json::Object(map))) => Ok(map),
            Ok(_) => Ok(Map::new()),
            Err(message) => Err(format!("$.Resources.{logical_id}.Properties: {message}")),
        }
    }

    /// Evaluates a named template condition.
    ///
    /// # Errors
    /// A message when the condition is not defined or not a condition function.
    pub fn condition(&self, name: &str) -> Result<bool, String> {
        let body = self.template.conditions.get(name).ok_or_else(|| format!("condition `{name}` is not defined in Conditions"))?;
        self.condition_value(body, 0)
    }

    /// Returns `true` when the resource exists and its `Condition`, if any, holds.
    pub fn is_deployed(&self, logical_id: &str) -> bool {
        match self.template.resources.get(logical_id) {
            Some(resource) => resource.condition.as_deref().is_none_or(|name| self.condition(name).unwrap_or(true)),
            None => false,
        }
    }

    fn resolve_value(&self, value: &Json, depth: usize) -> Resolved {
        if depth > 64 {
            return Err("intrinsics nest deeper than 64 levels".to_owned());
        }
        match value {
            Json::Array(items) => {
                let mut resolved = Vec::with_capacity(items.len());
                for item in items {
                    if let Some(item) = self.resolve_value(item, depth + 1)? {
                        resolved.push(item);
                    }
                }
                Ok(Some(Json::Array(resolved)))
            }
            Json::Object(map) => self.resolve_map(map, depth),
            other => Ok(Some(other.clone())),
        }
    }

    /// Resolves an object: an intrinsic when it has one key that names one,
    /// otherwise each of its values.
    fn resolve_map(&self, map: &Map<String, Json>, depth: usize) -> Resolved {
        if map.len() == 1 {
            let (key, argument) = map.iter().next().expect("one entry");
            if let Some(result) = self.intrinsic(key, argument, depth)? {
                return Ok(result);
            }
        }
        self.resolve_object(map, depth)
    }

    fn resolve_object(&self, map: &Map<String, Json>, depth: usize) -> Resolved {
        let mut resolved = Map::new();
        for (key, item) in map {
            if let Some(item) = self.resolve_value(item, depth + 1)? {
                resolved.insert(key.clone(), item);
            }
        }
        Ok(Some(Json::Object(resolved)))
    }

    /// Resolves one intrinsic; `Ok(None)` means `key` is not an intrinsic.
    fn intrinsic(&self, key: &str, argument: &Json, depth: usize) -> Result<Option<Option<Json>>, String> {
        let string = |value: Option<Json>, what: &str| match value {
            Some(Json::String(text)) => Ok(text),
            Some(Json::Number(number)) => Ok(number.to_string()),
            Some(Json::Bool(flag)) => Ok(flag.to_string()),
            other => Err(format!("{what} must resolve to a string, found {}", other.map_or("nothing".to_owned(), |v| v.to_string()))),
        };
        let list = |what: &str| argument.as_array().ok_or_else(|| format!("{what} takes a list, found {argument}"));
        let next = depth + 1;
        let result = match key {
            "Ref" => {
                let name = argument.as_str().ok_or_else(|| format!("Ref takes a name, found {argument}"))?;
                self.reference(name)?
            }
            "Fn::GetAtt" => {
                let (logical_id, attribute) = match argument {
                    Json::String(dotted) => dotted.split_once('.').map(|(a, b)| (a.to_owned(), b.to_owned())),
                    Json::Array(parts) if parts.len() == 2 => {
                        let attribute = string(self.resolve_value(&parts[1], next)?, "a GetAtt attribute")?;
                        parts[0].as_str().map(|id| (id.to_owned(), attribute))
                    }
                    _ => None,
                }
                .ok_or_else(|| format!("Fn::GetAtt takes [LogicalId, Attribute], found {argument}"))?;
                Some(self.attribute(&logical_id, &attribute)?)
            }
            "Fn::Sub" => {
                let (text, variables) = match argument {
                    Json::String(text) => (text.clone(), Map::new()),
                    Json::Array(parts) if parts.len() == 2 => {
                        let text = parts[0].as_str().ok_or("Fn::Sub takes a template string first")?.to_owned();
                        let variables = match self.resolve_value(&parts[1], next)? {
                            Some(Json::Object(map)) => map,
                            _ => return Err("Fn::Sub variables must be an object".to_owned()),
                        };
                        (text, variables)
                    }
                    _ => return Err(format!("Fn::Sub takes a string or [string, variables], found {argument}")),
                };
                Some(Json::String(self.substitute(&text, &variables)?))
            }
            "Fn::Join" => {
                let parts = list("Fn::Join")?;
                let [delimiter, items] = &parts[..] else { return Err("Fn::Join takes [delimiter, list]".to_owned()) };
                let delimiter = delimiter.as_str().ok_or("Fn::Join delimiter must be a string")?;
                let items = match self.resolve_value(items, next)? {
                    Some(Json::Array(items)) => items,
                    other => return Err(format!("Fn::Join needs a list, found {}", other.unwrap_or(Json::Null))),
                };
                let texts = items.into_iter().map(|item| string(Some(item), "a Fn::Join element")).collect::<Result<Vec<_>, _>>()?;
                Some(Json::String(texts.join(delimiter)))
            }
            "Fn::Select" => {
                let parts = list("Fn::Select")?;
                let [index, items] = &parts[..] else { return Err("Fn::Select takes [index, list]".to_owned()) };
                let index: usize = string(self.resolve_value(index, next)?, "the Fn::Select index")?
                    .parse()
                    .map_err(|_| "the Fn::Select index must be a whole number".to_owned())?;
                match self.resolve_value(items, next)? {
                    Some(Json::Array(items)) => {
                        Some(items.get(index).cloned().ok_or_else(|| format!("Fn::Select index {index} is past the end of a list of {}", items.len()))?)
                    }
                    other => return Err(format!("Fn::Select needs a list, found {}", other.unwrap_or(Json::Null))),
                }
            }
            "Fn::Split" => {
                let parts = list("Fn::Split")?;
                let [delimiter, source] = &parts[..] else { return Err("Fn::Split takes [delimiter, string]".to_owned()) };
                let delimiter = delimiter.as_str().ok_or("Fn::Split delimiter must be a string")?;
                let source = string(self.resolve_value(source, next)?, "the Fn::Split source")?;
                Some(Json::Array(source.split(delimiter).map(|part| Json::String(part.to_owned())).collect()))
            }
            "Fn::If" => {
                let parts = list("Fn::If")?;
                let [condition, if_true, if_false] = &parts[..] else { return Err("Fn::If takes [condition, if-true, if-false]".to_owned()) };
                let name = condition.as_str().ok_or("Fn::If condition must be a name")?;
                let chosen = if self.condition(name)? { if_true } else { if_false };
                self.resolve_value(chosen, next)?
            }
            "Fn::FindInMap" => {
                let parts = list("Fn::FindInMap")?;
                let [map, top, second] = &parts[..] else { return Err("Fn::FindInMap takes [map, top key, second key]".to_owned()) };
                let map_name = string(self.resolve_value(map, next)?, "the map name")?;
                let top = string(self.resolve_value(top, next)?, "the top-level key")?;
                let second = string(self.resolve_value(second, next)?, "the second-level key")?;
                let value = self
                    .template
                    .mappings
                    .get(&map_name)
                    .and_then(|map| map.get(&top))
                    .and_then(|entries| entries.get(&second))
                    .ok_or_else(|| format!("Fn::FindInMap: {map_name}.{top}.{second} is not in Mappings"))?;
                Some(value.clone())
            }
            "Fn::GetAZs" => {
                let region = &self.environment.region;
                Some(Json::Array(["a", "b", "c"].iter().map(|zone| Json::String(format!("{region}{zone}"))).collect()))
            }
            "Fn::Base64" => Some(Json::String(string(self.resolve_value(argument, next)?, "Fn::Base64's argument")?)),
            "Fn::ImportValue" => {
                let name = string(self.resolve_value(argument, next)?, "the imported name")?;
                Some(Json::String(format!("imported-{name}")))
            }
            "Fn::Cidr" => {
                let parts = list("Fn::Cidr")?;
                let [block, count, bits] = &parts[..] else { return Err("Fn::Cidr takes [block, count, bits]".to_owned()) };
                let block: IpNet = string(self.resolve_value(block, next)?, "the Fn::Cidr block")?.parse().map_err(|_| "invalid Fn::Cidr block".to_owned())?;
                let count: usize = string(self.resolve_value(count, next)?, "the Fn::Cidr count")?.parse().map_err(|_| "invalid Fn::Cidr count".to_owned())?;
                let bits: u8 = string(self.resolve_value(bits, next)?, "the Fn::Cidr bits")?.parse().map_err(|_| "invalid Fn::Cidr bits".to_owned())?;
                let prefix = block.max_prefix_len().checked_sub(bits).ok_or("Fn::Cidr bits exceed the address length")?;
                let subnets = block.subnets(prefix).map_err(|_| "Fn::Cidr subnets are larger than the block".to_owned())?;
                Some(Json::Array(subnets.take(count).map(|net| Json::String(net.to_string())).collect()))
            }
            "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" | "Condition" => {
                let mut single = Map::new();
                single.insert(key.to_owned(), argument.clone());
                Some(Json::Bool(self.condition_value(&Json::Object(single), depth)?))
            }
            _ => return Ok(None),
        };
        Ok(Some(result))
    }

    fn condition_value(&self, body: &Json, depth: usize) -> Result<bool, String> {
        if depth > 64 {
            return Err("conditions nest deeper than 64 levels".to_owned());
        }
        let Some((key, argument)) = body.as_object().filter(|map| map.len() == 1).and_then(|map| map.iter().next()) else {
            return Err(format!("{body} is not a condition function"));
        };
        let items = || argument.as_array().ok_or_else(|| format!("{key} takes a list"));
        match key.as_str() {
            "Fn::Equals" => {
                let items = items()?;
                let [left, right] = &items[..] else { return Err("Fn::Equals takes two values".to_owned()) };
                let left = self.resolve_value(left, depth + 1)?;
                let right = self.resolve_value(right, depth + 1)?;
                Ok(normalize(left) == normalize(right))
            }
            "Fn::And" => items()?.iter().try_fold(true, |all, item| Ok(all & self.condition_value(item, depth + 1)?)),
            "Fn::Or" => items()?.iter().try_fold(false, |any, item| Ok(any | self.condition_value(item, depth + 1)?)),
            "Fn::Not" => match &items()?[..] {
                [inner] => Ok(!self.condition_value(inner, depth + 1)?),
                _ => Err("Fn::Not takes one condition".to_owned()),
            },
            "Condition" => {
                let name = argument.as_str().ok_or("Condition takes a name")?;
                let body = self.template.conditions.get(name).ok_or_else(|| format!("condition `{name}` is not defined"))?;
                self.condition_value(body, depth + 1)
            }
            other => Err(format!("`{other}` is not a condition function")),
        }
    }

    /// Resolves `Ref` to a pseudo parameter, a parameter or a resource.
    fn reference(&self, name: &str) -> Resolved {
        let environment = &self.environment;
        let value = match name {
            "AWS::AccountId" => environment.account.clone(),
            "AWS::Region" => environment.region.clone(),
            "AWS::Partition" => environment.partition.clone(),
            "AWS::StackName" => environment.stack_name.clone(),
            "AWS::URLSuffix" => "amazonaws.com".to_owned(),
            "AWS::StackId" => format!(
                "arn:{}:cloudformation:{}:{}:stack/{}/{}",
                environment.partition,
                environment.region,
                environment.account,
                environment.stack_name,
                hex_id(&environment.stack_name, 32)
            ),
            "AWS::NotificationARNs" => return Ok(Some(Json::Array(Vec::new()))),
            "AWS::NoValue" => return Ok(None),
            _ => {
                if let Some(parameter) = self.template.parameters.get(name) {
                    return Ok(Some(parameter.default.clone().unwrap_or_else(|| Json::String(format!("unresolved-parameter-{name}")))));
                }
                if self.template.resources.contains_key(name) {
                    return Ok(Some(Json::String(self.checked_physical_id(name)?)));
                }
                return Err(format!("Ref to `{name}`, which is neither a parameter nor a resource; add it or fix the reference"));
            }
        };
        Ok(Some(Json::String(value)))
    }

    /// Returns the physical ID a resource's `Ref` stands for.
    pub fn physical_id(&self, logical_id: &str) -> String {
        self.checked_physical_id(logical_id).unwrap_or_else(|_| self.generated_fallback(logical_id))
    }

    /// Returns the physical ID, or an error when deriving it needs the ID
    /// itself: a name property such as `BucketName: {"Ref": <the bucket>}`.
    fn checked_physical_id(&self, logical_id: &str) -> Result<String, String> {
        if let Some(id) = lock(&self.physical_ids).get(logical_id) {
            return Ok(id.clone());
        }
        {
            let mut deriving = lock(&self.deriving);
            if let Some(start) = deriving.iter().position(|id| id == logical_id) {
                let mut chain = deriving[start..].to_vec();
                chain.push(logical_id.to_owned());
                let message = format!(
                    "the name of resource `{logical_id}` refers back to it ({}); CloudFormation rejects this circular dependency, so remove the reference from the name property",
                    chain.join(" -> ")
                );
                lock(&self.name_cycles).push(message.clone());
                return Err(message);
            }
            if deriving.len() >= MAX_NAME_CHAIN {
                let message = format!(
                    "the name of resource `{}` depends on a chain of more than {MAX_NAME_CHAIN} other resources' names (through `{logical_id}`); shorten the chain of name references",
                    deriving[0]
                );
                lock(&self.name_cycles).push(message.clone());
                return Err(message);
            }
            deriving.push(logical_id.to_owned());
        }
        // Derived without holding a lock, because deriving can resolve a
        // `Ref` to another resource and so call this method again.
        let id = self.derive_physical_id(logical_id);
        lock(&self.deriving).pop();
        lock(&self.physical_ids).insert(logical_id.to_owned(), id.clone());
        Ok(id)
    }

    /// Returns the name a resource gets when its name property cannot be
    /// resolved, as if the property were not set.
    fn generated_fallback(&self, logical_id: &str) -> String {
        match self.template.resources.get(logical_id).map(|resource| resource.resource_type.as_str()) {
            Some("AWS::S3::Bucket") => generated_bucket_name(&self.environment.stack_name, logical_id),
            _ => self.generated_name(logical_id),
        }
    }

    fn derive_physical_id(&self, logical_id: &str) -> String {
        let Some(resource) = self.template.resources.get(logical_id) else { return logical_id.to_owned() };
        let named = |property: &str| resource.properties.get(property).and_then(|value| self.resolve(value).ok()).and_then(|v| v.as_str().map(str::to_owned));
        let environment = &self.environment;
        match resource.resource_type.as_str() {
            "AWS::S3::Bucket" => named("BucketName").unwrap_or_else(|| generated_bucket_name(&environment.stack_name, logical_id)),
            "AWS::IAM::Role" => named("RoleName").unwrap_or_else(|| self.generated_name(logical_id)),
            "AWS::IAM::InstanceProfile" => named("InstanceProfileName").unwrap_or_else(|| self.generated_name(logical_id)),
            "AWS::IAM::ManagedPolicy" => {
                let name = named("ManagedPolicyName").unwrap_or_else(|| self.generated_name(logical_id));
                let path = named("Path").unwrap_or_else(|| "/".to_owned());
                format!("arn:{}:iam::{}:policy{path}{name}", environment.partition, environment.account)
            }
            "AWS::EC2::EIP" => format!("198.51.100.{}", 1 + hash_byte(logical_id) % 250),
            other => match id_prefix(other) {
                Some(prefix) => format!("{prefix}-{}", hex_id(logical_id, 17)),
                None => format!("{}-{}", logical_id, hex_id(logical_id, 8)),
            },
        }
    }

    fn generated_name(&self, logical_id: &str) -> String {
        format!("{}-{}-{}", self.environment.stack_name, logical_id, hex_id(logical_id, 12).to_uppercase())
    }

    /// Resolves `Fn::GetAtt`; attributes this model does not know resolve
    /// to a placeholder `LogicalId.Attribute`.
    ///
    /// # Errors
    /// A message when the logical ID is not a resource of the template.
    pub fn attribute(&self, logical_id: &str, attribute: &str) -> Result<Json, String> {
        let resource = self
            .template
            .resources
            .get(logical_id)
            .ok_or_else(|| format!("Fn::GetAtt of `{logical_id}`, which is not a resource"))?;
        let environment = &self.environment;
        let (partition, account) = (&environment.partition, &environment.account);
        let id = self.checked_physical_id(logical_id)?;
        let property = |name: &str| resource.properties.get(name).and_then(|value| self.resolve(value).ok());
        let path = property("Path").and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_else(|| "/".to_owned());
        let value = match (resource.resource_type.as_str(), attribute) {
            ("AWS::S3::Bucket", "Arn") => format!("arn:{partition}:s3:::{id}"),
            ("AWS::S3::Bucket", "DomainName") => format!("{id}.s3.amazonaws.com"),
            ("AWS::S3::Bucket", "RegionalDomainName") => format!("{id}.s3.{}.amazonaws.com", environment.region),
            ("AWS::IAM::Role", "Arn") => format!("arn:{partition}:iam::{account}:role{path}{id}"),
            ("AWS::IAM::Role", "RoleId") => format!("AROA{}", hex_id(logical_id, 17).to_uppercase()),
            ("AWS::IAM::InstanceProfile", "Arn") => format!("arn:{partition}:iam::{account}:instance-profile{path}{id}"),
            ("AWS::IAM::ManagedPolicy", "PolicyArn") => id,
            ("AWS::KMS::Key", "Arn") => format!("arn:{partition}:kms:{}:{account}:key/{id}", environment.region),
            ("AWS::KMS::Key", "KeyId") => id,
            ("AWS::EC2::VPC", "CidrBlock") => return Ok(property("CidrBlock").unwrap_or(Json::Null)),
            ("AWS::EC2::VPC", "VpcId") | ("AWS::EC2::Subnet", "SubnetId") | ("AWS::EC2::VPCEndpoint", "Id") => id,
            ("AWS::EC2::VPC", "DefaultSecurityGroup") => format!("sg-{}", hex_id(&format!("{logical_id}.default"), 17)),
            ("AWS::EC2::SecurityGroup", "GroupId") => id,
            ("AWS::EC2::Subnet", "AvailabilityZone") => format!("{}a", environment.region),
            ("AWS::EC2::Subnet", "CidrBlock") => return Ok(property("CidrBlock").unwrap_or(Json::Null)),
            ("AWS::EC2::EIP", "PublicIp") => id,
            ("AWS::EC2::EIP", "AllocationId") => format!("eipalloc-{}", hex_id(logical_id, 17)),
            ("AWS::EC2::Instance", "PrivateIp") => self.instance_private_ip(logical_id).unwrap_or_else(|| "10.0.0.10".to_owned()),
            ("AWS::EC2::Instance", "PublicIp") => format!("203.0.113.{}", 1 + hash_byte(logical_id) % 250),
            _ => format!("{logical_id}.{attribute}"),
        };
        Ok(Json::String(value))
    }

    /// Returns the private address an instance gets: the eleventh address of
    /// its subnet, or its `PrivateIpAddress` when set.
    pub fn instance_private_ip(&self, logical_id: &str) -> Option<String> {
        let properties = self.properties(logical_id).ok()?;
        if let Some(Json::String(address)) = properties.get("PrivateIpAddress") {
            return Some(address.clone());
        }
        let subnet_id = properties.get("SubnetId")?.as_str()?.to_owned();
        let subnet = self
            .template
            .resources
            .iter()
            .find(|(id, resource)| resource.resource_type == "AWS::EC2::Subnet" && self.physical_id(id) == subnet_id)?;
        let cidr = self.properties(subnet.0).ok()?.get("CidrBlock")?.as_str()?.parse::<IpNet>().ok()?;
        // AWS reserves the first four addresses of every subnet.
        let hosts: Vec<IpAddr> = cidr.hosts().take(11).collect();
        hosts.last().map(ToString::to_string)
    }

    fn substitute(&self, text: &str, variables: &Map<String, Json>) -> Result<String, String> {
        let mut output = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            output.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or_else(|| format!("unclosed ${{ in Fn::Sub template {text:?}"))?;
            let inner = &after[..end];
            rest = &after[end + 1..];
            if let Some(literal) = inner.strip_prefix('!') {
                output.push_str("${");
                output.push_str(literal);
                output.push('}');
                continue;
            }
            let value = if let Some(value) = variables.get(inner) {
                value.clone()
            } else if let Some((logical_id, attribute)) = inner.split_once('.').filter(|_| !inner.starts_with("AWS::")) {
                self.attribute(logical_id, attribute)?
            } else {
                self.reference(inner)?.unwrap_or(Json::String(String::new()))
            };
            match value {
                Json::String(text) => output.push_str(&text),
                Json::Number(number) => output.push_str(&number.to_string()),
                Json::Bool(flag) => output.push_str(&flag.to_string()),
                other => return Err(format!("Fn::Sub variable `{inner}` resolved to {other}, not a string")),
            }
        }
        output.push_str(rest);
        Ok(output)
    }
}

/// Compares values as CloudFormation does in `Fn::Equals`: numbers and
/// booleans as their string forms.
fn normalize(value: Option<Json>) -> Option<String> {
    value.map(|value| match value {
        Json::String(text) => text,
        other => other.to_string(),
    })
}

fn id_prefix(resource_type: &str) -> Option<&'static str> {
    Some(match resource_type {
        "AWS::EC2::VPC" => "vpc",
        "AWS::EC2::Subnet" => "subnet",
        "AWS::EC2::RouteTable" => "rtb",
        "AWS::EC2::InternetGateway" => "igw",
        "AWS::EC2::NatGateway" => "nat",
        "AWS::EC2::VPCEndpoint" => "vpce",
        "AWS::EC2::Instance" => "i",
        "AWS::EC2::SecurityGroup" => "sg",
        "AWS::EC2::NetworkAcl" => "acl",
        "AWS::EC2::EgressOnlyInternetGateway" => "eigw",
        "AWS::EC2::TransitGateway" => "tgw",
        "AWS::EC2::VPCPeeringConnection" => "pcx",
        _ => return None,
    })
}

/// Returns `length` lowercase hex digits derived from `seed`.
fn hex_id(seed: &str, length: usize) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(seed.as_bytes());
    let mut hex = String::with_capacity(2 * digest.len());
    for byte in digest {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    hex.truncate(length);
    hex
}

fn hash_byte(seed: &str) -> u8 {
    Sha256::digest(seed.as_bytes())[0]
}

/// Returns a bucket name in CloudFormation's generated form: lowercase stack name,
/// logical ID and a suffix, within the 63-character limit.
fn generated_bucket_name(stack: &str, logical_id: &str) -> String {
    let clean = |text: &str| text.to_ascii_lowercase().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect::<String>();
    let mut name = format!("{}-{}", clean(stack), clean(logical_id));
    name.truncate(63 - 13);
    format!("{name}-{}", hex_id(logical_id, 12))
}

/// Locks `mutex`, also after a thread panicked while holding it, because
/// every value kept under these locks is whole between statements.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(value: Json) -> Template {
        Template::from_json_value(value, "t.json").unwrap()
    }

    #[test]
    fn resolves_pseudo_parameters_and_sub() {
        let template = template(json!({"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "backups"}}}}));
        let resolver = Resolver::new(&template, Environment::default());
        let value = resolver.resolve(&json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/*-${!Literal}"})).unwrap();
        assert_eq!(value, json!("arn:aws:s3:::backups/*-${Literal}"));
        assert_eq!(resolver.resolve(&json!({"Fn::GetAtt": ["Bucket", "Arn"]})).unwrap(), json!("arn:aws:s3:::backups"));
    }

    #[test]
    fn join_select_if_and_novalue() {
        let template = template(json!({
            "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}},
            "Resources": {}
        }));
        let resolver = Resolver::new(&template, Environment::default());
        assert_eq!(resolver.resolve(&json!({"Fn::Join": ["-", ["a", {"Ref": "AWS::AccountId"}]]})).unwrap(), json!("a-111122223333"));
        assert_eq!(resolver.resolve(&json!({"Fn::Select": [1, ["x", "y"]]})).unwrap(), json!("y"));
        assert_eq!(resolver.resolve(&json!({"Fn::If": ["IsProd", "p", "d"]})).unwrap(), json!("p"));
        assert_eq!(resolver.resolve(&json!(["a", {"Ref": "AWS::NoValue"}])).unwrap(), json!(["a"]));
        assert_eq!(resolver.resolve(&json!({"k": {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, 1]}})).unwrap(), json!({}));
    }

    #[test]
    fn physical_ids_are_deterministic() {
        let template = template(json!({"Resources": {
            "Endpoint": {"Type": "AWS::EC2::VPCEndpoint"},
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"Path": "/service/"}},
            "Logs": {"Type": "AWS::S3::Bucket"}
        }}));
        let resolver = Resolver::new(&template, Environment::default());
        let endpoint = resolver.physical_id("Endpoint");
        assert!(endpoint.starts_with("vpce-"), "{endpoint}");
        assert_eq!(endpoint.len(), 22, "{endpoint}");
        assert_eq!(endpoint, Resolver::new(&template, Environment::default()).physical_id("Endpoint"));
        let role_arn = resolver.attribute("Role", "Arn").unwrap();
        assert!(role_arn.as_str().unwrap().starts_with("arn:aws:iam::111122223333:role/service/vaultgate-Role-"), "{role_arn}");
        let bucket = resolver.physical_id("Logs");
        assert!(bucket.starts_with("vaultgate-logs-"), "{bucket}");
        assert!(bucket.len() <= 63, "{bucket}");
    }

    #[test]
    fn self_named_bucket_reported() {
        let template = template(json!({"Resources": {
            "Logs": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Ref": "Logs"}}}
        }}));

        let resolver = Resolver::new(&template, Environment::default());

        let cycles = resolver.name_cycles();
        assert_eq!(cycles.len(), 1, "{cycles:#?}");
        assert!(cycles[0].contains("(Logs -> Logs)"), "{}", cycles[0]);
        assert!(resolver.physical_id("Logs").starts_with("vaultgate-logs-"), "an unnamed bucket's name is generated");
    }

    #[test]
    fn name_cycle_through_attribute_reported() {
        let template = template(json!({"Resources": {
            "First": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": {"Fn::GetAtt": ["Second", "Arn"]}}},
            "Second": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": {"Ref": "First"}}},
            "Plain": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "plain"}}
        }}));

        let resolver = Resolver::new(&template, Environment::default());

        let cycles = resolver.name_cycles();
        assert_eq!(cycles.len(), 1, "{cycles:#?}");
        assert!(cycles[0].contains("(First -> Second -> First)"), "{}", cycles[0]);
        assert_eq!(resolver.physical_id("Plain"), "plain");
    }

    #[test]
    fn long_name_chain_reported() {
        // R0 is named after R1, R1 after R2, and so on: deriving R0 first
        // recurses through the whole chain.
        let mut resources = serde_json::Map::new();
        for index in 0..1000 {
            let name = if index == 999 { json!("last") } else { json!({"Ref": format!("R{}", index + 1)}) };
            resources.insert(format!("R{index}"), json!({"Type": "AWS::IAM::Role", "Properties": {"RoleName": name}}));
        }
        let template = template(json!({"Resources": resources}));

        let resolver = Resolver::new(&template, Environment::default());

        let cycles = resolver.name_cycles();
        assert!(!cycles.is_empty());
        assert!(cycles[0].contains("more than 64 other resources' names"), "{}", cycles[0]);
    }

    #[test]
    fn unknown_reference_is_an_error() {
        let template = template(json!({"Resources": {}}));
        let resolver = Resolver::new(&template, Environment::default());
        let message = resolver.resolve(&json!({"Ref": "Missing"})).unwrap_err();
        assert!(message.contains("Missing"), "{message}");
        assert!(resolver.resolve(&json!({"Fn::Select": [5, ["a"]]})).is_err());
    }
}
