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
    /// The shape of the whole pattern.
    shape: Shape,
    /// The six segments, split at the first five literal colons, when the
    /// pattern has five and so is matched against ARNs segment by segment.
    arn_segments: Option<Vec<Segment>>,
}

/// One segment of an ARN pattern: a range of its tokens and their shape.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Segment {
    start: usize,
    end: usize,
    shape: Shape,
}

/// The forms of pattern that most policies use, which match by comparing
/// bytes instead of walking the tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    /// ASCII literals only, such as `s3:PutObject`: the text must equal them.
    Exact(Box<[u8]>),
    /// ASCII literals then one `*` that ends the pattern, such as
    /// `arn:aws:s3:::backups/*`: the text must start with the literals.
    Prefix(Box<[u8]>),
    /// Any other pattern, matched token by token.
    General,
}

impl Shape {
    fn of(tokens: &[Token]) -> Shape {
        let (literals, trailing_star) = match tokens.split_last() {
            Some((Token::AnyRun, rest)) => (rest, true),
            _ => (tokens, false),
        };
        let mut bytes = Vec::with_capacity(literals.len());
        for token in literals {
            match token {
                Token::Char(c) if c.is_ascii() => bytes.push(*c as u8),
                _ => return Shape::General,
            }
        }
        if trailing_star {
            Shape::Prefix(bytes.into())
        } else {
            Shape::Exact(bytes.into())
        }
    }
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
        let shape = Shape::of(&tokens);
        let arn_segments = arn_colons(&tokens).map(|colons| {
            let mut start = 0;
            let mut segments = Vec::with_capacity(6);
            for end in colons.into_iter().chain([tokens.len()]) {
                segments.push(Segment { start, end, shape: Shape::of(&tokens[start..end]) });
                start = end + 1;
            }
            segments
        });
        Some(Pattern { tokens, ascii, shape, arn_segments })
    }

    /// Returns `true` when the whole of `text` matches.
    pub(crate) fn matches(&self, text: &str, ignore_case: bool) -> bool {
        match_shaped(&self.tokens, &self.shape, self.ascii, text, ignore_case)
    }

    /// Matches an ARN segment by segment: the first five colons split both
    /// sides, and a wildcard never crosses a segment boundary. A pattern
    /// that is not an ARN (such as `*`) matches the whole text.
    pub(crate) fn matches_arn(&self, arn: &str) -> bool {
        self.matches_split_arn(&SplitArn::new(arn))
    }

    /// [`Pattern::matches_arn`] on an ARN split beforehand.
    pub(crate) fn matches_split_arn(&self, arn: &SplitArn<'_>) -> bool {
        let Some(segments) = &self.arn_segments else {
            return self.matches(arn.text, false);
        };
        let Some(arn_segments) = arn.segments else {
            return false;
        };
        segments
            .iter()
            .zip(arn_segments)
            .all(|(segment, text)| match_shaped(&self.tokens[segment.start..segment.end], &segment.shape, self.ascii, text, false))
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

/// An ARN and its six segments, split at its first five colons once for
/// all the patterns it is matched against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SplitArn<'a> {
    text: &'a str,
    /// `None` when the text has fewer than five colons, so that no ARN
    /// pattern matches it.
    segments: Option<[&'a str; 6]>,
}

impl<'a> SplitArn<'a> {
    pub(crate) fn new(text: &'a str) -> SplitArn<'a> {
        let mut parts = text.splitn(6, ':');
        let mut segments = [""; 6];
        for segment in &mut segments {
            match parts.next() {
                Some(part) => *segment = part,
                None => return SplitArn { text, segments: None },
            }
        }
        SplitArn { text, segments: Some(segments) }
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

/// Matches the whole of `text` against tokens of the given shape. The
/// shortcuts compare bytes, which equals comparing characters only when
/// the text is ASCII too, because a non-ASCII character such as the Kelvin
/// sign can lowercase to an ASCII one.
fn match_shaped(tokens: &[Token], shape: &Shape, tokens_ascii: bool, text: &str, ignore_case: bool) -> bool {
    if text.is_ascii() {
        let same = |left: &[u8], right: &[u8]| if ignore_case { left.eq_ignore_ascii_case(right) } else { left == right };
        match shape {
            Shape::Exact(literals) => return same(text.as_bytes(), literals),
            Shape::Prefix(literals) => return text.as_bytes().get(..literals.len()).is_some_and(|head| same(head, literals)),
            Shape::General => {}
        }
    }
    match_text(tokens, tokens_ascii, text, ignore_case)
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
                // A `*` that ends the pattern matches the rest of the text.
                if t + 1 == tokens.len() {
                    return true;
                }
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

    /// The byte shortcuts of `Shape` must agree with matching token by
    /// token, including on non-ASCII text, which they leave to the tokens.
    #[test]
    fn shapes_agree_with_tokens() {
        let patterns = ["s3:PutObject", "s3:Put*", "S3:put*", "*", "", "k", "k*", "a?c", "a*c", "arn:aws:s3:::b/*", "arn:*:s3:::b", "dé*"];
        let texts = ["s3:PutObject", "s3:putobject", "s3:Put", "s3:Pu", "", "k", "K", "\u{212A}", "\u{212A}x", "abc", "ab", "arn:aws:s3:::b/x", "arn:aws:s3:::b", "dé01", "DÉ01"];
        for pattern in patterns {
            let compiled = Pattern::compile(pattern, true, None).unwrap();
            for text in texts {
                for ignore_case in [false, true] {
                    let by_tokens = match_text(&compiled.tokens, compiled.ascii, text, ignore_case);
                    assert_eq!(compiled.matches(text, ignore_case), by_tokens, "{pattern:?} on {text:?}, ignore_case {ignore_case}");
                }
            }
        }
        assert_eq!(Pattern::compile("s3:Put*", true, None).unwrap().shape, Shape::Prefix(b"s3:Put".as_slice().into()));
        assert_eq!(Pattern::compile("s3:PutObject", true, None).unwrap().shape, Shape::Exact(b"s3:PutObject".as_slice().into()));
        assert_eq!(Pattern::compile("s3:?ut*", true, None).unwrap().shape, Shape::General);
        // Unicode lowercasing makes the Kelvin sign equal `k`, which a byte comparison would miss.
        assert!(Pattern::compile("k", true, None).unwrap().matches("\u{212A}", true));
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
