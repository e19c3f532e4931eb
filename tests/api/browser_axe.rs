//! axe-core (vendored in tests/vendor/axe-core) in a real headless Chromium on the pages of
//! the resident's and the clerk's journeys, confirmation pages included, and the office's
//! wide tables, at phone and desktop width, in Chinese and English: no WCAG 2.0/2.1 A/AA
//! violation anywhere. JavaScript is on in this browser only so that the test can inject
//! axe; the pages have none.

use std::fmt::Write as _;
use std::time::Duration;

use fantoccini::Client;

use crate::browser::{
    browser_with_javascript, click, file_on_the_form, fill, select, start_driver, wait_for,
};
use crate::helpers::{spawn_app, valid_complaint, TestApp, ADMIN_PASSWORD, STAFF_PASSWORD};
use crate::triage::{act, complaint};

/// axe-core as published on npm (its licence beside it); see tests/vendor/axe-core/README.md.
const AXE_SOURCE: &str = include_str!("../vendor/axe-core/axe.min.js");
const AXE_VERSION: &str = "4.14.1";
/// The published file's hash (its `sri-history.json`), so that an edited copy is noticed.
const AXE_SHA256: &str = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c";

/// The rules of WCAG 2.0 and 2.1, levels A and AA.
const WCAG_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// Also run: duplicate ids. axe files them under WCAG 2.0's 4.1.1 Parsing, obsolete since
/// WCAG 2.2, and leaves them out of the tags above; but a duplicate id still points a
/// `label for`, an `aria-describedby` or an error summary's link at the wrong element.
const ALSO_ENABLED_RULES: [&str; 2] = ["duplicate-id", "duplicate-id-active"];

/// Every page is checked at each of these viewport widths (CSS pixels).
const WIDTHS: [(&str, u32); 2] = [("phone", 390), ("desktop", 1280)];

/// The languages of the run, as the language switch names them (`/lang/{tag}`).
const LANGUAGES: [&str; 2] = ["zh-Hans", "en"];

/// What axe reported on one page at one width.
struct Findings {
    /// One line per violated rule: `id [impact] help`, then each element's selector.
    violations: Vec<String>,
    /// Rules axe could not decide (axe's "needs review"), with their first element.
    incomplete: Vec<String>,
}

/// Injects axe into the page now shown, unless it is there already. It goes in through
/// WebDriver's execute-script, which chromedriver evaluates over the DevTools protocol, out
/// of the page's CSP's reach; the page itself keeps its CSP (no bypass is switched on), so
/// it is tested as it is served.
async fn inject_axe(page: &Client) {
    let version = page
        .execute(
            &format!(
                "if (!window.axe) {{\n{AXE_SOURCE}\n}}\nreturn window.axe && window.axe.version;"
            ),
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("injecting axe: {e}"));
    assert_eq!(version.as_str(), Some(AXE_VERSION), "axe injected");
}

/// Runs axe with the WCAG 2.0 and 2.1 A/AA rules on the whole page now shown.
async fn run_axe(page: &Client) -> Findings {
    inject_axe(page).await;
    let found = page
        .execute_async(
            r#"
            const [tags, rules, done] = arguments;
            const lines = (results) => results.map((rule) => ({
                rule: `${rule.id} [${rule.impact || 'n/a'}] ${rule.help}`,
                // Each element, with the first reason axe gives for it.
                targets: rule.nodes.map((node) => {
                    const why = [...node.any, ...node.all, ...node.none].find((c) => c.message);
                    return node.target.join(' ') + (why ? ` (${why.message})` : '');
                }),
            }));
            axe.run(document, {
                runOnly: { type: 'tag', values: tags },
                rules: Object.fromEntries(rules.map((id) => [id, { enabled: true }])),
                resultTypes: ['violations', 'incomplete'],
            }).then(
                (results) => done({
                    violations: lines(results.violations),
                    incomplete: lines(results.incomplete),
                }),
                (error) => done({ error: String(error) }),
            );
            "#,
            vec![
                serde_json::json!(WCAG_TAGS),
                serde_json::json!(ALSO_ENABLED_RULES),
            ],
        )
        .await
        .unwrap_or_else(|e| panic!("running axe: {e}"));
    if let Some(error) = found.get("error") {
        panic!("axe failed: {error}");
    }
    // Every element of a violation; the first of a rule needing review, and how many more.
    let lines = |kind: &str, most: usize| -> Vec<String> {
        found[kind]
            .as_array()
            .unwrap()
            .iter()
            .map(|rule| {
                let mut line = rule["rule"].as_str().unwrap().to_owned();
                let targets = rule["targets"].as_array().unwrap();
                for target in targets.iter().take(most) {
                    write!(line, "\n      at {}", target.as_str().unwrap()).unwrap();
                }
                if targets.len() > most {
                    write!(line, "\n      and {} more alike", targets.len() - most).unwrap();
                }
                line
            })
            .collect()
    };
    Findings {
        violations: lines("violations", usize::MAX),
        incomplete: lines("incomplete", 1),
    }
}

/// One browser, and every violation found so far, in words a failure message can list.
struct Audit<'a> {
    app: &'a TestApp,
    page: Client,
    language: &'static str,
    checked: usize,
    violations: Vec<String>,
}

impl Audit<'_> {
    /// Runs axe on the page now shown at each width, and records what it finds under `name`.
    async fn check(&mut self, name: &str) {
        let lang = self
            .page
            .execute("return document.documentElement.lang;", vec![])
            .await
            .unwrap();
        assert_eq!(
            lang.as_str(),
            Some(self.language),
            "{name}: the page is in the language of the run"
        );
        let path = self.page.current_url().await.unwrap().path().to_owned();
        for (width_name, width) in WIDTHS {
            set_viewport_width(&self.page, width).await;
            let findings = run_axe(&self.page).await;
            let place = format!(
                "{name} ({path}) at {width_name} width ({width} px) in {}",
                self.language
            );
            for line in findings.violations {
                self.violations.push(format!("{place}: {line}"));
            }
            // axe could not decide these; they need a person's look, not a failed build.
            for line in findings.incomplete {
                eprintln!("axe needs review: {place}: {line}");
            }
            self.checked += 1;
        }
    }

    async fn goto(&self, path: &str) {
        self.page.goto(&self.app.url(path)).await.unwrap();
    }
}

/// Sizes the window so that the page's viewport is `width` CSS pixels wide, whatever the
/// window's frame takes.
async fn set_viewport_width(page: &Client, width: u32) {
    let mut outer = i64::from(width);
    for _ in 0..3 {
        page.set_window_size(outer as u32, 1000).await.unwrap();
        let inner = page
            .execute("return window.innerWidth;", vec![])
            .await
            .unwrap()
            .as_i64()
            .unwrap();
        if inner == i64::from(width) {
            return;
        }
        outer += i64::from(width) - inner;
    }
    panic!("the viewport cannot be made {width} px wide");
}

/// Files a complaint over HTTP and returns its tracking code and id.
async fn file(app: &TestApp) -> (String, String) {
    let code = app.file_valid(valid_complaint()).await;
    let id = complaint(app, &code).await.id.as_ref().to_owned();
    (code, id)
}

async fn ok(response: reqwest::Response, what: &str) {
    let status = response.status();
    assert_eq!(
        status,
        303,
        "{what}: {}",
        response.text().await.unwrap_or_default()
    );
}

/// The cases of one language's run, in the states its pages need, made over HTTP.
struct Cases {
    /// Just filed (`assigned`): the case page and the rejection's preview.
    assigned_id: String,
    /// `accepted`: the reply's preview.
    accepted_id: String,
    /// `awaiting_info`: the resident sends information.
    awaiting_info_code: String,
    /// `resolved`: the resident rates.
    resolved_code: String,
}

async fn arrange_cases(app: &TestApp, clerk: &reqwest::Client) -> Cases {
    let (_, assigned_id) = file(app).await;
    let (_, accepted_id) = file(app).await;
    ok(act(app, clerk, &accepted_id, "accept", &[]).await, "accept").await;
    let (awaiting_info_code, id) = file(app).await;
    ok(act(app, clerk, &id, "accept", &[]).await, "accept").await;
    ok(
        act(
            app,
            clerk,
            &id,
            "request-info",
            &[("message", "请提供购物小票的照片。")],
        )
        .await,
        "request-info",
    )
    .await;
    let (resolved_code, id) = file(app).await;
    ok(act(app, clerk, &id, "accept", &[]).await, "accept").await;
    ok(
        act(
            app,
            clerk,
            &id,
            "reply",
            &[
                ("message", "经调解，商家已全额退款。"),
                ("outcome", "refund"),
            ],
        )
        .await,
        "reply",
    )
    .await;
    Cases {
        assigned_id,
        accepted_id,
        awaiting_info_code,
        resolved_code,
    }
}

/// The resident's pages, from the home page to the success messages.
async fn resident_pages(audit: &mut Audit<'_>, cases: &Cases) {
    let page = audit.page.clone();
    audit
        .goto(&format!("/lang/{}?next=/", audit.language))
        .await;
    wait_for(&page, "main#main").await;
    audit.check("home").await;

    audit.goto("/complaints/new").await;
    wait_for(&page, "form.complaint-form").await;
    audit.check("complaint form").await;
    click(&page, "form.complaint-form button[type=submit]").await;
    wait_for(&page, "form.complaint-form [aria-invalid=true]").await;
    audit.check("complaint form with errors").await;

    file_on_the_form(&page).await;
    wait_for(&page, "#receipt").await;
    audit.check("receipt").await;

    let tracking = page.current_url().await.unwrap().path().to_owned();
    audit.goto(&tracking).await;
    wait_for(&page, "#state[data-state=assigned]").await;
    audit.check("tracking page").await;

    click(&page, "#withdraw-link").await;
    wait_for(&page, "form.withdraw").await;
    audit.check("withdrawal confirmation").await;
    fill(&page, "#reason", "商家已退款").await;
    click(&page, "form.withdraw button[type=submit]").await;
    wait_for(&page, "#state[data-state=withdrawn]").await;
    wait_for(&page, "#notice").await;
    audit.check("withdrawn, with its success message").await;

    audit
        .goto(&format!("/track/{}", cases.awaiting_info_code))
        .await;
    wait_for(&page, "#state[data-state=awaiting_info]").await;
    audit.check("tracking page awaiting information").await;
    fill(&page, "#message", "小票照片已拍好，购买日期是 11 月 1 日。").await;
    click(&page, "#info button[type=submit]").await;
    wait_for(&page, "#notice").await;
    audit
        .check("information sent, with its success message")
        .await;

    audit.goto(&format!("/track/{}", cases.resolved_code)).await;
    wait_for(&page, "#rating").await;
    audit.check("tracking page with the answer").await;
    click(&page, "input[name=score][value='5']").await;
    click(&page, "#rating button[type=submit]").await;
    wait_for(&page, "#state[data-state=closed]").await;
    wait_for(&page, "#notice").await;
    audit.check("rated, with its success message").await;

    audit.goto("/track").await;
    wait_for(&page, "main form").await;
    audit.check("tracking look-up").await;
    audit.goto("/track/ZZZZZ-ZZZZZ-ZZZZZ").await;
    wait_for(&page, "main form").await;
    audit.check("tracking look-up, code not found").await;
    audit.goto("/privacy").await;
    wait_for(&page, "main h1").await;
    audit.check("privacy notice").await;
    audit.goto("/stats").await;
    wait_for(&page, "table#months").await;
    audit.check("public figures").await;
}

/// The clerk's pages, from the sign-in to the previews and the staff error pages.
async fn clerk_pages(audit: &mut Audit<'_>, cases: &Cases) {
    let page = audit.page.clone();
    audit.goto("/admin/login").await;
    wait_for(&page, "#username").await;
    audit.check("staff sign-in").await;
    fill(&page, "#username", "clerk-food").await;
    fill(&page, "#password", STAFF_PASSWORD).await;
    click(&page, "form button[type=submit]").await;
    wait_for(&page, "#results").await;
    audit.check("queue").await;

    audit
        .goto(&format!("/admin/complaints/{}", cases.assigned_id))
        .await;
    wait_for(&page, "#state[data-state=assigned]").await;
    audit.check("case page").await;
    click(&page, "details.other-actions > summary").await;
    audit.check("case page, other actions open").await;
    select(&page, "#reject-standard_reason", "1").await;
    click(&page, "#action-reject button").await;
    wait_for(&page, "form#confirm").await;
    audit.check("rejection preview").await;

    audit
        .goto(&format!("/admin/complaints/{}", cases.accepted_id))
        .await;
    wait_for(&page, "#state[data-state=accepted]").await;
    select(&page, "#reply-outcome", "refund").await;
    fill(&page, "#reply-message", "经调解，商家已全额退款。").await;
    click(&page, "#action-reply button").await;
    wait_for(&page, "form#confirm").await;
    audit.check("reply preview").await;

    audit
        .goto(&format!("/admin/complaints/{}", uuid::Uuid::new_v4()))
        .await;
    wait_for(&page, "#back-to-queue").await;
    audit.check("staff 404").await;
    // Managing API keys is the administrator's: a clerk gets the staff 403 page.
    audit.goto("/admin/api-keys").await;
    wait_for(&page, "#back-to-queue").await;
    audit.check("staff 403").await;
    audit.goto("/admin").await;
    click(&page, "form[action='/admin/logout'] button").await;
    wait_for(&page, "#username").await;
}

/// The office's pages with wide tables (each scrolls on a phone, and so must be reachable
/// by keyboard), as the administrator sees them: the bulletin, hotspots, a business.
async fn office_pages(audit: &mut Audit<'_>) {
    let page = audit.page.clone();
    audit.goto("/admin/login").await;
    fill(&page, "#username", "admin").await;
    fill(&page, "#password", ADMIN_PASSWORD).await;
    click(&page, "form button[type=submit]").await;
    wait_for(&page, "#results").await;
    audit.goto("/admin/reports").await;
    wait_for(&page, "table#weeks").await;
    audit.check("bulletin").await;
    audit.goto("/admin/hotspots").await;
    wait_for(&page, "table#hotspots").await;
    audit.check("hotspots").await;
    click(&page, "table#hotspots tbody a").await;
    wait_for(&page, "table#business-cases").await;
    audit.check("business").await;
}

/// The run proves itself first: on a served page, whose CSP still refuses a script planted
/// in it, axe reports an image without a text alternative and a duplicate id planted there.
async fn axe_reports_what_is_planted(app: &TestApp, page: &Client) {
    page.goto(&app.url("/privacy")).await.unwrap();
    wait_for(page, "main h1").await;
    let inline_ran = page
        .execute(
            "const script = document.createElement('script');
             script.textContent = 'window.inlineScriptRan = true;';
             document.body.append(script);
             return window.inlineScriptRan === true;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        inline_ran.as_bool(),
        Some(false),
        "the page's CSP is in force"
    );
    page.execute(
        "const main = document.querySelector('main');
         main.append(document.createElement('img'));
         const twin = document.createElement('p');
         twin.id = 'main';
         twin.textContent = 'twin';
         main.append(twin);",
        vec![],
    )
    .await
    .unwrap();
    let planted = run_axe(page).await.violations;
    for rule in ["image-alt [critical]", "duplicate-id [minor]"] {
        assert!(
            planted.iter().any(|line| line.starts_with(rule)),
            "axe reports {rule}: {planted:?}"
        );
    }
}

#[tokio::test]
async fn the_pages_of_the_journeys_have_no_wcag_violation_at_phone_and_desktop_width() {
    let app = spawn_app().await;
    app.create_user("clerk-food", "clerk", "food-drug").await;
    let clerk = app.login("clerk-food", STAFF_PASSWORD).await;
    let driver = start_driver();
    let mut checked = 0;
    let mut violations = Vec::new();
    for (run, language) in LANGUAGES.into_iter().enumerate() {
        let cases = arrange_cases(&app, &clerk).await;
        // A browser per language: its own cookies, so the sign-in page shows signed out.
        let page = browser_with_javascript(&driver).await;
        // axe on a long page in a debug build on a busy machine: a bound, not a pace.
        page.update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
            Some(Duration::from_secs(120)),
            None,
            None,
        ))
        .await
        .unwrap();
        if run == 0 {
            axe_reports_what_is_planted(&app, &page).await;
        }
        let mut audit = Audit {
            app: &app,
            page,
            language,
            checked: 0,
            violations: Vec::new(),
        };
        resident_pages(&mut audit, &cases).await;
        clerk_pages(&mut audit, &cases).await;
        office_pages(&mut audit).await;
        checked += audit.checked;
        violations.append(&mut audit.violations);
        let _ = tokio::time::timeout(Duration::from_secs(10), audit.page.close()).await;
    }
    assert!(
        violations.is_empty(),
        "axe {AXE_VERSION} ({}, {}) found {} violation(s) in {checked} page checks:\n  {}",
        WCAG_TAGS.join(", "),
        ALSO_ENABLED_RULES.join(", "),
        violations.len(),
        violations.join("\n  ")
    );
}

#[test]
fn the_vendored_axe_core_is_the_published_file() {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(AXE_SOURCE.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, AXE_SHA256, "tests/vendor/axe-core/axe.min.js");
    assert!(AXE_SOURCE.starts_with(&format!("/*! axe v{AXE_VERSION}")));
}
