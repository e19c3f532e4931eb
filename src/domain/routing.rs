//! Routing as data (DESIGN §3): the most specific active rule for (category, district)
//! names the lead and co-handling departments; no rule sends the case to the office.

/// A routing rule as the database holds it; `district: None` applies to every district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingRule {
    pub id: i64,
    pub category: String,
    pub district: Option<String>,
    pub lead: String,
    pub co_handlers: Vec<String>,
}

/// Where a complaint goes, and which rule decided (`None`: the office, by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub lead: String,
    pub co_handlers: Vec<String>,
    pub rule_id: Option<i64>,
}

/// `rules` must hold only active rules whose lead department is active; `is_active`
/// tells whether a co-handling department still takes cases.
pub fn route(
    rules: &[RoutingRule],
    category: &str,
    district: &str,
    office: &str,
    is_active: impl Fn(&str) -> bool,
) -> Route {
    let district_rule = rules
        .iter()
        .find(|r| r.category == category && r.district.as_deref() == Some(district));
    let any_district_rule = || {
        rules
            .iter()
            .find(|r| r.category == category && r.district.is_none())
    };
    match district_rule.or_else(any_district_rule) {
        Some(rule) => {
            let mut co_handlers: Vec<String> = Vec::new();
            for code in &rule.co_handlers {
                if code != &rule.lead && is_active(code) && !co_handlers.contains(code) {
                    co_handlers.push(code.clone());
                }
            }
            Route {
                lead: rule.lead.clone(),
                co_handlers,
                rule_id: Some(rule.id),
            }
        }
        None => Route {
            lead: office.to_owned(),
            co_handlers: Vec::new(),
            rule_id: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(
        id: i64,
        category: &str,
        district: Option<&str>,
        lead: &str,
        co: &[&str],
    ) -> RoutingRule {
        RoutingRule {
            id,
            category: category.into(),
            district: district.map(Into::into),
            lead: lead.into(),
            co_handlers: co.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn the_most_specific_rule_wins_and_no_rule_means_the_office() {
        let rules = vec![
            rule(1, "metrology", None, "quality-supervision", &[]),
            rule(
                2,
                "metrology",
                Some("361102"),
                "quality-supervision-361102",
                &[],
            ),
            rule(
                3,
                "counterfeits",
                None,
                "market-regulation",
                &[
                    "public-security",
                    "quality-supervision",
                    "market-regulation",
                ],
            ),
        ];
        let all_active = |_: &str| true;
        let r = route(&rules, "metrology", "361102", "quality-office", all_active);
        assert_eq!(
            (r.lead.as_str(), r.rule_id),
            ("quality-supervision-361102", Some(2))
        );
        let r = route(&rules, "metrology", "361103", "quality-office", all_active);
        assert_eq!(
            (r.lead.as_str(), r.rule_id),
            ("quality-supervision", Some(1))
        );
        let r = route(
            &rules,
            "counterfeits",
            "361103",
            "quality-office",
            all_active,
        );
        assert_eq!(
            r.co_handlers,
            vec!["public-security", "quality-supervision"]
        );
        let r = route(&rules, "other", "361103", "quality-office", all_active);
        assert_eq!(
            r,
            Route {
                lead: "quality-office".into(),
                co_handlers: vec![],
                rule_id: None
            }
        );
        let r = route(&rules, "counterfeits", "361103", "quality-office", |c| {
            c != "public-security"
        });
        assert_eq!(r.co_handlers, vec!["quality-supervision"]);
    }
}
