//! The life a demo case has lived: filed through the real filing rules, then walked step by
//! step (decision, co-handlers' opinions, information request, reply, rating or closing)
//! through `services::case::plan`, in memory, with the moment each step happened. Only the
//! random choices (which step, when, which words) are the seeder's own.

use crate::domain::calendar::utc_of_city_time;
use anyhow::Context as _;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::corpus::*;
use super::{SeedOptions, Staff, HISTORY_DAYS};
use crate::db::complaints::{Filing, NewEventRow};
use crate::db::deadlines::DeadlineRow;
use crate::db::reference::ReferenceData;
use crate::domain::access::{Role, StaffMember};
use crate::domain::calendar::city_date;
use crate::domain::complaint::{
    ActionArgument, Channel, ComplaintKind, ComplaintState, StaffAction,
};
use crate::domain::deadlines;
use crate::domain::fields::{CreditCode, Phone};
use crate::domain::ids::{ComplaintId, DepartmentCode, UserId};
use crate::domain::intake::{ComplaintInput, NewComplaint};
use crate::domain::public_id::PublicId;
use crate::domain::tracking_code::TrackingCode;
use crate::i18n::Locale;
use crate::mail::OutgoingEmail;
use crate::services::case::{self, ActionRequest, Actor, Case, CaseSettings, Command};
use crate::services::filing::{self, FilingRequest};

/// A demo case as its history left it: the filing's rows with the case as it stands now,
/// every event, and every email with the moment it was written.
pub struct SeededComplaint {
    pub filing: Filing,
    pub emails: Vec<(OutgoingEmail, NaiveDateTime)>,
}

pub struct Generator<'a> {
    reference: &'a ReferenceData,
    staff: Staff,
    settings: CaseSettings,
    rng: StdRng,
    now: NaiveDateTime,
    first_day: NaiveDate,
    total: u64,
    categories: Vec<(&'static CategoryText, u32)>,
    districts: Vec<(String, String, u32)>,
    district_weights: Vec<(usize, u32)>,
    /// The public case numbers drawn in this run.
    public_ids: std::collections::HashSet<String>,
}

/// The case being lived, with what it has written so far.
struct Life {
    case: Case,
    events: Vec<NewEventRow>,
    emails: Vec<(OutgoingEmail, NaiveDateTime)>,
    /// Deadline records held in memory are numbered from here (ids are the database's).
    next_deadline_id: i64,
}

impl<'a> Generator<'a> {
    pub fn new(
        reference: &'a ReferenceData,
        staff: Staff,
        options: &SeedOptions,
        rating_window_days: u32,
    ) -> anyhow::Result<Generator<'a>> {
        // Only categories and districts the service knows and takes; weights by how often
        // each comes up in a city's complaints.
        let categories: Vec<(&'static CategoryText, u32)> = CATEGORY_TEXTS
            .iter()
            .filter(|c| reference.category(c.code).is_some_and(|r| r.active))
            .map(|c| (c, c.weight))
            .collect();
        anyhow::ensure!(
            !categories.is_empty(),
            "none of the demo categories is active; seed-demo needs the demo jurisdiction"
        );
        let districts: Vec<(String, String, u32)> = reference
            .districts
            .iter()
            .filter(|d| d.active)
            .enumerate()
            .map(|(i, d)| {
                // The city's own district is the busiest.
                let weight = if i == 0 { 4 } else { 2 + (i as u32 % 3) };
                (d.code.clone(), d.name_zh_hans.clone(), weight)
            })
            .collect();
        anyhow::ensure!(!districts.is_empty(), "no active district");
        let district_weights = districts
            .iter()
            .enumerate()
            .map(|(i, (_, _, w))| (i, *w))
            .collect();
        let today = city_date(options.now);
        Ok(Generator {
            reference,
            staff,
            settings: CaseSettings {
                base_url: options.base_url.clone(),
                rating_window_days,
            },
            rng: StdRng::seed_from_u64(options.seed),
            now: options.now,
            first_day: today - TimeDelta::days(HISTORY_DAYS),
            total: options.complaints.max(1),
            categories,
            districts,
            district_weights,
            public_ids: std::collections::HashSet::new(),
        })
    }

    fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.rng.random_range(0..items.len())]
    }

    /// Like `pick`, but the first items far more often than the last (a few businesses
    /// draw many complaints, so that the demo has hotspots).
    fn pick_skewed<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        let roll: f64 = self.rng.random();
        let index = (roll.powi(3) * items.len() as f64) as usize;
        &items[index.min(items.len() - 1)]
    }

    fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut roll = self.rng.random_range(0..total);
        for (item, weight) in items {
            if roll < *weight {
                return *item;
            }
            roll -= weight;
        }
        items[0].0
    }

    /// A moment on `day`, city time, mostly in office and shopping hours; as UTC.
    fn moment(&mut self, day: NaiveDate, from_hour: u32, to_hour: u32) -> NaiveDateTime {
        let seconds = self.rng.random_range(from_hour * 3600..to_hour * 3600);
        let city = day.and_time(NaiveTime::MIN) + TimeDelta::seconds(i64::from(seconds));
        utc_of_city_time(city)
    }

    /// Filing times grow slowly over the two years (the channel becomes known) and run in
    /// order, so ids (UUIDv7) follow filing time as they do in service.
    fn filed_at(&mut self, index: u64) -> NaiveDateTime {
        let position = (index as f64 + 0.5) / self.total as f64;
        // Density rising from 0.6 to 1.4 over the period: invert the cumulative share.
        let a = 0.6;
        let b = 0.8;
        let share = (-a + (a * a + 2.0 * b * position).sqrt()) / b;
        let seconds = (share * HISTORY_DAYS as f64 * 86_400.0) as i64;
        let start = utc_of_city_time(self.first_day.and_time(NaiveTime::MIN));
        let at = start + TimeDelta::seconds(seconds);
        let latest = self.now - TimeDelta::minutes(1);
        at.min(latest)
    }

    /// The `index`-th demo complaint, filed and lived up to now.
    pub fn complaint(&mut self, index: u64) -> anyhow::Result<SeededComplaint> {
        let created_at = self.filed_at(index);
        let request = self.filing_request(index, created_at)?;
        let id = ComplaintId::from(uuid_at(&mut self.rng, created_at));
        let code = TrackingCode::generate(&mut self.rng);
        // Public numbers are random per filing day: one drawn twice in a run is drawn again.
        let public_id = loop {
            let drawn = PublicId::generate(&mut self.rng, city_date(created_at));
            if self.public_ids.insert(drawn.as_str().to_owned()) {
                break drawn;
            }
        };
        let (filing, emails) = filing::build(
            &request,
            self.reference,
            &self.settings.base_url,
            created_at,
            id,
            &code,
            &public_id,
        )?;
        let Filing {
            complaint,
            co_handlers,
            events,
            search_terms,
            attachments,
            deadlines,
        } = filing;
        let mut life = Life {
            case: Case {
                row: complaint,
                co_handlers,
                deadlines: (0..)
                    .zip(deadlines)
                    .map(|(id, row)| DeadlineRow::from_new(id, row))
                    .collect(),
            },
            events,
            emails: emails.into_iter().map(|e| (e, created_at)).collect(),
            next_deadline_id: 100,
        };
        self.live(&mut life)?;
        let Life {
            case,
            events,
            emails,
            ..
        } = life;
        let deadlines = case
            .deadlines
            .into_iter()
            .map(|row| self.settled(row, case.row.designated).into_new())
            .collect();
        Ok(SeededComplaint {
            filing: Filing {
                complaint: case.row,
                co_handlers: case.co_handlers,
                events,
                search_terms,
                attachments,
                deadlines,
            },
            emails,
        })
    }

    /// An open deadline with the sweeper's marks it would have set by now, so that the
    /// first pass over a demo database acts only on what falls due from then on.
    fn settled(&self, mut row: DeadlineRow, designated: bool) -> DeadlineRow {
        if row.is_open() {
            let due = deadlines::due_effects(
                &self.reference.calendar,
                row.due_on,
                row.paused_on.is_some(),
                designated,
                city_date(self.now),
            );
            let mark = |done: bool| done.then_some(self.now);
            row.reminded_at = mark(due.remind || due.overdue);
            row.overdue_at = mark(due.overdue);
            row.escalated_at = mark(due.escalate);
        }
        row
    }

    /// What a resident (or a clerk taking a call) would have typed, parsed as the form
    /// parses it.
    fn filing_request(
        &mut self,
        index: u64,
        created_at: NaiveDateTime,
    ) -> anyhow::Result<FilingRequest> {
        let text: &'static CategoryText = {
            let categories = self.categories.clone();
            self.weighted(&categories)
        };
        let (district, district_name) = {
            let weights = self.district_weights.clone();
            let i = self.weighted(&weights);
            (self.districts[i].0.clone(), self.districts[i].1.clone())
        };
        let kind = if self.rng.random_bool(0.75) {
            ComplaintKind::Complaint
        } else {
            ComplaintKind::Report
        };
        let anonymous = kind == ComplaintKind::Report && self.rng.random_bool(0.4);
        let locale = match self.rng.random_range(0..100) {
            0..=91 => Locale::ZhHans,
            92..=95 => Locale::ZhHant,
            _ => Locale::En,
        };
        let place = short_place(&district_name);
        let brand = *self.pick_skewed(BRANDS);
        let shop = *self.pick_skewed(text.shops);
        let business_name = format!("{place}{brand}{shop}");
        let road = *self.pick(ROADS);
        let number = self.rng.random_range(1..400);
        let business_address = format!("{district_name}{road}{number}号");
        let business_credit_code = self
            .rng
            .random_bool(0.3)
            // One business, one code: drawn from the business's own seed.
            .then(|| credit_code(&mut business_rng(&district, brand, shop), &district));
        let product = *self.pick(text.products);
        let problem = *self.pick(text.problems);
        let detail = *self.pick(DETAILS);
        let received = city_date(created_at);
        let incident_date = self
            .rng
            .random_bool(0.7)
            .then(|| received - TimeDelta::days(self.rng.random_range(0..20)));
        let when = match incident_date {
            Some(day) => format!("{}月{}日", day.format("%-m"), day.format("%-d")),
            None => "前几天".to_owned(),
        };
        let also = *self.pick(DETAILS);
        let description = format!(
            "{when}我在{business_name}购买了{product}，{problem}。{detail}{}{}",
            if also == detail { "" } else { also },
            self.pick(CLOSINGS)
        );
        let demand = (kind == ComplaintKind::Complaint).then(|| *self.pick(DEMANDS));
        let (name, phone, email) = if anonymous {
            let email = self.rng.random_bool(0.3).then(|| self.email_address(index));
            (None, None, email)
        } else {
            let name = format!("{}{}", self.pick(SURNAMES), self.pick(GIVEN_NAMES));
            let phone = self.phone();
            let email = self
                .rng
                .random_bool(0.55)
                .then(|| self.email_address(index));
            (Some(name), Some(phone), email)
        };
        let incident = incident_date.map(|d| d.to_string());
        let input = ComplaintInput {
            kind: Some(kind.as_str()),
            category: Some(text.code),
            district: Some(&district),
            business_name: Some(&business_name),
            business_address: Some(&business_address),
            business_credit_code: business_credit_code.as_deref(),
            product: Some(product),
            incident_date: incident.as_deref(),
            description: Some(&description),
            demand,
            complainant_name: name.as_deref(),
            phone: phone.as_deref(),
            email: email.as_deref(),
            anonymous,
            consent: true,
        };
        let complaint = NewComplaint::parse(&input, self.reference, received)
            .map_err(|problems| anyhow::anyhow!("a demo filing was refused: {problems:?}"))?;
        let channel = match self.rng.random_range(0..20) {
            0 => Channel::Phone,
            1 => Channel::Visit,
            _ => Channel::Web,
        };
        Ok(FilingRequest {
            complaint,
            locale,
            channel,
            submission_id: Some(uuid::Uuid::from_u128(self.rng.random()).to_string()),
            attachments: Vec::new(),
            filed_by: None,
        })
    }

    /// One step of the case at `at`, through the service's own rules; a refused step is a
    /// bug in the seeder.
    fn step(
        &self,
        life: &mut Life,
        actor: Actor,
        command: Command,
        at: NaiveDateTime,
    ) -> anyhow::Result<()> {
        let change = case::plan(
            self.reference,
            &self.settings,
            &life.case,
            &actor,
            command,
            at,
        )
        .with_context(|| format!("a demo step was refused at {at}"))?;
        change.apply_to(&mut life.case, at, &mut life.next_deadline_id);
        life.emails
            .extend(change.emails.iter().cloned().map(|e| (e, at)));
        life.events.push(change.event);
        Ok(())
    }

    fn clerk_of(&self, department: &DepartmentCode) -> anyhow::Result<Actor> {
        let user_id = self
            .staff
            .clerk(department)
            .with_context(|| format!("no demo clerk in {department}"))?;
        Ok(Actor::Staff(StaffMember {
            user_id,
            role: Role::Clerk,
            department: department.clone(),
        }))
    }

    fn staff_step(
        &self,
        life: &mut Life,
        department: &DepartmentCode,
        action: StaffAction,
        message: Option<&str>,
        argument: ActionArgument,
        at: NaiveDateTime,
    ) -> anyhow::Result<()> {
        let request = ActionRequest {
            action,
            version: life.case.row.version,
            message: message.map(str::to_owned),
            argument,
        };
        let actor = self.clerk_of(department)?;
        self.step(life, actor, Command::Staff(request), at)
    }

    /// Walks the case from filing up to now: decision, information request, reply,
    /// rating or closing. A step that falls after now has not happened.
    fn live(&mut self, life: &mut Life) -> anyhow::Result<()> {
        let calendar = &self.reference.calendar;
        let now = self.now;
        let row = &life.case.row;
        let created_at = row.created_at;
        let lead = row.lead_department.clone();
        let accept_due = row.accept_due;
        let received = city_date(created_at);
        let accept_days = calendar.working_days_between(received, accept_due).max(1);
        let roll = self.rng.random_range(0..100);

        // Withdrawn by the complainant within a few days.
        if roll < 3 {
            let at = created_at + TimeDelta::hours(self.rng.random_range(2..72));
            if at <= now {
                self.step(
                    life,
                    Actor::Complainant,
                    Command::Withdraw { reason: None },
                    at,
                )?;
            }
            return Ok(());
        }

        // The decision: mostly within the window, a few late.
        let decision_day = if self.rng.random_bool(0.04) {
            calendar.add_working_days(accept_due, self.rng.random_range(1..=5))
        } else {
            calendar.add_working_days(received, self.rng.random_range(1..=accept_days))
        };
        let decided_at = self.moment(decision_day, 9, 17).max(created_at);
        if decided_at > now {
            return Ok(());
        }
        if roll < 9 {
            let reason = *self.pick(REJECT_REASONS);
            let argument = ActionArgument::None;
            return self.staff_step(
                life,
                &lead,
                StaffAction::Reject,
                Some(reason),
                argument,
                decided_at,
            );
        }
        self.staff_step(
            life,
            &lead,
            StaffAction::Accept,
            None,
            ActionArgument::None,
            decided_at,
        )?;
        if self.rng.random_bool(0.5) {
            let at = decided_at + TimeDelta::minutes(self.rng.random_range(1..90));
            if at <= now {
                let user = self.clerk_user(&lead)?;
                self.staff_step(
                    life,
                    &lead,
                    StaffAction::Assign,
                    None,
                    ActionArgument::User(user.to_string()),
                    at,
                )?;
            }
        }
        // Co-handlers give their opinion as a note.
        let co_handlers: Vec<DepartmentCode> = life
            .case
            .co_handlers
            .iter()
            .map(|c| c.department_code.clone())
            .collect();
        for co in &co_handlers {
            let day = calendar.add_working_days(decision_day, self.rng.random_range(1..=4));
            let at = self.moment(day, 9, 17).max(decided_at);
            if at > now {
                continue;
            }
            let opinion = *self.pick(OPINIONS);
            self.staff_step(
                life,
                co,
                StaffAction::Note,
                Some(opinion),
                ActionArgument::None,
                at,
            )?;
        }

        // Sometimes more information is needed first: the clock stops meanwhile.
        let mut working_from = decision_day;
        if self.rng.random_bool(0.1) {
            let asked_day = calendar.add_working_days(decision_day, self.rng.random_range(1..=8));
            let asked_at = self.moment(asked_day, 9, 17).max(self.last_step(life));
            if asked_at > now {
                return Ok(());
            }
            let question = *self.pick(INFO_REQUESTS);
            self.staff_step(
                life,
                &lead,
                StaffAction::RequestInfo,
                Some(question),
                ActionArgument::None,
                asked_at,
            )?;
            let supplied_at = asked_at + TimeDelta::hours(self.rng.random_range(3..150));
            if supplied_at > now {
                return Ok(());
            }
            let command = Command::SupplyInfo {
                message: "已补充购物小票和照片。".to_owned(),
                files: Vec::new(),
            };
            self.step(life, Actor::Complainant, command, supplied_at)?;
            working_from = city_date(supplied_at);
        }

        // The reply resolves the case.
        let finish_due = life
            .case
            .row
            .finish_due
            .context("an accepted case has a finish deadline")?;
        let reply_day = if self.rng.random_bool(0.06) {
            calendar.add_working_days(finish_due, self.rng.random_range(1..=10))
        } else {
            let available = calendar
                .working_days_between(working_from, finish_due)
                .max(1);
            let spent = self.rng.random_range(1..=available.min(30));
            calendar.add_working_days(working_from, spent)
        };
        let replied_at = self.moment(reply_day, 9, 18).max(self.last_step(life));
        if replied_at > now {
            return Ok(());
        }
        let outcome = self.weighted(&OUTCOMES);
        let reply = *self.pick(REPLIES);
        self.staff_step(
            life,
            &lead,
            StaffAction::Reply,
            Some(reply),
            ActionArgument::Outcome(outcome),
            replied_at,
        )?;

        // A rating closes the case; without one the case closes when the window ends.
        let has_email = life.case.row.email.is_some();
        let rated = has_email && self.rng.random_bool(0.6) || self.rng.random_bool(0.2);
        if rated {
            let at = replied_at + TimeDelta::hours(self.rng.random_range(1..(24 * 14)));
            if at > now {
                return Ok(());
            }
            // Dissatisfied ratings within the window reopen a case; the demo keeps to the
            // satisfied and the lukewarm, so that the history stays one pass.
            let score = self.weighted(&[(5u8, 50), (4, 32), (3, 18)]);
            let comment = (score >= 4).then(|| (*self.pick(COMMENTS)).to_owned());
            self.step(
                life,
                Actor::Complainant,
                Command::Rate { score, comment },
                at,
            )?;
        } else {
            let window = TimeDelta::days(i64::from(self.settings.rating_window_days));
            let at = replied_at + window + TimeDelta::minutes(5);
            if at <= now {
                self.step(life, Actor::System, Command::CloseUnrated, at)?;
            }
        }
        debug_assert!(life.case.row.state != ComplaintState::Assigned);
        Ok(())
    }

    /// Steps never go back in time, whatever the dice say.
    fn last_step(&self, life: &Life) -> NaiveDateTime {
        life.events
            .last()
            .map_or(life.case.row.created_at, |e| e.at + TimeDelta::minutes(1))
    }

    fn clerk_user(&self, department: &DepartmentCode) -> anyhow::Result<UserId> {
        self.staff
            .clerk(department)
            .with_context(|| format!("no demo clerk in {department}"))
    }

    fn phone(&mut self) -> String {
        let prefix = *self.pick(MOBILE_PREFIXES);
        let rest: u32 = self.rng.random_range(0..100_000_000);
        let raw = format!("{prefix}{rest:08}");
        Phone::parse(&raw)
            .map(|p| p.as_str().to_owned())
            .unwrap_or(raw)
    }

    fn email_address(&mut self, index: u64) -> String {
        let name = *self.pick(EMAIL_NAMES);
        let domain = *self.pick(&["example.com", "example.net", "example.org"]);
        format!("{name}{index}@{domain}")
    }
}

/// A UUIDv7 of the filing moment, as `Uuid::now_v7()` would have made it then.
fn uuid_at(rng: &mut StdRng, at: NaiveDateTime) -> String {
    let utc = at.and_utc();
    let millis = utc.timestamp_millis().max(0) as u64;
    let mut bytes: [u8; 16] = rng.random();
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    bytes[6] = 0x70 | (bytes[6] & 0x0F);
    bytes[8] = 0x80 | (bytes[8] & 0x3F);
    uuid::Uuid::from_bytes(bytes).hyphenated().to_string()
}

/// A random source of its own for one business of the demo.
fn business_rng(district: &str, brand: &str, shop: &str) -> StdRng {
    use std::hash::{Hash as _, Hasher as _};
    // FNV-1a: stable across runs and Rust versions, unlike `DefaultHasher`'s promise.
    struct Fnv(u64);
    impl std::hash::Hasher for Fnv {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            for b in bytes {
                self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
            }
        }
    }
    let mut hasher = Fnv(0xcbf2_9ce4_8422_2325);
    (district, brand, shop).hash(&mut hasher);
    StdRng::seed_from_u64(hasher.finish())
}

/// A valid unified social credit code of a company registered in `district`.
fn credit_code(rng: &mut StdRng, district: &str) -> String {
    const ORG: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut body = format!("91{district}");
    for _ in 0..9 {
        body.push(char::from(ORG[rng.random_range(0..ORG.len())]));
    }
    // The check character is whatever makes the code parse.
    ORG.iter()
        .map(|&c| format!("{body}{}", char::from(c)))
        .find(|code| CreditCode::parse(code).is_ok())
        .unwrap_or(body)
}

/// "信州区" → "信州", "德兴市" → "德兴": how a business name starts.
fn short_place(district: &str) -> String {
    let chars: Vec<char> = district.chars().collect();
    if chars.len() > 2 {
        chars[..chars.len() - 1].iter().collect()
    } else {
        district.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_codes_and_ids_are_what_the_service_makes() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..200 {
            let code = credit_code(&mut rng, "361102");
            assert!(CreditCode::parse(&code).is_ok(), "{code}");
        }
        assert_eq!(short_place("信州区"), "信州");
        let at = NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_opt(3, 4, 5)
            .unwrap();
        let id = uuid::Uuid::parse_str(&uuid_at(&mut rng, at)).unwrap();
        assert_eq!(id.get_version_num(), 7);
        let (secs, _) = id.get_timestamp().unwrap().to_unix();
        assert_eq!(secs as i64, at.and_utc().timestamp());
    }
}
