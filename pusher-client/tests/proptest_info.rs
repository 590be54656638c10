//! Property tests of `Info`'s wire form (the `info` query parameter): any list of the known
//! attribute names, in any order, repeated, with whitespace and empty items around them, parses
//! to the union of those names and writes back to the canonical form; any other name is refused
//! and named in the error. Arbitrary strings never panic.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use pusher_client::Info;

fn name() -> impl Strategy<Value = (&'static str, Info)> {
    prop_oneof![
        Just(("subscription_count", Info::SUBSCRIPTION_COUNT)),
        Just(("user_count", Info::USER_COUNT)),
        Just(("", Info::NONE)),
    ]
}

fn padding() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[ \t\n]{0,2}").unwrap()
}

proptest! {
    #[test]
    fn known_names_parse_to_their_union(
        items in proptest::collection::vec((padding(), name(), padding()), 0..6)
    ) {
        let text = items
            .iter()
            .map(|(before, (name, _), after)| format!("{before}{name}{after}"))
            .collect::<Vec<_>>()
            .join(",");
        let expected = items.iter().fold(Info::NONE, |acc, (_, (_, info), _)| acc | *info);
        let parsed: Info = text.parse().unwrap();
        prop_assert_eq!(parsed, expected);
        // Written back in the canonical order, it parses to the same value.
        prop_assert_eq!(parsed.to_string().parse::<Info>().unwrap(), parsed);
        prop_assert_eq!(parsed.to_string(), parsed.to_param().unwrap_or_default());
    }

    #[test]
    fn unknown_names_are_refused_by_name(
        known in proptest::collection::vec(name(), 0..3),
        unknown in "[a-z_]{1,20}",
    ) {
        prop_assume!(unknown != "subscription_count" && unknown != "user_count");
        let mut items: Vec<&str> = known.iter().map(|(name, _)| *name).collect();
        items.push(&unknown);
        let err = items.join(",").parse::<Info>().unwrap_err();
        prop_assert_eq!(err.attribute(), unknown.as_str());
    }

    #[test]
    fn arbitrary_strings_never_panic(text in ".{0,40}") {
        let _ = text.parse::<Info>();
    }
}
