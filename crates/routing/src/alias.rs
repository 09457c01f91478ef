//! Model aliases: a client's model id mapped to the id that is routed. Exact aliases win; among
//! wildcard aliases (`*` any run of characters, `?` one character) the most specific wins — the
//! one with the most literal characters, then the longest, then the first in byte order, so the
//! choice never depends on storage order.

/// Whether `text` matches the glob `pattern`.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    // The last `*` seen and the text position it was tried at, for backtracking.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

fn is_wildcard(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

fn specificity(pattern: &str) -> (usize, usize) {
    (
        pattern.chars().filter(|c| !matches!(c, '*' | '?')).count(),
        pattern.len(),
    )
}

/// The target of the alias that applies to `model`, if any.
pub fn resolve<'a>(
    model: &str,
    aliases: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<&'a str> {
    let mut best: Option<(&'a str, &'a str)> = None;
    for (pattern, target) in aliases {
        if !is_wildcard(pattern) {
            if pattern == model {
                return Some(target);
            }
            continue;
        }
        if !glob_matches(pattern, model) {
            continue;
        }
        let better = match best {
            None => true,
            Some((current, _)) => {
                let (a, b) = (specificity(pattern), specificity(current));
                a > b || (a == b && pattern < current)
            }
        };
        if better {
            best = Some((pattern, target));
        }
    }
    best.map(|(_, target)| target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        for (p, t, ok) in [
            ("*", "", true),
            ("*", "anything/at-all", true),
            ("gpt-4*", "gpt-4o-mini", true),
            ("gpt-4*", "gpt-5", false),
            ("claude-?-opus", "claude-3-opus", true),
            ("claude-?-opus", "claude-35-opus", false),
            ("*sonnet*", "cc/claude-sonnet-4-5", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
            ("exact", "exact", true),
            ("ex?ct*", "exacting", true),
            ("**x", "x", true),
            ("ü*", "über", true),
        ] {
            assert_eq!(glob_matches(p, t), ok, "{p} vs {t}");
        }
    }

    #[test]
    fn exact_beats_wildcards_and_the_most_specific_wildcard_wins() {
        let aliases = [
            ("*", "fallback/any"),
            ("claude-*", "cc/claude-sonnet-4-5"),
            ("claude-opus-*", "cc/claude-opus-4-6"),
            ("claude-opus-4-6", "anthropic/claude-opus-4-6"),
            ("gpt-?o", "openai/gpt-4o"),
        ];
        let r = |m| resolve(m, aliases.iter().map(|(p, t)| (*p, *t)));
        assert_eq!(r("claude-opus-4-6"), Some("anthropic/claude-opus-4-6"));
        assert_eq!(r("claude-opus-4-1"), Some("cc/claude-opus-4-6"));
        assert_eq!(r("claude-haiku"), Some("cc/claude-sonnet-4-5"));
        assert_eq!(r("gpt-4o"), Some("openai/gpt-4o"));
        assert_eq!(r("llama"), Some("fallback/any"));
        let reversed: Vec<_> = aliases.iter().rev().map(|(p, t)| (*p, *t)).collect();
        assert_eq!(
            resolve("claude-opus-4-1", reversed),
            Some("cc/claude-opus-4-6"),
            "order does not matter"
        );
        assert_eq!(resolve("x", std::iter::empty()), None);
    }

    #[test]
    fn ties_are_broken_deterministically() {
        let a = [("gpt-*o", "one"), ("gpt-4*", "two")];
        let b = [("gpt-4*", "two"), ("gpt-*o", "one")];
        assert_eq!(resolve("gpt-4o", a), resolve("gpt-4o", b));
    }
}
