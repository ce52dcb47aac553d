//! Rust names for CloudFormation names: type names become UpperCamel with
//! acronyms lowered (`AWS::EC2::VPCEndpoint` -> `VpcEndpoint`), property
//! names become snake_case (`SSEAlgorithm` -> `sse_algorithm`).

/// Splits a CloudFormation name into words at case changes. A run of
/// capitals is one word (an acronym) except for its last capital when a
/// lowercase letter follows, which starts the next word (`SSEAlgorithm` ->
/// `SSE`, `Algorithm`). Digits stay with the word before them (`Ipv6Cidr` ->
/// `Ipv6`, `Cidr`).
pub fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let previous = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let starts_word = match previous {
            None => false,
            Some(p) if c.is_ascii_uppercase() => {
                p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_ascii_uppercase() && next.is_some_and(|n| n.is_ascii_lowercase()))
            }
            Some(_) => false,
        };
        if starts_word && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// `VPCGatewayAttachment` -> `VpcGatewayAttachment`.
pub fn upper_camel(name: &str) -> String {
    words(name)
        .iter()
        .map(|word| {
            let lower = word.to_ascii_lowercase();
            let mut chars = lower.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// `KMSMasterKeyID` -> `kms_master_key_id`.
pub fn snake_case(name: &str) -> String {
    words(name).iter().map(|word| word.to_ascii_lowercase()).collect::<Vec<_>>().join("_")
}

const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro",
    "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "self", "static", "struct",
    "super", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while",
    "yield",
];

/// A snake_case identifier, with `_` appended to Rust keywords (`Type` ->
/// `type_`) because raw identifiers read poorly in constructor calls.
pub fn identifier(name: &str) -> String {
    let snake = snake_case(name);
    if KEYWORDS.contains(&snake.as_str()) {
        snake + "_"
    } else {
        snake
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_lower_acronyms() {
        assert_eq!(upper_camel("VPC"), "Vpc");
        assert_eq!(upper_camel("VPCGatewayAttachment"), "VpcGatewayAttachment");
        assert_eq!(upper_camel("VPCEndpoint"), "VpcEndpoint");
        assert_eq!(upper_camel("EIP"), "Eip");
        assert_eq!(upper_camel("SubnetRouteTableAssociation"), "SubnetRouteTableAssociation");
    }

    #[test]
    fn property_names_become_snake_case() {
        assert_eq!(identifier("BucketName"), "bucket_name");
        assert_eq!(identifier("SSEAlgorithm"), "sse_algorithm");
        assert_eq!(identifier("KMSMasterKeyID"), "kms_master_key_id");
        assert_eq!(identifier("VpcId"), "vpc_id");
        assert_eq!(identifier("CidrIp"), "cidr_ip");
        assert_eq!(identifier("Ipv6CidrBlocks"), "ipv6_cidr_blocks");
        assert_eq!(identifier("WebsiteURL"), "website_url");
        assert_eq!(identifier("S3TablesDestination"), "s3_tables_destination");
    }

    #[test]
    fn keywords_get_trailing_underscore() {
        assert_eq!(identifier("Type"), "type_");
        assert_eq!(identifier("Match"), "match_");
    }
}
