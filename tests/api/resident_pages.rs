//! The resident's pages of issue 16: messages that name their field and mark it for
//! assistive technology, the confirmation panel after filing, where a case stands on the
//! tracking page, the look-up form for an unknown code, the footer and `/privacy`.

use std::sync::Arc;

use green_channel::config::SiteSettings;
use green_channel::domain::calendar::WorkCalendar;
use scraper::{Html, Selector};

use crate::helpers::{
    city_today, cookieless_client, select_attr, select_text, spawn_app, spawn_app_with,
    valid_complaint, with, without, TestApp, STAFF_PASSWORD,
};
use crate::triage::{act, complaint};

const UNKNOWN_CODE: &str = "K7QX3-MNAPR-2D9WT";

type Fields = Vec<(&'static str, String)>;
/// A malformed filing, and each field it must mark with its message.
type Refusal = (&'static str, Fields, Vec<(&'static str, &'static str)>);

fn title(html: &str) -> String {
    select_text(html, "title").concat()
}

/// Every element matching `selector`, as (attribute → value) of the named attributes.
fn attrs_of(html: &str, selector: &str, attr: &str) -> Vec<Option<String>> {
    let document = Html::parse_document(html);
    let selector = Selector::parse(selector).unwrap();
    document
        .select(&selector)
        .map(|e| e.value().attr(attr).map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_refused_filing_names_each_field_marks_it_and_sums_the_errors_up_at_the_top() {
    let app = spawn_app().await;
    let fresh = app.get_html("/complaints/new").await;
    assert!(!title(&fresh).starts_with("错误："), "{}", title(&fresh));
    assert!(!fresh.contains("aria-invalid"), "nothing is in error yet");
    assert!(select_text(&fresh, "#error-summary").is_empty());

    // Malformed filings, and the fields each must mark (the field's id is the link target).
    let rows: Vec<Refusal> = vec![
        (
            "nothing chosen",
            without(
                without(without(valid_complaint(), "kind"), "category"),
                "district",
            ),
            vec![
                ("kind", "请选择提交类型（投诉或举报）。"),
                ("category", "请选择问题类别。"),
                ("district", "请选择经营者所在区县。"),
            ],
        ),
        (
            "nothing typed",
            with(
                with(valid_complaint(), "business_name", ""),
                "description",
                "",
            ),
            vec![
                ("business_name", "请填写经营者名称。"),
                ("description", "请填写投诉内容。"),
            ],
        ),
        (
            "too short, a wrong phone, no consent",
            without(
                with(
                    with(valid_complaint(), "description", "太短了"),
                    "phone",
                    "12345",
                ),
                "consent",
            ),
            vec![
                ("description", "投诉内容至少需要 10 个字。"),
                (
                    "phone",
                    "请填写 11 位手机号，或带区号的固定电话（可加分机号）。",
                ),
                ("consent", "请勾选同意，否则我们无法办理。"),
            ],
        ),
        (
            "a complaint without a name or a way to reach its author",
            without(
                without(without(valid_complaint(), "complainant_name"), "phone"),
                "email",
            ),
            vec![
                ("complainant_name", "投诉需要填写姓名（只有举报可以匿名）。"),
                ("phone", "请至少留下电话或邮箱中的一项，方便部门联系您。"),
            ],
        ),
        (
            "an unknown district and a date in the future",
            with(
                with(valid_complaint(), "district", "361199"),
                "incident_date",
                &(city_today() + chrono::Days::new(1)).to_string(),
            ),
            vec![
                ("district", "请从列表中选择经营者所在区县。"),
                ("incident_date", "发生日期不能晚于今天。"),
            ],
        ),
    ];
    for (case, fields, expected) in rows {
        let response = app.file_complaint(fields).await;
        assert_eq!(response.status().as_u16(), 422, "{case}");
        let html = response.text().await.unwrap();
        assert!(
            title(&html).starts_with("错误："),
            "{case}: {}",
            title(&html)
        );
        assert_eq!(
            select_attr(&html, "#error-summary", "role").as_deref(),
            Some("alert"),
            "{case}"
        );
        assert_eq!(
            select_text(&html, "#error-summary h2"),
            vec!["请修改以下内容后再提交"],
            "{case}"
        );
        let links: Vec<Option<String>> = attrs_of(&html, "#error-summary a", "href");
        let expected_links: Vec<Option<String>> = expected
            .iter()
            .map(|(field, _)| Some(format!("#{field}")))
            .collect();
        assert_eq!(
            links, expected_links,
            "{case}: one link per field, in form order"
        );
        for (field, message) in &expected {
            assert_eq!(
                select_text(&html, &format!("#error-summary a[href='#{field}']")),
                vec![message.to_string()],
                "{case}"
            );
            assert_eq!(
                select_text(&html, &format!("#{field}-error")),
                vec![message.to_string()],
                "{case}: beside {field}"
            );
            assert_eq!(
                select_attr(&html, &format!("#{field}"), "aria-invalid").as_deref(),
                Some("true"),
                "{case}: {field} marked"
            );
            // The radio group is described as a whole, by its fieldset.
            let described = if *field == "kind" {
                select_attr(
                    &html,
                    "fieldset.invalid[aria-describedby]",
                    "aria-describedby",
                )
            } else {
                select_attr(&html, &format!("#{field}"), "aria-describedby")
            }
            .unwrap_or_default();
            assert!(
                described
                    .split(' ')
                    .any(|id| id == format!("{field}-error")),
                "{case}: {field} described by its message: {described:?}"
            );
        }
        // Fields not in error are not marked.
        let marked = attrs_of(&html, "[aria-invalid=true]", "name");
        assert!(
            marked
                .iter()
                .flatten()
                .all(|name| expected.iter().any(|(f, _)| f == name)),
            "{case}: {marked:?}"
        );
    }
    assert_eq!(app.stored_rows().await, [0; 5], "nothing stored");
}

#[tokio::test]
async fn messages_name_their_field_in_every_language() {
    let app = spawn_app().await;
    let rows = [
        (
            "district",
            without(valid_complaint(), "district"),
            [
                ("zh-CN", "请选择经营者所在区县。"),
                ("zh-TW", "請選擇經營者所在區縣。"),
                ("en", "Choose the district where the business operates."),
            ],
        ),
        (
            "business_address",
            with(valid_complaint(), "business_address", "   "),
            [
                ("zh-CN", "请填写经营者地址。"),
                ("zh-TW", "請填寫經營者地址。"),
                ("en", "Enter the address of the business."),
            ],
        ),
        (
            "demand",
            with(valid_complaint(), "demand", &"退".repeat(1001)),
            [
                ("zh-CN", "您的诉求最多 1000 个字，请删减。"),
                ("zh-TW", "您的訴求最多 1000 個字，請刪減。"),
                (
                    "en",
                    "What you ask for must be at most 1000 characters: please shorten it.",
                ),
            ],
        ),
    ];
    for (field, fields, messages) in rows {
        for (accept_language, message) in messages {
            let response = app.file_in(fields.clone(), accept_language).await;
            assert_eq!(response.status().as_u16(), 422);
            let html = response.text().await.unwrap();
            assert_eq!(
                select_text(&html, &format!("#{field}-error")),
                vec![message.to_owned()],
                "{field} in {accept_language}"
            );
            let prefix = if accept_language == "en" {
                "Error: "
            } else {
                "错误："
            };
            let prefix = if accept_language == "zh-TW" {
                "錯誤："
            } else {
                prefix
            };
            assert!(title(&html).starts_with(prefix), "{}", title(&html));
        }
    }
}

#[tokio::test]
async fn the_contact_fields_say_what_a_complaint_and_a_report_need() {
    let app = spawn_app().await;
    let html = app.get_html("/complaints/new").await;
    let label = |field: &str| select_text(&html, &format!("label[for={field}]")).concat();
    assert!(label("complainant_name").contains("投诉必填；举报可不填"));
    for field in ["phone", "email"] {
        assert!(
            label(field).contains("投诉须填电话或邮箱至少一项；举报可不填"),
            "{field}: {}",
            label(field)
        );
    }
    for field in ["complainant_name", "phone", "email"] {
        assert!(!label(field).contains("（选填）"), "{field}");
    }
    // Fields that are optional for everyone still say so.
    assert!(label("product").contains("（选填）"));
}

#[tokio::test]
async fn the_receipt_is_a_panel_with_what_happens_next_and_a_copy_shown_once() {
    let app = spawn_app().await;
    let description = "买到的奶粉已经过期三个月，商家拒绝退货。";
    let response = app
        .file_complaint(with(valid_complaint(), "description", description))
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let code = location.trim_start_matches("/track/").to_owned();
    let stored = complaint(&app, &code).await;

    let page = app.get_html(&location).await;
    assert_eq!(select_text(&page, "#receipt h2"), vec!["已收到，谢谢您"]);
    assert_eq!(
        select_text(&page, "#receipt .code-big.nowrap"),
        vec![code.clone()],
        "the code, on one line"
    );
    assert!(select_text(&page, "#keep-code")[0].contains("请抄下或截图保存查询码"));
    let next = select_text(&page, "#receipt-next li");
    assert!(
        next.iter()
            .any(|line| line.contains(&stored.accept_due.to_string()) && line.contains("受理")),
        "the acceptance deadline: {next:?}"
    );
    assert!(next.iter().any(|line| line.contains("食品药品监督管理局")));
    let copy = select_text(&page, "#submitted-copy dd");
    for typed in [description, &stored.business_name, &stored.business_address] {
        assert!(
            copy.iter().any(|v| v.contains(typed)),
            "{typed} in {copy:?}"
        );
    }
    // The resident's own contact details are not repeated on a page that may be printed.
    for contact in [
        stored.phone.clone(),
        stored.complainant_name.clone(),
        stored.email.clone(),
    ]
    .into_iter()
    .flatten()
    {
        assert!(!page.contains(&contact), "{contact}");
    }

    // Shown once: the next visit, and anyone else, sees the case without it.
    let again = app.get_html(&location).await;
    assert!(select_text(&again, "#receipt").is_empty());
    assert!(!again.contains(description));

    // A receipt cookie made up by someone who knows the code shows nothing either.
    let now = chrono::Utc::now().timestamp();
    for forged in [
        code.clone(),
        format!("{code}.{now}.AAAA"),
        format!("{code}.{now}"),
        format!("{code}..{now}"),
        "%00".to_owned(),
    ] {
        let html = cookieless_client()
            .get(app.url(&location))
            .header("cookie", format!("gc_receipt={forged}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(select_text(&html, "#receipt").is_empty(), "{forged}");
        assert!(!html.contains(description), "{forged}");
    }
}

async fn reply_to(app: &TestApp, code: &str) {
    app.create_user("clerk-food", "clerk", "food-drug").await;
    let clerk = app.login("clerk-food", STAFF_PASSWORD).await;
    let id = complaint(app, code).await.id.as_str().to_owned();
    let accepted = act(app, &clerk, &id, "accept", &[]).await;
    assert_eq!(accepted.status().as_u16(), 303);
    let replied = act(
        app,
        &clerk,
        &id,
        "reply",
        &[
            ("outcome", "refund"),
            ("message", "经调解，商家已全额退款。"),
        ],
    )
    .await;
    assert_eq!(replied.status().as_u16(), 303);
}

#[tokio::test]
async fn the_tracking_page_opens_with_where_the_case_stands() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let stored = complaint(&app, &code).await;
    let page = app.get_html(&format!("/track/{code}")).await;

    let steps = select_text(&page, "ol#steps > li .step-label");
    assert_eq!(steps, vec!["提交", "受理", "办理", "答复", "评价"]);
    let current = select_text(&page, "ol#steps > li[aria-current=step]");
    assert_eq!(current.len(), 1);
    assert!(current[0].starts_with("受理"), "{current:?}");
    assert!(
        current[0].contains(&format!("{} 前", stored.accept_due)),
        "{current:?}"
    );
    let filed = select_text(&page, "ol#steps > li[data-step=done]");
    assert_eq!(filed.len(), 1);
    assert!(filed[0].contains(&city_today().to_string()), "{filed:?}");
    let days = WorkCalendar::official_2026().working_days_between(city_today(), stored.accept_due);
    assert_eq!(
        select_text(&page, "#remaining"),
        vec![format!("还剩 {days} 个工作日")]
    );
    assert!(select_text(&page, "#legal-basis")[0].contains("国家市场监督管理总局令第20号"));
    assert!(select_text(&page, "#answer").is_empty(), "no answer yet");

    // Answered: the answer at the top, with the date by which to rate it.
    reply_to(&app, &code).await;
    let stored = complaint(&app, &code).await;
    let page = app.get_html(&format!("/track/{code}")).await;
    assert_eq!(select_text(&page, "#answer-outcome"), vec!["退货退款"]);
    assert_eq!(
        select_text(&page, "#answer-message"),
        vec!["经调解，商家已全额退款。"]
    );
    let rate_by = green_channel::domain::calendar::city_date(stored.resolved_at.unwrap())
        + chrono::Days::new(15);
    assert!(
        select_text(&page, "#rate-by")[0].contains(&rate_by.to_string()),
        "{:?}",
        select_text(&page, "#rate-by")
    );
    let current = select_text(&page, "ol#steps > li[aria-current=step]");
    assert!(current[0].starts_with("评价"), "{current:?}");
    assert_eq!(
        select_text(&page, "ol#steps > li[data-step=done]").len(),
        4,
        "filed, accepted, handled, answered"
    );
    assert!(
        select_text(&page, "#remaining").is_empty(),
        "nothing owed by the department"
    );
}

#[tokio::test]
async fn an_unknown_code_answers_on_the_look_up_form_within_the_tracking_limit() {
    let app = spawn_app_with(|config| config.track_limit_per_hour = 6).await;
    // Every address keyed by a code: the case, its withdrawal page, and its forms.
    let get_paths = [
        format!("/track/{UNKNOWN_CODE}"),
        format!("/track/{UNKNOWN_CODE}/withdraw"),
        "/track/not-a-code/withdraw".to_owned(),
    ];
    for path in &get_paths {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), 404, "{path}");
        let html = response.text().await.unwrap();
        assert_eq!(
            select_text(&html, "form.lookup #code-error").len(),
            1,
            "{path}: the look-up form"
        );
        assert!(html.contains("没有找到这个查询码"), "{path}");
        assert!(title(&html).starts_with("错误："), "{path}");
        assert_eq!(
            select_attr(&html, "#code", "aria-invalid").as_deref(),
            Some("true")
        );
        assert_eq!(
            select_attr(&html, "#code", "aria-describedby").as_deref(),
            Some("code-hint code-error")
        );
    }
    let token = app.withdraw_token_any().await;
    for what in ["withdraw", "rating", "info"] {
        let response = app
            .post_form(
                &format!("/track/{UNKNOWN_CODE}/{what}"),
                &[("csrf_token", token.clone()), ("score", "5".into())],
            )
            .await;
        assert_eq!(response.status().as_u16(), 404, "{what}");
        let html = response.text().await.unwrap();
        assert!(html.contains("没有找到这个查询码"), "{what}");
    }
    // Six look-ups counted: the seventh is refused, whatever the code.
    let response = app.get(&format!("/track/{UNKNOWN_CODE}")).await;
    assert_eq!(response.status().as_u16(), 429);
}

impl TestApp {
    /// A CSRF token of the public pages (any form's).
    async fn withdraw_token_any(&self) -> String {
        let html = self.get_html("/complaints/new").await;
        select_attr(&html, "input[name=csrf_token]", "value").unwrap()
    }
}

#[tokio::test]
async fn every_public_page_has_the_footer_with_the_operator_its_phone_and_privacy() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    for path in [
        "/".to_owned(),
        "/complaints/new".to_owned(),
        "/track".to_owned(),
        format!("/track/{code}"),
        format!("/track/{code}/withdraw"),
        format!("/track/{UNKNOWN_CODE}"),
        "/track/recover".to_owned(),
        "/stats".to_owned(),
        "/privacy".to_owned(),
        "/no-such-page".to_owned(),
    ] {
        let html = app.get_html(&path).await;
        assert_eq!(
            select_text(&html, "footer #footer-operator"),
            vec!["运营单位：质量兴市领导小组办公室"],
            "{path}"
        );
        assert_eq!(
            select_attr(&html, "footer a#footer-phone", "href").as_deref(),
            Some("tel:12345"),
            "{path}"
        );
        assert_eq!(
            select_attr(&html, "footer a#footer-privacy", "href").as_deref(),
            Some("/privacy"),
            "{path}"
        );
        assert!(select_text(&html, "#footer-icp").is_empty(), "{path}");
        assert!(!html.contains(" style="), "{path}: no inline style (CSP)");
    }
    let privacy = app.get("/privacy").await;
    assert_eq!(privacy.status().as_u16(), 200);
    let html = privacy.text().await.unwrap();
    assert_eq!(select_text(&html, "h1"), vec!["隐私说明"]);
    assert!(select_text(&html, "#privacy-notice p").len() >= 5);
    assert!(select_text(&html, "#privacy-contact")[0].contains("12345"));
    for (accept_language, heading) in [("en", "Privacy notice"), ("zh-TW", "隱私說明")] {
        let html = app
            .get_in("/privacy", accept_language)
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(select_text(&html, "h1"), vec![heading]);
    }
}

#[tokio::test]
async fn the_footer_and_the_privacy_page_say_what_the_operator_set() {
    let app = spawn_app_with(|config| {
        config.site = Arc::new(SiteSettings {
            operator_name: Some("上饶市市场监督管理局".into()),
            operator_phone: "0793-8221234".into(),
            privacy_notice: Some(vec![
                "第一段：本局如何处理个人信息。".into(),
                "第二段：联系我们。".into(),
            ]),
            icp_filing: Some("赣ICP备12345678号-1".into()),
        })
    })
    .await;
    for path in ["/", "/privacy", "/complaints/new"] {
        let html = app.get_html(path).await;
        assert_eq!(
            select_text(&html, "#footer-operator"),
            vec!["运营单位：上饶市市场监督管理局"]
        );
        assert_eq!(
            select_attr(&html, "#footer-phone", "href").as_deref(),
            Some("tel:0793-8221234".replace('-', "").as_str())
        );
        assert!(select_text(&html, "#footer-phone")[0].contains("0793-8221234"));
        assert_eq!(
            select_text(&html, "#footer-icp"),
            vec!["赣ICP备12345678号-1"]
        );
        assert_eq!(
            select_attr(&html, "#footer-icp", "href").as_deref(),
            Some("https://beian.miit.gov.cn/")
        );
    }
    let html = app.get_html("/privacy").await;
    assert_eq!(
        select_text(&html, "#privacy-notice p"),
        vec!["第一段：本局如何处理个人信息。", "第二段：联系我们。"]
    );
}
