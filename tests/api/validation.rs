//! Validation of `POST /complaints`: every malformed filing is answered `422` with the form
//! re-rendered, its message beside the field in the visitor's language, everything typed
//! kept and nothing stored; values at the edges of the limits are accepted.

use chrono::{Days, Months};
use green_channel::db::complaints::ComplaintRow;
use scraper::{Html, Selector};

use crate::helpers::{
    city_today, select_attr, select_text, spawn_app, stored_complaint, tracking_code_of,
    valid_complaint, with, without, TestApp,
};

type Fields = Vec<(&'static str, String)>;

// The messages of locales/messages.toml and locales/resident.toml (zh-Hans, the default),
// copied as the visitor reads them so that a message shown from the wrong key fails here.
// Every message names its field (issue 16): "请填写经营者名称。", "请选择经营者所在区县。".
const INVALID_CREDIT_CODE: &str =
    "统一社会信用代码不正确：应为 18 位，且校验位要对得上。不确定可以不填。";
const INVALID_DATE: &str = "请按 年-月-日 填写真实的发生日期，例如 2026-11-02。";
const INVALID_PHONE: &str = "请填写 11 位手机号，或带区号的固定电话（可加分机号）。";
const INVALID_EMAIL: &str = "邮箱地址格式不正确，例如 name@example.com。";
const NAME_REQUIRED: &str = "投诉需要填写姓名（只有举报可以匿名）。";
const CONTACT_REQUIRED: &str = "请至少留下电话或邮箱中的一项，方便部门联系您。";
const ANONYMOUS_COMPLAINT: &str = "只有举报可以匿名；投诉需要实名，部门才能为您调解。";
const CONSENT_REQUIRED: &str = "请勾选同意，否则我们无法办理。";
const MALFORMED_FORM: &str = "提交的内容无法读取，请检查后重新提交。";

/// What a field is called inside its messages.
fn noun(field: &str) -> &'static str {
    match field {
        "kind" => "提交类型（投诉或举报）",
        "category" => "问题类别",
        "district" => "经营者所在区县",
        "business_name" => "经营者名称",
        "business_address" => "经营者地址",
        "business_credit_code" => "统一社会信用代码",
        "product" => "商品或服务",
        "incident_date" => "发生日期",
        "description" => "投诉内容",
        "demand" => "您的诉求",
        "complainant_name" => "姓名",
        "phone" => "电话",
        "email" => "电子邮箱",
        other => panic!("no noun for {other}"),
    }
}

/// The message a refused field gets, naming the field.
#[derive(Clone, Copy)]
enum Says {
    Required,
    NotAChoice,
    LineBreak,
    ControlCharacter,
    InFuture,
    TooOld,
    TooShort(usize),
    TooLong(usize),
    Exactly(&'static str),
}

impl Says {
    fn text(self, field: &str) -> String {
        let noun = || noun(field);
        match self {
            Says::Required if ["kind", "category", "district"].contains(&field) => {
                format!("请选择{}。", noun())
            }
            Says::Required => format!("请填写{}。", noun()),
            Says::NotAChoice => format!("请从列表中选择{}。", noun()),
            Says::LineBreak => format!("{}只能写一行，请去掉换行。", noun()),
            Says::ControlCharacter => format!("{}含有不可见的控制字符，请重新输入。", noun()),
            Says::InFuture => format!("{}不能晚于今天。", noun()),
            Says::TooOld => format!("{}不能早于三年前：只受理三年以内发生的问题。", noun()),
            Says::TooShort(min) => format!("{}至少需要 {min} 个字。", noun()),
            Says::TooLong(max) => format!("{}最多 {max} 个字，请删减。", noun()),
            Says::Exactly(text) => text.to_owned(),
        }
    }
}

/// `n` Chinese characters: limits count characters, not the three bytes each takes.
fn chinese(n: usize) -> String {
    "质".repeat(n)
}

/// One malformed filing and the messages it must get, by field.
struct Refusal {
    case: &'static str,
    fields: Fields,
    messages: Vec<(&'static str, String)>,
}

fn refusal(case: &'static str, fields: Fields, field: &'static str, says: Says) -> Refusal {
    Refusal {
        case,
        fields,
        messages: vec![(field, says.text(field))],
    }
}

/// The text fields of the form, echoed back in an `<input>` or a `<textarea>`.
const INPUTS: [&str; 8] = [
    "business_name",
    "business_address",
    "business_credit_code",
    "product",
    "incident_date",
    "complainant_name",
    "phone",
    "email",
];
const TEXTAREAS: [&str; 2] = ["description", "demand"];

/// What an HTML parser makes of a value: line breaks are normalised to `\n`.
fn as_parsed(value: &str) -> String {
    value.replace("\r\n", "\n").replace('\r', "\n")
}

/// The untrimmed content of a `<textarea>`.
fn textarea_text(html: &str, name: &str) -> Option<String> {
    let document = Html::parse_document(html);
    let selector = Selector::parse(&format!("textarea[name={name}]")).unwrap();
    document
        .select(&selector)
        .next()
        .map(|e| e.text().collect::<String>())
}

/// The ids of every `.field-error` on the page, sorted.
fn field_error_ids(html: &str) -> Vec<String> {
    let document = Html::parse_document(html);
    let selector = Selector::parse(".field-error").unwrap();
    let mut ids: Vec<String> = document
        .select(&selector)
        .map(|e| e.value().attr("id").unwrap_or("(no id)").to_owned())
        .collect();
    ids.sort();
    ids
}

/// Every field the visitor typed is in the re-rendered form as typed.
fn assert_everything_typed_is_kept(case: &str, html: &str, fields: &Fields) {
    for (name, value) in fields {
        let name = *name;
        if INPUTS.contains(&name) {
            assert_eq!(
                select_attr(html, &format!("input[name={name}]"), "value"),
                Some(as_parsed(value)),
                "{case}: {name} kept"
            );
        } else if TEXTAREAS.contains(&name) {
            assert_eq!(
                textarea_text(html, name),
                Some(as_parsed(value)),
                "{case}: {name} kept"
            );
        } else if name == "kind" && ["complaint", "report"].contains(&value.as_str()) {
            assert_eq!(
                select_attr(html, "input[name=kind][checked]", "value").as_deref(),
                Some(value.as_str()),
                "{case}: kind kept"
            );
        } else if name == "category" || name == "district" {
            // Only a value that is one of the options can be shown selected again.
            let option = format!("select[name={name}] option[value=\"{value}\"]");
            if !value.is_empty() && select_attr(html, &option, "value").is_some() {
                assert_eq!(
                    select_attr(
                        html,
                        &format!("select[name={name}] option[selected]"),
                        "value"
                    )
                    .as_deref(),
                    Some(value.as_str()),
                    "{case}: {name} kept"
                );
            }
        } else if name == "anonymous" || name == "consent" {
            assert_eq!(
                select_attr(html, &format!("input[name={name}]"), "checked").is_some(),
                !value.is_empty(),
                "{case}: {name} kept"
            );
        }
    }
}

/// Files each refusal and checks its answer: `422`, each message beside its field and no
/// other, everything typed kept, nothing stored.
async fn assert_refused(app: &TestApp, refusals: Vec<Refusal>) {
    let before = app.stored_rows().await;
    for refusal in refusals {
        let case = refusal.case;
        let response = app.file_complaint(refusal.fields.clone()).await;
        let status = response.status().as_u16();
        let html = response.text().await.unwrap();
        assert_eq!(status, 422, "{case}: {html}");
        let mut expected_ids: Vec<String> = refusal
            .messages
            .iter()
            .map(|(field, _)| format!("{field}-error"))
            .collect();
        expected_ids.sort();
        assert_eq!(
            field_error_ids(&html),
            expected_ids,
            "{case}: fields in error"
        );
        for (field, message) in &refusal.messages {
            assert_eq!(
                select_text(&html, &format!(".field-error#{field}-error")),
                vec![message.clone()],
                "{case}: message beside {field}"
            );
            assert!(
                select_text(&html, "#error-summary li").contains(message),
                "{case}: {message} in the summary"
            );
        }
        assert_everything_typed_is_kept(case, &html, &refusal.fields);
        assert_eq!(app.stored_rows().await, before, "{case}: nothing stored");
    }
}

#[tokio::test]
async fn a_missing_or_unknown_choice_is_refused_beside_its_field() {
    let app = spawn_app().await;
    let v = valid_complaint;
    assert_refused(
        &app,
        vec![
            refusal("kind missing", without(v(), "kind"), "kind", Says::Required),
            refusal("kind empty", with(v(), "kind", ""), "kind", Says::Required),
            refusal(
                "kind unknown",
                with(v(), "kind", "suggestion"),
                "kind",
                Says::NotAChoice,
            ),
            refusal(
                "category missing",
                without(v(), "category"),
                "category",
                Says::Required,
            ),
            refusal(
                "category unknown",
                with(v(), "category", "cars"),
                "category",
                Says::NotAChoice,
            ),
            refusal(
                "category by its name",
                with(v(), "category", "食品"),
                "category",
                Says::NotAChoice,
            ),
            refusal(
                "district missing",
                without(v(), "district"),
                "district",
                Says::Required,
            ),
            refusal(
                "district unknown",
                with(v(), "district", "361199"),
                "district",
                Says::NotAChoice,
            ),
            refusal(
                "district by its name",
                with(v(), "district", "信州区"),
                "district",
                Says::NotAChoice,
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_malformed_business_is_refused_beside_its_field() {
    let app = spawn_app().await;
    let v = valid_complaint;
    let name = "business_name";
    let code = "business_credit_code";
    assert_refused(
        &app,
        vec![
            refusal("name empty", with(v(), name, ""), name, Says::Required),
            refusal(
                "name only spaces",
                with(v(), name, "  \u{3000} "),
                name,
                Says::Required,
            ),
            refusal(
                "name of 201 characters",
                with(v(), name, &chinese(201)),
                name,
                Says::TooLong(200),
            ),
            refusal(
                "name with a line break",
                with(v(), name, "好又多\n超市"),
                name,
                Says::LineBreak,
            ),
            refusal(
                "name with a bell",
                with(v(), name, "好又多\u{0007}超市"),
                name,
                Says::ControlCharacter,
            ),
            refusal(
                "name with a bidi override",
                with(v(), name, "好又多\u{202E}市超"),
                name,
                Says::ControlCharacter,
            ),
            refusal(
                "name with a zero-width space",
                with(v(), name, "好又\u{200B}多"),
                name,
                Says::ControlCharacter,
            ),
            refusal(
                "address empty",
                with(v(), "business_address", ""),
                "business_address",
                Says::Required,
            ),
            refusal(
                "address of 301 characters",
                with(v(), "business_address", &chinese(301)),
                "business_address",
                Says::TooLong(300),
            ),
            refusal(
                "credit code with a wrong check character",
                with(v(), code, "91350100M000100Y44"),
                code,
                Says::Exactly(INVALID_CREDIT_CODE),
            ),
            refusal(
                "credit code of 17 characters",
                with(v(), code, "91350100M000100Y4"),
                code,
                Says::Exactly(INVALID_CREDIT_CODE),
            ),
            refusal(
                "credit code with I",
                with(v(), code, "91350100I000100Y43"),
                code,
                Says::Exactly(INVALID_CREDIT_CODE),
            ),
            refusal(
                "credit code with O",
                with(v(), code, "91350100O000100Y43"),
                code,
                Says::Exactly(INVALID_CREDIT_CODE),
            ),
            refusal(
                "credit code with S",
                with(v(), code, "91350100S000100Y43"),
                code,
                Says::Exactly(INVALID_CREDIT_CODE),
            ),
            refusal(
                "credit code with V",
                with(v(), code, "91350100V000100Y43"),
                code,
                Says::Exactly(INVALID_CREDIT_CODE),
            ),
            refusal(
                "credit code with Z",
                with(v(), code, "91350100Z000100Y43"),
                code,
                Says::Exactly(INVALID_CREDIT_CODE),
            ),
            refusal(
                "product of 201 characters",
                with(v(), "product", &chinese(201)),
                "product",
                Says::TooLong(200),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_malformed_account_of_the_problem_is_refused_beside_its_field() {
    let app = spawn_app().await;
    let v = valid_complaint;
    let today = city_today();
    let tomorrow = (today + Days::new(1)).to_string();
    let too_old = (today - Months::new(36) - Days::new(1)).to_string();
    let date = "incident_date";
    let text = "description";
    assert_refused(
        &app,
        vec![
            refusal(
                "date not a date",
                with(v(), date, "not a date"),
                date,
                Says::Exactly(INVALID_DATE),
            ),
            refusal(
                "date 30 February",
                with(v(), date, "2026-02-30"),
                date,
                Says::Exactly(INVALID_DATE),
            ),
            refusal(
                "date tomorrow",
                with(v(), date, &tomorrow),
                date,
                Says::InFuture,
            ),
            refusal(
                "date over three years ago",
                with(v(), date, &too_old),
                date,
                Says::TooOld,
            ),
            refusal(
                "date with slashes",
                with(v(), date, "2026/11/01"),
                date,
                Says::Exactly(INVALID_DATE),
            ),
            refusal(
                "description of 9 characters",
                with(v(), text, &chinese(9)),
                text,
                Says::TooShort(10),
            ),
            refusal(
                "description of 5001 characters",
                with(v(), text, &chinese(5001)),
                text,
                Says::TooLong(5000),
            ),
            refusal(
                "description only spaces",
                with(v(), text, "     "),
                text,
                Says::Required,
            ),
            refusal(
                "description with a bidi override",
                with(v(), text, "过期三个月了\u{202E}商家拒绝退货"),
                text,
                Says::ControlCharacter,
            ),
            refusal(
                "demand of 1001 characters",
                with(v(), "demand", &chinese(1001)),
                "demand",
                Says::TooLong(1000),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_malformed_contact_is_refused_beside_its_field() {
    let app = spawn_app().await;
    let v = valid_complaint;
    let long_email = format!("{}@example.com", "x".repeat(243));
    assert_eq!(long_email.chars().count(), 255);
    let name = "complainant_name";
    assert_refused(
        &app,
        vec![
            refusal(
                "name of 51 characters",
                with(v(), name, &chinese(51)),
                name,
                Says::TooLong(50),
            ),
            refusal(
                "no name on a complaint",
                without(v(), name),
                name,
                Says::Exactly(NAME_REQUIRED),
            ),
            refusal(
                "no name on a named report",
                without(with(v(), "kind", "report"), name),
                name,
                Says::Exactly(NAME_REQUIRED),
            ),
            refusal(
                "phone of 12 digits",
                with(v(), "phone", "138001380001"),
                "phone",
                Says::Exactly(INVALID_PHONE),
            ),
            refusal(
                "phone of 10 digits",
                with(v(), "phone", "1380013800"),
                "phone",
                Says::Exactly(INVALID_PHONE),
            ),
            refusal(
                "phone starting 12",
                with(v(), "phone", "12800138000"),
                "phone",
                Says::Exactly(INVALID_PHONE),
            ),
            refusal(
                "phone with letters",
                with(v(), "phone", "138-0013-800O"),
                "phone",
                Says::Exactly(INVALID_PHONE),
            ),
            refusal(
                "landline without area code",
                with(v(), "phone", "8221234"),
                "phone",
                Says::Exactly(INVALID_PHONE),
            ),
            refusal(
                "email without @",
                with(v(), "email", "zhang.san.example.com"),
                "email",
                Says::Exactly(INVALID_EMAIL),
            ),
            refusal(
                "email with two @",
                with(v(), "email", "zhang@san@example.com"),
                "email",
                Says::Exactly(INVALID_EMAIL),
            ),
            refusal(
                "email with a space",
                with(v(), "email", "zhang san@example.com"),
                "email",
                Says::Exactly(INVALID_EMAIL),
            ),
            refusal(
                "email of 255 characters",
                with(v(), "email", &long_email),
                "email",
                Says::TooLong(254),
            ),
            refusal(
                "email of 255 characters and no phone",
                with(without(v(), "phone"), "email", &long_email),
                "email",
                Says::TooLong(254),
            ),
            refusal(
                "email without a dot in the domain",
                with(v(), "email", "a@b"),
                "email",
                Says::Exactly(INVALID_EMAIL),
            ),
            refusal(
                "email in angle brackets",
                with(v(), "email", "<a@b.cn>"),
                "email",
                Says::Exactly(INVALID_EMAIL),
            ),
            refusal(
                "email smuggling a header",
                with(v(), "email", "a@b.cn\r\nBcc: x@y.cn"),
                "email",
                Says::LineBreak,
            ),
            refusal(
                "a complaint with neither phone nor email",
                without(without(v(), "phone"), "email"),
                "phone",
                Says::Exactly(CONTACT_REQUIRED),
            ),
            refusal(
                "an anonymous complaint",
                with(v(), "anonymous", "on"),
                "anonymous",
                Says::Exactly(ANONYMOUS_COMPLAINT),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_filing_without_consent_is_refused_beside_the_checkbox() {
    let app = spawn_app().await;
    assert_refused(
        &app,
        vec![
            // Browsers leave an unticked box out of the form.
            refusal(
                "consent missing",
                without(valid_complaint(), "consent"),
                "consent",
                Says::Exactly(CONSENT_REQUIRED),
            ),
            refusal(
                "consent empty",
                with(valid_complaint(), "consent", ""),
                "consent",
                Says::Exactly(CONSENT_REQUIRED),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn every_problem_of_a_filing_is_shown_at_once() {
    let app = spawn_app().await;
    let fields = with(
        with(
            without(valid_complaint(), "consent"),
            "business_name",
            &chinese(201),
        ),
        "phone",
        "12800138000",
    );
    assert_refused(
        &app,
        vec![Refusal {
            case: "three problems",
            fields,
            messages: vec![
                ("business_name", Says::TooLong(200).text("business_name")),
                ("phone", INVALID_PHONE.to_owned()),
                ("consent", CONSENT_REQUIRED.to_owned()),
            ],
        }],
    )
    .await;
}

#[tokio::test]
async fn a_refused_form_corrected_and_sent_again_files_once() {
    let app = spawn_app().await;
    let tokens = app.open_form().await;
    let refused = app
        .file_with_tokens(with(valid_complaint(), "phone", "12800138000"), &tokens)
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    // The re-rendered form carries the same submission, and a token that works.
    let again = crate::helpers::FormTokens {
        csrf_token: select_attr(&html, "input[name=csrf_token]", "value").unwrap(),
        submission_id: select_attr(&html, "input[name=submission_id]", "value").unwrap(),
    };
    assert_eq!(again.submission_id, tokens.submission_id);
    let filed = app.file_with_tokens(valid_complaint(), &again).await;
    assert_eq!(filed.status().as_u16(), 303);
    let resent = app.file_with_tokens(valid_complaint(), &again).await;
    assert_eq!(resent.headers()["location"], filed.headers()["location"]);
    assert_eq!(app.count("complaints").await, 1);
}

/// Posts `fields` as they are, with the CSRF token of a freshly opened form.
async fn post_with_token(app: &TestApp, mut fields: Fields) -> reqwest::Response {
    let tokens = app.open_form().await;
    fields.push(("csrf_token", tokens.csrf_token));
    app.post_form("/complaints", &fields).await
}

async fn assert_malformed(app: &TestApp, case: &str, response: reqwest::Response) -> String {
    let status = response.status().as_u16();
    let html = response.text().await.unwrap();
    assert_eq!(status, 422, "{case}: {html}");
    assert!(
        select_text(&html, "#error-summary li").contains(&MALFORMED_FORM.to_owned()),
        "{case}: the general message"
    );
    assert!(
        select_attr(&html, "form.complaint-form", "action").is_some(),
        "{case}: the form is shown again"
    );
    let fresh_id = select_attr(&html, "input[name=submission_id]", "value").unwrap();
    assert!(
        uuid::Uuid::parse_str(&fresh_id).is_ok(),
        "{case}: a new submission id to file with"
    );
    assert_eq!(app.stored_rows().await, [0; 5], "{case}: nothing stored");
    html
}

#[tokio::test]
async fn a_repeated_field_gets_the_general_message_and_stores_nothing() {
    let app = spawn_app().await;
    let mut fields = valid_complaint();
    fields.push(("kind", "report".into()));
    fields.push(("submission_id", uuid::Uuid::new_v4().to_string()));
    let response = post_with_token(&app, fields).await;
    assert_malformed(&app, "kind twice", response).await;
}

#[tokio::test]

async fn a_repeated_field_keeps_everything_typed() {
    let app = spawn_app().await;
    let mut fields = valid_complaint();
    fields.push(("kind", "report".into()));
    fields.push(("submission_id", uuid::Uuid::new_v4().to_string()));
    let response = post_with_token(&app, fields).await;
    let html = assert_malformed(&app, "kind twice", response).await;
    assert_everything_typed_is_kept("kind twice", &html, &without(valid_complaint(), "kind"));
}

#[tokio::test]
async fn a_missing_or_malformed_submission_id_gets_the_general_message() {
    let app = spawn_app().await;
    for (case, submission_id) in [
        ("no submission id", None),
        ("empty submission id", Some("")),
        ("submission id not a UUID", Some("not-a-uuid")),
        ("submission id too short", Some("0f0e5e2c-9d1f-4b7a-8a54")),
    ] {
        let mut fields = valid_complaint();
        if let Some(id) = submission_id {
            fields.push(("submission_id", id.to_owned()));
        }
        let response = post_with_token(&app, fields).await;
        let html = assert_malformed(&app, case, response).await;
        assert_everything_typed_is_kept(case, &html, &valid_complaint());
    }
}

#[tokio::test]
async fn a_body_that_is_not_a_form_is_never_a_framework_error_and_stores_nothing() {
    let app = spawn_app().await;
    let tokens = app.open_form().await;
    let token = tokens.csrf_token.clone();
    let id = tokens.submission_id.clone();
    let form = "application/x-www-form-urlencoded";

    // The valid cookie and token, then bytes that are not urlencoded pairs at all: text
    // that is not UTF-8 is refused by name (`hardening.rs`), never read mangled.
    let mut garbage = format!("csrf_token={token}&submission_id={id}&").into_bytes();
    garbage.extend_from_slice(b"\x00\xff\xfe%%%zz==&&=\x80kind\x01%E4%B8");
    let response = app.post_raw("/complaints", form, garbage).await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert_eq!(
        select_text(&html, "h1"),
        vec!["文字编码无法识别".to_owned()]
    );

    // Pairs that are not pairs, in UTF-8: read as far as they go, then validated.
    let response = app
        .post_raw(
            "/complaints",
            form,
            format!("csrf_token={token}&submission_id={id}&%%%zz==&&=kind&%E4%B8%AD"),
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert_eq!(
        select_text(&html, ".field-error#business_name-error"),
        vec![Says::Required.text("business_name")]
    );

    // The token alone: no submission id, the general message.
    let response = app
        .post_raw("/complaints", form, format!("csrf_token={token}"))
        .await;
    assert_malformed(&app, "the token alone", response).await;

    // The tokens alone: every required field is asked for.
    let response = app
        .post_raw(
            "/complaints",
            form,
            format!("csrf_token={token}&submission_id={id}"),
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    for field in [
        "kind",
        "category",
        "district",
        "business_name",
        "business_address",
        "description",
    ] {
        assert_eq!(
            select_text(&html, &format!(".field-error#{field}-error")),
            vec![Says::Required.text(field)],
            "{field}"
        );
    }
    assert_eq!(
        select_text(&html, ".field-error#consent-error"),
        vec![CONSENT_REQUIRED.to_owned()]
    );

    // JSON is not a form (`415`, `hardening.rs`); an empty form carries no token, so the
    // CSRF check answers (it comes before validation): pages, never a framework 400 or a 500.
    let json = format!(r#"{{"csrf_token":"{token}","submission_id":"{id}","kind":"complaint"}}"#);
    for (case, content_type, body, status, title) in [
        ("JSON", "application/json", json, 415, "无法读取提交的内容"),
        ("empty body", form, String::new(), 403, "页面已过期"),
    ] {
        let response = app.post_raw("/complaints", content_type, body).await;
        assert_eq!(response.status().as_u16(), status, "{case}");
        let html = response.text().await.unwrap();
        assert_eq!(select_text(&html, "h1"), vec![title.to_owned()], "{case}");
    }
    assert_eq!(app.stored_rows().await, [0; 5]);
}

/// One filing that must be accepted, and the stored column that shows how it was kept.
struct Acceptance {
    case: &'static str,
    fields: Fields,
    column: fn(&ComplaintRow) -> Option<String>,
    stored: Option<String>,
}

fn accepted(
    case: &'static str,
    fields: Fields,
    column: fn(&ComplaintRow) -> Option<String>,
    stored: &str,
) -> Acceptance {
    Acceptance {
        case,
        fields,
        column,
        stored: Some(stored.to_owned()),
    }
}

fn business_name(c: &ComplaintRow) -> Option<String> {
    Some(c.business_name.clone())
}
fn description(c: &ComplaintRow) -> Option<String> {
    Some(c.description.clone())
}
fn phone(c: &ComplaintRow) -> Option<String> {
    c.phone.clone()
}
fn email(c: &ComplaintRow) -> Option<String> {
    c.email.clone()
}
fn incident_date(c: &ComplaintRow) -> Option<String> {
    c.incident_date.map(|d| d.to_string())
}
fn credit_code(c: &ComplaintRow) -> Option<String> {
    c.business_credit_code.clone()
}
fn demand(c: &ComplaintRow) -> Option<String> {
    c.demand.clone()
}

async fn assert_accepted(app: &TestApp, acceptances: Vec<Acceptance>) {
    for acceptance in acceptances {
        let case = acceptance.case;
        let before = app.count("complaints").await;
        let response = app.file_complaint(acceptance.fields).await;
        let status = response.status().as_u16();
        assert_eq!(status, 303, "{case}: {}", response.text().await.unwrap());
        let stored = stored_complaint(app, &tracking_code_of(&response)).await;
        assert_eq!((acceptance.column)(&stored), acceptance.stored, "{case}");
        assert_eq!(app.count("complaints").await, before + 1, "{case}");
    }
}

#[tokio::test]
async fn text_at_its_length_limits_is_accepted() {
    let app = spawn_app().await;
    let v = valid_complaint;
    let ten = chinese(10);
    let five_thousand = chinese(5000);
    // Every text at its limit in Chinese still fits the 64 KiB body limit.
    let everything_at_its_limit = [
        ("business_name", 200),
        ("business_address", 300),
        ("product", 200),
        ("description", 5000),
        ("demand", 1000),
        ("complainant_name", 50),
    ]
    .into_iter()
    .fold(v(), |fields, (name, n)| with(fields, name, &chinese(n)));
    assert!(
        serde_urlencoded::to_string(&everything_at_its_limit)
            .unwrap()
            .len()
            > 60_000
    );
    assert_accepted(
        &app,
        vec![
            accepted(
                "name of 200 characters",
                with(v(), "business_name", &chinese(200)),
                business_name,
                &chinese(200),
            ),
            accepted(
                "description of 10 characters",
                with(v(), "description", &ten),
                description,
                &ten,
            ),
            accepted(
                "description of 5000 characters",
                with(v(), "description", &five_thousand),
                description,
                &five_thousand,
            ),
            accepted(
                "every text at its limit",
                everything_at_its_limit,
                demand,
                &chinese(1000),
            ),
            accepted(
                "line breaks and tabs in a description",
                with(
                    v(),
                    "description",
                    "第一行：奶粉过期\r\n第二行：\t商家拒绝退货",
                ),
                description,
                "第一行：奶粉过期\n第二行：\t商家拒绝退货",
            ),
            accepted(
                "a decomposed é is stored composed (NFC)",
                with(v(), "business_name", "Cafe\u{301} 好又多"),
                business_name,
                "Caf\u{e9} 好又多",
            ),
            accepted(
                "surrounding spaces are trimmed",
                with(v(), "business_name", "  好又多超市\u{3000}"),
                business_name,
                "好又多超市",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn phones_emails_codes_and_dates_in_every_accepted_form_are_normalised() {
    let app = spawn_app().await;
    let v = valid_complaint;
    let today = city_today();
    let three_years_ago = (today - Months::new(36)).to_string();
    assert_accepted(
        &app,
        vec![
            accepted(
                "landline with area code",
                with(v(), "phone", "0793-8221234"),
                phone,
                "0793-8221234",
            ),
            accepted(
                "landline with an extension",
                with(v(), "phone", "0571 8765 4321 8001"),
                phone,
                "0571-87654321-8001",
            ),
            accepted(
                "mobile after +86",
                with(v(), "phone", "+86 138 0013 8000"),
                phone,
                "13800138000",
            ),
            accepted(
                "mobile in full-width digits",
                with(v(), "phone", "１３８００１３８０００"),
                phone,
                "13800138000",
            ),
            accepted(
                "email with plus-addressing",
                with(v(), "email", "zhang.san+gc@example.com"),
                email,
                "zhang.san+gc@example.com",
            ),
            accepted(
                "email only, no phone",
                without(v(), "phone"),
                email,
                "zhang.san@example.com",
            ),
            Acceptance {
                case: "phone only, no email",
                fields: without(v(), "email"),
                column: email,
                stored: None,
            },
            accepted(
                "credit code in lower case",
                with(v(), "business_credit_code", "91350100m000100y43"),
                credit_code,
                "91350100M000100Y43",
            ),
            Acceptance {
                case: "no credit code",
                fields: with(v(), "business_credit_code", ""),
                column: credit_code,
                stored: None,
            },
            accepted(
                "incident today",
                with(v(), "incident_date", &today.to_string()),
                incident_date,
                &today.to_string(),
            ),
            accepted(
                "incident exactly three years ago",
                with(v(), "incident_date", &three_years_ago),
                incident_date,
                &three_years_ago,
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn every_validation_message_is_shown_in_the_visitors_language() {
    let app = spawn_app().await;
    let rows = [
        (
            "name of 201 characters",
            with(valid_complaint(), "business_name", &chinese(201)),
            "business_name",
            "The name of the business must be at most 200 characters: please shorten it.",
            "經營者名稱最多 200 個字，請刪減。",
        ),
        (
            "phone starting 12",
            with(valid_complaint(), "phone", "12800138000"),
            "phone",
            "Please give an 11-digit mobile number, or a landline with its area code (an extension may follow).",
            "請填寫 11 位手機號，或帶區號的固定電話（可加分機號）。",
        ),
        (
            "consent missing",
            without(valid_complaint(), "consent"),
            "consent",
            "Please tick the box: we cannot handle the case without it.",
            "請勾選同意，否則我們無法辦理。",
        ),
    ];
    for (case, fields, field, english, traditional) in rows {
        for (accept_language, lang, message) in
            [("en", "en", english), ("zh-TW", "zh-Hant", traditional)]
        {
            let response = app.file_in(fields.clone(), accept_language).await;
            assert_eq!(response.status().as_u16(), 422, "{case} in {lang}");
            let html = response.text().await.unwrap();
            assert_eq!(
                select_attr(&html, "html", "lang").as_deref(),
                Some(lang),
                "{case}"
            );
            assert_eq!(
                select_text(&html, &format!(".field-error#{field}-error")),
                vec![message.to_owned()],
                "{case} in {lang}"
            );
        }
    }
    assert_eq!(app.stored_rows().await, [0; 5]);
}
