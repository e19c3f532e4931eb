-- Reference data of the coordination mechanism, complaints with their timeline and
-- outbox, users. Portable types only (DESIGN §2): ids as TEXT, timestamps in UTC.
CREATE TABLE districts (
    code TEXT PRIMARY KEY NOT NULL,
    name_zh_hans TEXT NOT NULL,
    name_zh_hant TEXT NOT NULL,
    name_en TEXT NOT NULL,
    sort_order INTEGER NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE departments (
    code TEXT PRIMARY KEY NOT NULL,
    name_zh_hans TEXT NOT NULL,
    name_zh_hant TEXT NOT NULL,
    name_en TEXT NOT NULL,
    district_code TEXT REFERENCES districts(code),
    inbox_email TEXT NOT NULL,
    is_office BOOLEAN NOT NULL DEFAULT FALSE,
    active BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE categories (
    code TEXT PRIMARY KEY NOT NULL,
    name_zh_hans TEXT NOT NULL,
    name_zh_hant TEXT NOT NULL,
    name_en TEXT NOT NULL,
    complaint_accept_days INTEGER NOT NULL,
    complaint_finish_days INTEGER NOT NULL,
    report_accept_days INTEGER NOT NULL,
    report_notify_days INTEGER NOT NULL,
    assist_days INTEGER NOT NULL,
    legal_basis TEXT NOT NULL,
    sort_order INTEGER NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE routing_rules (
    id BIGSERIAL PRIMARY KEY,
    category_code TEXT NOT NULL REFERENCES categories(code),
    district_code TEXT REFERENCES districts(code),
    lead_department TEXT NOT NULL REFERENCES departments(code),
    co_departments TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE UNIQUE INDEX routing_rules_scope ON routing_rules(category_code, COALESCE(district_code, ''));

CREATE TABLE holidays (
    day DATE PRIMARY KEY NOT NULL,
    is_working_day BOOLEAN NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);

CREATE TABLE calendar_years (
    year INTEGER PRIMARY KEY NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    department_code TEXT NOT NULL REFERENCES departments(code),
    email TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE complaints (
    id TEXT PRIMARY KEY NOT NULL,
    tracking_code TEXT NOT NULL UNIQUE,
    submission_id TEXT UNIQUE,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    category_code TEXT NOT NULL REFERENCES categories(code),
    district_code TEXT NOT NULL REFERENCES districts(code),
    business_name TEXT NOT NULL,
    business_address TEXT NOT NULL,
    business_credit_code TEXT,
    product TEXT,
    incident_date DATE,
    description TEXT NOT NULL,
    demand TEXT,
    complainant_name TEXT,
    phone TEXT,
    email TEXT,
    anonymous BOOLEAN NOT NULL DEFAULT FALSE,
    locale TEXT NOT NULL,
    state TEXT NOT NULL,
    lead_department TEXT NOT NULL REFERENCES departments(code),
    routing_rule_id BIGINT REFERENCES routing_rules(id),
    accept_due DATE NOT NULL,
    finish_due DATE,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX complaints_lead_state ON complaints(lead_department, state, accept_due);
CREATE INDEX complaints_created ON complaints(created_at);
CREATE INDEX complaints_credit_code ON complaints(business_credit_code);
CREATE INDEX complaints_phone ON complaints(phone);
CREATE INDEX complaints_email ON complaints(email);

CREATE TABLE complaint_departments (
    complaint_id TEXT NOT NULL REFERENCES complaints(id),
    department_code TEXT NOT NULL REFERENCES departments(code),
    added_at TIMESTAMP NOT NULL,
    opinion_due DATE NOT NULL,
    PRIMARY KEY (complaint_id, department_code)
);
CREATE INDEX complaint_departments_department ON complaint_departments(department_code);

CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    complaint_id TEXT NOT NULL REFERENCES complaints(id),
    at TIMESTAMP NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_user TEXT REFERENCES users(id),
    kind TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT,
    department_code TEXT,
    public_message TEXT,
    internal_note TEXT
);
CREATE INDEX events_complaint ON events(complaint_id, id);

CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    complaint_id TEXT REFERENCES complaints(id),
    recipient TEXT NOT NULL,
    recipient_kind TEXT NOT NULL,
    template TEXT NOT NULL,
    locale TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox(state, due_at);

-- Bigrams of business name, product and description (DESIGN §6), one row per complaint.
CREATE TABLE complaint_search (
    complaint_id TEXT PRIMARY KEY NOT NULL REFERENCES complaints(id),
    terms TEXT NOT NULL,
    terms_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED
);
CREATE INDEX complaint_search_tsv ON complaint_search USING GIN (terms_tsv);
