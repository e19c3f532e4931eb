//! The management pages (departments, districts, categories, routing, holidays, users):
//! their askama structs and the one form builder they share, fed by a typed form
//! (`services::manage::form`) and its problems. No queries and no rules here.

use askama::Template;

use super::admin::AdminContext;
use crate::i18n::{self, Locale};
use crate::services::manage::form::{FieldErrors, FormValues};

/// One option of a select or checkbox list.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// One control of a form, rendered by `admin/manage/_form.html`.
pub struct Input {
    pub name: &'static str,
    pub label: String,
    pub hint: Option<String>,
    pub error: Option<String>,
    /// text, email, password, number, date, textarea, select, checkbox, checkboxes, fixed,
    /// hidden
    pub control: &'static str,
    pub value: String,
    /// Values chosen, for checkbox lists.
    pub chosen: Vec<String>,
    pub options: Vec<Choice>,
    pub checked: bool,
    pub max: usize,
}

impl Input {
    pub fn is_chosen(&self, value: &str) -> bool {
        self.chosen.iter().any(|c| c == value)
    }
}

/// A form as a page shows it: where it goes, its controls, its problems.
pub struct FormView {
    /// The HTML id, also what tests find it by.
    pub id: &'static str,
    pub method: &'static str,
    pub action: String,
    pub heading: String,
    pub intro: Option<String>,
    pub inputs: Vec<Input>,
    pub submit: String,
    /// field → message, in form order, for the summary at the top of the form.
    pub errors: Vec<(&'static str, String)>,
    /// A step that takes something away (deactivate): styled apart.
    pub caution: bool,
}

/// Builds the controls of one form from its values and problems, in the page's language.
pub struct FormBuilder<'a> {
    locale: Locale,
    values: &'a dyn FormValues,
    errors: &'a FieldErrors,
    inputs: Vec<Input>,
}

impl<'a> FormBuilder<'a> {
    pub fn new(
        locale: Locale,
        values: &'a dyn FormValues,
        errors: &'a FieldErrors,
    ) -> FormBuilder<'a> {
        FormBuilder {
            locale,
            values,
            errors,
            inputs: Vec::new(),
        }
    }

    fn input(&mut self, name: &'static str, label_key: &str, control: &'static str) -> &mut Input {
        let label = if label_key.is_empty() {
            String::new()
        } else {
            i18n::t(self.locale, label_key).to_owned()
        };
        self.inputs.push(Input {
            name,
            label,
            hint: None,
            error: self
                .errors
                .get(name)
                .map(|issue| i18n::t(self.locale, issue.message_key()).to_owned()),
            control,
            value: self.values.text(name).to_owned(),
            chosen: self
                .values
                .chosen(name)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            options: Vec::new(),
            checked: self.values.checked(name),
            max: 0,
        });
        self.inputs.last_mut().expect("just pushed")
    }

    pub fn text(mut self, name: &'static str, label_key: &str, max: usize) -> Self {
        self.input(name, label_key, "text").max = max;
        self
    }

    pub fn email(mut self, name: &'static str, label_key: &str) -> Self {
        self.input(name, label_key, "email").max = 254;
        self
    }

    pub fn password(mut self, name: &'static str, label_key: &str) -> Self {
        let input = self.input(name, label_key, "password");
        input.max = 200;
        input.value.clear();
        self
    }

    pub fn number(mut self, name: &'static str, label_key: &str) -> Self {
        self.input(name, label_key, "number").max = 3;
        self
    }

    pub fn date(mut self, name: &'static str, label_key: &str) -> Self {
        self.input(name, label_key, "date").max = 10;
        self
    }

    pub fn textarea(mut self, name: &'static str, label_key: &str, max: usize) -> Self {
        self.input(name, label_key, "textarea").max = max;
        self
    }

    pub fn select(mut self, name: &'static str, label_key: &str, options: Vec<Choice>) -> Self {
        self.input(name, label_key, "select").options = options;
        self
    }

    pub fn checkbox(mut self, name: &'static str, label_key: &str) -> Self {
        self.input(name, label_key, "checkbox");
        self
    }

    pub fn checkboxes(mut self, name: &'static str, label_key: &str, options: Vec<Choice>) -> Self {
        self.input(name, label_key, "checkboxes").options = options;
        self
    }

    /// A value the form carries unseen (the year a schedule mark is about).
    pub fn hidden(mut self, name: &'static str, value: &str) -> Self {
        self.input(name, "", "hidden").value = value.to_owned();
        self
    }

    /// A value shown but not editable (a record's code).
    pub fn fixed(mut self, name: &'static str, label_key: &str, value: &str) -> Self {
        self.input(name, label_key, "fixed").value = value.to_owned();
        self
    }

    /// A hint under the last control's label.
    pub fn hint(mut self, key: &str) -> Self {
        let text = i18n::t(self.locale, key).to_owned();
        if let Some(input) = self.inputs.last_mut() {
            input.hint = Some(text);
        }
        self
    }

    pub fn build(
        self,
        id: &'static str,
        action: impl Into<String>,
        heading_key: &str,
        submit_key: &str,
    ) -> FormView {
        let errors = self
            .inputs
            .iter()
            .filter_map(|i| i.error.clone().map(|e| (i.name, e)))
            .collect();
        FormView {
            id,
            method: "post",
            action: action.into(),
            heading: i18n::t(self.locale, heading_key).to_owned(),
            intro: None,
            inputs: self.inputs,
            submit: i18n::t(self.locale, submit_key).to_owned(),
            errors,
            caution: false,
        }
    }
}

impl FormView {
    pub fn get(mut self) -> FormView {
        self.method = "get";
        self
    }

    pub fn caution(mut self) -> FormView {
        self.caution = true;
        self
    }

    pub fn intro(mut self, text: String) -> FormView {
        self.intro = Some(text);
        self
    }
}

/// A link of the landing page.
pub struct SectionLink {
    pub href: &'static str,
    pub label: &'static str,
    pub summary: String,
}

pub struct AuditView {
    pub at: String,
    pub who: String,
    pub entity: String,
    pub entity_key: String,
    pub action: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "admin/manage/home.html")]
pub struct ManageHomePage {
    pub admin: AdminContext,
    pub sections: Vec<SectionLink>,
    pub warnings: Vec<String>,
    pub recent: Vec<AuditView>,
}

/// One record in a list: its cells, where it is edited, whether it is in use.
pub struct RecordRow {
    pub key: String,
    pub href: String,
    pub active: bool,
    pub cells: Vec<String>,
    /// Something the administrator should mend: `(data-flag code, text)`.
    pub flags: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "admin/manage/list.html")]
pub struct ListPage {
    pub admin: AdminContext,
    pub title: String,
    pub intro: Option<String>,
    pub warnings: Vec<String>,
    pub columns: Vec<String>,
    pub rows: Vec<RecordRow>,
    pub create: Option<FormView>,
}

#[derive(Template)]
#[template(path = "admin/manage/record.html")]
pub struct RecordPage {
    pub admin: AdminContext,
    pub title: String,
    pub back_href: String,
    pub back_label: String,
    pub warnings: Vec<String>,
    pub facts: Vec<(String, String)>,
    pub forms: Vec<FormView>,
}

/// The answer to "where would a complaint of category C in district D go, and why?".
pub struct RoutePreview {
    pub category: String,
    pub district: String,
    pub lead: String,
    pub lead_code: String,
    pub co_handlers: Vec<String>,
    pub rule_id: Option<i64>,
    pub reason: String,
    /// Rules of that scope that did not apply, and why.
    pub skipped: Vec<String>,
}

/// A category whose complaints reach the office for want of a rule, in these districts.
pub struct FallThrough {
    pub category_code: String,
    pub category: String,
    pub all_districts: bool,
    /// (code, name)
    pub districts: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "admin/manage/routing.html")]
pub struct RoutingPage {
    pub admin: AdminContext,
    pub columns: Vec<String>,
    pub rows: Vec<RecordRow>,
    /// Always present (an `Option` only so the template can borrow it as `form`).
    pub preview_form: Option<FormView>,
    pub preview: Option<RoutePreview>,
    pub fall_through: Vec<FallThrough>,
    pub intro: String,
    pub fall_through_intro: String,
    pub create: Option<FormView>,
}

pub struct HolidayView {
    pub day: String,
    pub weekday: String,
    pub kind: String,
    pub working: bool,
    pub note: String,
}

#[derive(Template)]
#[template(path = "admin/manage/holidays.html")]
pub struct HolidaysPage {
    pub admin: AdminContext,
    pub year: i32,
    pub year_loaded: bool,
    pub loaded_years: String,
    pub warnings: Vec<String>,
    pub days: Vec<HolidayView>,
    /// Adding days, and marking the year's schedule as entered (or not).
    pub forms: Vec<FormView>,
}
