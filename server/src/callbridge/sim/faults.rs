//! Fault injection: rules that make the simulator slow, busy, or hang up on
//! chosen requests. Settable at runtime from tests through the sim handle.

use http::Method;
use std::time::Duration;

/// Which requests a rule applies to: an optional method and a path pattern.
///
/// The pattern is matched segment by segment against the request path (the
/// query is ignored): `*` matches one segment, a final `**` any rest (zero
/// or more segments), anything else itself. Examples: `POST /api/v1/coSpaces`,
/// `GET /api/v1/coSpaces/*`, `DELETE /api/v1/**`, `**` (everything).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestMatcher {
    method: Option<Method>,
    segments: Vec<String>,
}

impl RequestMatcher {
    /// Every request.
    pub fn any() -> Self {
        Self {
            method: None,
            segments: vec!["**".into()],
        }
    }

    /// `"[METHOD ]pattern"`, e.g. `"POST /api/v1/coSpaces"` or `"/api/v1/**"`.
    pub fn new(spec: &str) -> Self {
        let spec = spec.trim();
        let (method, pattern) = match spec.split_once(' ') {
            Some((m, p)) => (Method::from_bytes(m.trim().as_bytes()).ok(), p.trim()),
            None => (None, spec),
        };
        Self {
            method,
            segments: pattern
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        }
    }

    pub fn matches(&self, method: &Method, path: &str) -> bool {
        if self.method.as_ref().is_some_and(|m| m != method) {
            return false;
        }
        let path = path.split('?').next().unwrap_or("");
        let actual: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut i = 0;
        for (n, seg) in self.segments.iter().enumerate() {
            if seg == "**" && n + 1 == self.segments.len() {
                return true;
            }
            match actual.get(i) {
                Some(a) if seg == "*" || seg == a => i += 1,
                _ => return false,
            }
        }
        i == actual.len()
    }
}

/// What happens to a request a rule catches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultAction {
    /// Answer 503 without processing.
    Busy,
    /// Close the connection without answering, without processing.
    Drop,
    /// Process the request (its effects stay), then close without answering:
    /// the client cannot know it succeeded.
    DropAfterProcessing,
    /// Wait, then process and answer.
    Delay(Duration),
    /// Process, then wait before answering (a slow answer to an applied request).
    DelayAfterProcessing(Duration),
    /// Answer this HTTP status with an empty body, without processing.
    Status(u16),
}

/// A fault rule: let `skip` matching requests through, then apply `action`
/// to the next `times` matching requests, then retire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    pub matcher: RequestMatcher,
    pub skip: u32,
    pub times: u32,
    pub action: FaultAction,
}

impl FaultRule {
    /// The next `n` matching requests.
    pub fn next(n: u32, matcher: RequestMatcher, action: FaultAction) -> Self {
        Self {
            matcher,
            skip: 0,
            times: n,
            action,
        }
    }

    /// Only the `nth` matching request from now (1 = the next one).
    pub fn nth(nth: u32, matcher: RequestMatcher, action: FaultAction) -> Self {
        Self {
            matcher,
            skip: nth.saturating_sub(1),
            times: 1,
            action,
        }
    }
}

/// The faults in force.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// Added to every request before it is processed.
    pub delay: Option<Duration>,
    rules: Vec<FaultRule>,
}

impl Faults {
    pub fn add(&mut self, rule: FaultRule) {
        if rule.times > 0 {
            self.rules.push(rule);
        }
    }

    pub fn clear(&mut self) {
        self.rules.clear();
        self.delay = None;
    }

    pub fn pending(&self) -> usize {
        self.rules.len()
    }

    /// Counts the request against every rule and answers the actions due.
    pub fn on_request(&mut self, method: &Method, path: &str) -> Vec<FaultAction> {
        let mut due = Vec::new();
        for rule in &mut self.rules {
            if !rule.matcher.matches(method, path) {
                continue;
            }
            if rule.skip > 0 {
                rule.skip -= 1;
            } else if rule.times > 0 {
                rule.times -= 1;
                due.push(rule.action.clone());
            }
        }
        self.rules.retain(|r| r.times > 0);
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_segments() {
        let m = RequestMatcher::new("GET /api/v1/coSpaces/*");
        assert!(m.matches(&Method::GET, "/api/v1/coSpaces/abc"));
        assert!(m.matches(&Method::GET, "/api/v1/coSpaces/abc?x=1"));
        assert!(!m.matches(&Method::GET, "/api/v1/coSpaces"));
        assert!(!m.matches(&Method::GET, "/api/v1/coSpaces/abc/accessMethods"));
        assert!(!m.matches(&Method::PUT, "/api/v1/coSpaces/abc"));
        let m = RequestMatcher::new("/api/v1/coSpaces/**");
        assert!(m.matches(&Method::DELETE, "/api/v1/coSpaces"));
        assert!(m.matches(&Method::POST, "/api/v1/coSpaces/a/accessMethods"));
        assert!(!m.matches(&Method::POST, "/api/v1/calls"));
        assert!(RequestMatcher::any().matches(&Method::GET, "/"));
        let m = RequestMatcher::new("POST /api/v1/coSpaces");
        assert!(m.matches(&Method::POST, "/api/v1/coSpaces?"));
        assert!(!m.matches(&Method::POST, "/api/v1/coSpaces/x/accessMethods"));
    }

    #[test]
    fn rules_skip_then_fire_then_retire() {
        let mut f = Faults::default();
        f.add(FaultRule::nth(
            2,
            RequestMatcher::new("GET /**"),
            FaultAction::Busy,
        ));
        f.add(FaultRule::next(
            2,
            RequestMatcher::new("POST /**"),
            FaultAction::Drop,
        ));
        assert!(f.on_request(&Method::GET, "/a").is_empty());
        assert_eq!(f.on_request(&Method::POST, "/a"), vec![FaultAction::Drop]);
        assert_eq!(f.on_request(&Method::GET, "/a"), vec![FaultAction::Busy]);
        assert!(f.on_request(&Method::GET, "/a").is_empty());
        assert_eq!(f.on_request(&Method::POST, "/a"), vec![FaultAction::Drop]);
        assert!(f.on_request(&Method::POST, "/a").is_empty());
        assert_eq!(f.pending(), 0);
    }
}
