//! Wildcard matching for actions, resources and condition values, and the
//! substitution of `${…}` policy variables.
//!
//! A pattern is compiled to tokens before matching so that a variable's
//! value and the escapes `${*}`, `${?}` and `${$}` stay literal characters:
//! a user name can never act as a wildcard.

use super::request::Context;

/// One element of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Char(char),
    /// `*`: any run of characters, including none.
    AnyRun,
    /// `?`: exactly one character.
    AnyOne,
}

/// A compiled pattern: tokens ready to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    tokens: Vec<Token>,
    /// `true` when every literal character is ASCII, so that ASCII text can
    /// be matched byte by byte without collecting its characters.
    ascii: bool,
    /// Token positions of the first five literal colons, when the pattern
    /// has five and so is matched against ARNs segment by segment.
    arn_colons: Option<[usize; 5]>,
}

/// How to read `${…}` in a pattern.
#[derive(Clone, Copy)]
pub(crate) struct Variables<'a> {
    /// The request context that variables read from.
    pub context: &'a Context,
    /// `false` under policy version `2008-10-17`, where `${…}` is literal text.
    pub enabled: bool,
}

impl Pattern {
    /// Compiles `text`, reading `*` and `?` as wildcards when `wildcards` is
    /// set. Returns `None` when a variable has no value in the context and
    /// no default, because IAM then treats the element as not matching.
    pub(crate) fn compile(text: &str, wildcards: bool, variables: Option<Variables<'_>>) -> Option<Pattern> {
        let mut tokens = Vec::with_capacity(text.len());
        let mut rest = text;
        while let Some(first) = rest.chars().next() {
            if first == '$' && rest.starts_with("${") && variables.is_some_and(|vars| vars.enabled) {
                if let Some(end) = rest.find('}') {
                    let inner = &rest[2..end];
                    let value = resolve_variable(inner, variables.expect("checked above").context)?;
                    tokens.extend(value.chars().map(Token::Char));
                    rest = &rest[end + 1..];
                    continue;
                }
            }
            tokens.push(match first {
                '*' if wildcards => Token::AnyRun,
                '?' if wildcards => Token::AnyOne,
                other => Token::Char(other),
            });
            rest = &rest[first.len_utf8()..];
        }
        let ascii = tokens.iter().all(|token| !matches!(token, Token::Char(c) if !c.is_ascii()));
        let arn_colons = arn_colons(&tokens);
        Some(Pattern { tokens, ascii, arn_colons })
    }

    /// Returns `true` when the whole of `text` matches.
    pub(crate) fn matches(&self, text: &str, ignore_case: bool) -> bool {
        match_text(&self.tokens, self.ascii, text, ignore_case)
    }

    /// Matches an ARN segment by segment: the first five colons split both
    /// sides, and a wildcard never crosses a segment boundary. A pattern
    /// that is not an ARN (such as `*`) matches the whole text.
    pub(crate) fn matches_arn(&self, arn: &str) -> bool {
        let Some(colons) = self.arn_colons else {
            return self.matches(arn, false);
        };
        let mut arn_parts = arn.splitn(6, ':');
        let mut arn_segments = [""; 6];
        for segment in &mut arn_segments {
            match arn_parts.next() {
                Some(part) => *segment = part,
                None => return false,
            }
        }
        let mut start = 0;
        for (index, text) in arn_segments.iter().enumerate() {
            let end = colons.get(index).copied().unwrap_or(self.tokens.len());
            if !match_text(&self.tokens[start..end], self.ascii, text, false) {
                return false;
            }
            start = end + 1;
        }
        true
    }
}

/// A pattern of a policy (a resource or a condition value): compiled once,
/// or kept as text when it contains `${…}` variables, whose values depend
/// on the request.
#[derive(Debug, Clone)]
pub(crate) enum ValuePattern<'p> {
    /// The pattern, the same for every request.
    Compiled(Pattern),
    /// The text, compiled for each request.
    WithVariables(&'p str),
}

impl<'p> ValuePattern<'p> {
    /// Compiles `text` unless variables are substituted and it contains `${`.
    /// Without `${` (or with variables off) compiling never reads the
    /// context, so the pattern is the same for every request.
    pub(crate) fn new(text: &'p str, wildcards: bool, variables_enabled: bool) -> ValuePattern<'p> {
        if variables_enabled && text.contains("${") {
            return ValuePattern::WithVariables(text);
        }
        match Pattern::compile(text, wildcards, None) {
            Some(pattern) => ValuePattern::Compiled(pattern),
            None => ValuePattern::WithVariables(text),
        }
    }

    /// Calls `check` with the pattern for a request; `false` when a variable
    /// has no value, because IAM then treats the element as not matching.
    pub(crate) fn with_pattern(&self, wildcards: bool, variables: Variables<'_>, check: impl FnOnce(&Pattern) -> bool) -> bool {
        match self {
            ValuePattern::Compiled(pattern) => check(pattern),
            ValuePattern::WithVariables(text) => Pattern::compile(text, wildcards, Some(variables)).is_some_and(|pattern| check(&pattern)),
        }
    }
}

/// Returns the positions of the first five literal colons, where an ARN
/// pattern splits into its six segments, or `None` when there are fewer.
fn arn_colons(tokens: &[Token]) -> Option<[usize; 5]> {
    let mut colons = [0; 5];
    let mut found = 0;
    for (index, token) in tokens.iter().enumerate() {
        if *token == Token::Char(':') {
            colons[found] = index;
            found += 1;
            if found == 5 {
                return Some(colons);
            }
        }
    }
    None
}

/// Resolves the inside of `${…}`: a context key, an escape, or a key with a
/// quoted default such as `aws:username, 'nobody'`.
fn resolve_variable(inner: &str, context: &Context) -> Option<String> {
    match inner {
        "*" => return Some("*".to_owned()),
        "?" => return Some("?".to_owned()),
        "$" => return Some("$".to_owned()),
        _ => {}
    }
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => {
            let default = default.trim();
            let default = default.strip_prefix('\'').and_then(|d| d.strip_suffix('\'')).unwrap_or(default);
            (key.trim(), Some(default.to_owned()))
        }
        None => (inner.trim(), None),
    };
    // A multivalued key cannot be a variable; IAM leaves it unresolved.
    match context.get(key) {
        Some([value]) => Some(value.clone()),
        _ => default,
    }
}

/// Matches the whole of `text`. When the pattern's literals and the text
/// are all ASCII, one byte is one character and ASCII case folding equals
/// Unicode case folding, so the bytes are matched directly. Otherwise the
/// text's characters are collected and compared with Unicode lowercasing.
fn match_text(tokens: &[Token], tokens_ascii: bool, text: &str, ignore_case: bool) -> bool {
    if tokens_ascii && text.is_ascii() {
        let bytes = text.as_bytes();
        return if ignore_case {
            // Every literal is ASCII here, so `c as u8` keeps its value.
            match_tokens(tokens, bytes, |c, b| (c as u8).eq_ignore_ascii_case(&b))
        } else {
            match_tokens(tokens, bytes, |c, b| c as u8 == b)
        };
    }
    let chars: Vec<char> = text.chars().collect();
    if ignore_case {
        match_tokens(tokens, &chars, |a, b| a.to_lowercase().eq(b.to_lowercase()))
    } else {
        match_tokens(tokens, &chars, |a, b| a == b)
    }
}

/// Glob matching with backtracking on the last `*`, linear in practice.
/// `text` has one character per element, and `same` compares a literal of
/// the pattern with one of them.
fn match_tokens<T: Copy>(tokens: &[Token], text: &[T], same: impl Fn(char, T) -> bool) -> bool {
    let (mut t, mut s) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while s < text.len() {
        match tokens.get(t) {
            Some(Token::AnyRun) => {
                star = Some((t, s));
                t += 1;
            }
            Some(Token::AnyOne) => {
                t += 1;
                s += 1;
            }
            Some(Token::Char(c)) if same(*c, text[s]) => {
                t += 1;
                s += 1;
            }
            _ => match star {
                Some((star_t, star_s)) => {
                    t = star_t + 1;
                    s = star_s + 1;
                    star = Some((star_t, star_s + 1));
                }
                None => return false,
            },
        }
    }
    tokens[t.min(tokens.len())..].iter().all(|token| *token == Token::AnyRun)
}

/// Returns `true` when `action` (such as `s3:PutObject`) matches `pattern`;
/// service prefix and action name are compared ignoring case.
pub(crate) fn action_matches(pattern: &str, action: &str) -> bool {
    Pattern::compile(pattern, true, None).is_some_and(|compiled| compiled.matches(action, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arn(pattern: &str, text: &str) -> bool {
        Pattern::compile(pattern, true, None).unwrap().matches_arn(text)
    }

    #[test]
    fn actions_ignore_case() {
        assert!(action_matches("S3:putobject", "s3:PutObject"));
        assert!(action_matches("s3:Put*", "s3:PutObjectRetention"));
        assert!(action_matches("*", "s3:GetObject"));
        assert!(!action_matches("s3:Put*", "s3:GetObject"));
        assert!(action_matches("s3:?etObject", "s3:GetObject"));
    }

    #[test]
    fn resources_match_per_segment() {
        assert!(arn("arn:aws:s3:::b/*", "arn:aws:s3:::b/k/x"));
        assert!(!arn("arn:aws:s3:::b/*", "arn:aws:s3:::b"));
        assert!(arn("arn:aws:s3:::b*", "arn:aws:s3:::b/k"));
        assert!(!arn("arn:aws:s3:::B/*", "arn:aws:s3:::b/k"));
        assert!(arn("arn:aws:iam::*:root", "arn:aws:iam::111122223333:root"));
        assert!(!arn("arn:aws:iam::*:root", "arn:aws:iam::1111:2222:root"));
        assert!(arn("*", "arn:aws:s3:::b"));
        assert!(arn("arn:aws:s3:::b/hosts/db??/*", "arn:aws:s3:::b/hosts/db01/x"));
        assert!(!arn("arn:aws:s3:::b/hosts/db??/*", "arn:aws:s3:::b/hosts/db1/x"));
    }

    #[test]
    fn star_does_not_cross_segments() {
        assert!(!arn("arn:*:s3:::b", "arn:aws:x:s3:::b"));
        assert!(arn("arn:*:s3:::b", "arn:aws-cn:s3:::b"));
    }

    #[test]
    fn variables_substitute_literally() {
        let mut context = Context::new();
        context.insert("aws:username", "a*b");
        let vars = Variables { context: &context, enabled: true };
        let pattern = Pattern::compile("home/${aws:username}/*", true, Some(vars)).unwrap();
        assert!(pattern.matches("home/a*b/x", false));
        assert!(!pattern.matches("home/aXXb/x", false));
        let escaped = Pattern::compile("x${*}", true, Some(vars)).unwrap();
        assert!(escaped.matches("x*", false));
        assert!(!escaped.matches("xy", false));
    }

    #[test]
    fn missing_variable_uses_default_or_fails() {
        let context = Context::new();
        let vars = Variables { context: &context, enabled: true };
        assert!(Pattern::compile("home/${aws:username}/*", true, Some(vars)).is_none());
        let with_default = Pattern::compile("home/${aws:username, 'nobody'}/*", true, Some(vars)).unwrap();
        assert!(with_default.matches("home/nobody/x", false));
    }

    #[test]
    fn old_version_keeps_variables_literal() {
        let context = Context::new();
        let vars = Variables { context: &context, enabled: false };
        let pattern = Pattern::compile("home/${aws:username}", false, Some(vars)).unwrap();
        assert!(pattern.matches("home/${aws:username}", false));
    }
}
