//! The one schema for both backends, kept by hand (DESIGN §2): `diesel print-schema`
//! would print different types per backend. Ids are TEXT, timestamps UTC `Timestamp`.

diesel::table! {
    districts (code) {
        code -> Text,
        name_zh_hans -> Text,
        name_zh_hant -> Text,
        name_en -> Text,
        sort_order -> Integer,
        active -> Bool,
    }
}

diesel::table! {
    departments (code) {
        code -> Text,
        name_zh_hans -> Text,
        name_zh_hant -> Text,
        name_en -> Text,
        district_code -> Nullable<Text>,
        inbox_email -> Text,
        is_office -> Bool,
        active -> Bool,
    }
}

diesel::table! {
    categories (code) {
        code -> Text,
        name_zh_hans -> Text,
        name_zh_hant -> Text,
        name_en -> Text,
        complaint_accept_days -> Integer,
        complaint_finish_days -> Integer,
        report_accept_days -> Integer,
        report_notify_days -> Integer,
        assist_days -> Integer,
        legal_basis -> Text,
        sort_order -> Integer,
        active -> Bool,
        rejection_reasons -> Text,
    }
}

diesel::table! {
    routing_rules (id) {
        id -> BigInt,
        category_code -> Text,
        district_code -> Nullable<Text>,
        lead_department -> Text,
        co_departments -> Text,
        active -> Bool,
    }
}

diesel::table! {
    holidays (day) {
        day -> Date,
        is_working_day -> Bool,
        note -> Text,
    }
}

diesel::table! {
    calendar_years (year) {
        year -> Integer,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        department_code -> Text,
        email -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    complaints (id) {
        id -> Text,
        tracking_code -> Text,
        submission_id -> Nullable<Text>,
        kind -> Text,
        channel -> Text,
        category_code -> Text,
        district_code -> Text,
        business_name -> Text,
        business_address -> Text,
        business_credit_code -> Nullable<Text>,
        product -> Nullable<Text>,
        incident_date -> Nullable<Date>,
        description -> Text,
        demand -> Nullable<Text>,
        complainant_name -> Nullable<Text>,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        anonymous -> Bool,
        locale -> Text,
        state -> Text,
        lead_department -> Text,
        routing_rule_id -> Nullable<BigInt>,
        accept_due -> Date,
        finish_due -> Nullable<Date>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        assignee -> Nullable<Text>,
        designated -> Bool,
        returned_by -> Nullable<Text>,
        paused_since -> Nullable<Timestamp>,
        info_requested_at -> Nullable<Timestamp>,
        accepted_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        outcome -> Nullable<Text>,
        reopen_count -> Integer,
        flagged_to_office -> Bool,
        rating_score -> Nullable<Integer>,
        rating_comment -> Nullable<Text>,
        rated_at -> Nullable<Timestamp>,
        current_due -> Nullable<Date>,
        public_id -> Text,
        business_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    businesses (id) {
        id -> BigInt,
        credit_code -> Nullable<Text>,
        district_code -> Text,
        name_key -> Text,
        name -> Text,
        first_seen -> Timestamp,
        last_seen -> Timestamp,
        merged_into -> Nullable<BigInt>,
        recent_count -> BigInt,
    }
}

diesel::table! {
    hotspot_window (days) {
        days -> Integer,
        edge -> Timestamp,
    }
}

diesel::table! {
    complaint_links (complaint_id, other_id) {
        complaint_id -> Text,
        other_id -> Text,
        kind -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    complaint_departments (complaint_id, department_code) {
        complaint_id -> Text,
        department_code -> Text,
        added_at -> Timestamp,
        opinion_due -> Date,
        case_state -> Text,
        case_lead -> Text,
        case_due -> Nullable<Date>,
    }
}

diesel::table! {
    deadlines (id) {
        id -> BigInt,
        complaint_id -> Text,
        department_code -> Text,
        kind -> Text,
        started_on -> Date,
        due_on -> Date,
        paused_on -> Nullable<Date>,
        met_at -> Nullable<Timestamp>,
        superseded_at -> Nullable<Timestamp>,
        reminded_at -> Nullable<Timestamp>,
        overdue_at -> Nullable<Timestamp>,
        escalated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        complaint_id -> Text,
        at -> Timestamp,
        actor_kind -> Text,
        actor_user -> Nullable<Text>,
        kind -> Text,
        from_state -> Nullable<Text>,
        to_state -> Nullable<Text>,
        department_code -> Nullable<Text>,
        public_message -> Nullable<Text>,
        internal_note -> Nullable<Text>,
        is_opinion -> Bool,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        complaint_id -> Nullable<Text>,
        recipient -> Text,
        recipient_kind -> Text,
        template -> Text,
        locale -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        state -> Text,
        attempts -> Integer,
        due_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        last_attempt_at -> Nullable<Timestamp>,
        retry_requested_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    complaint_search (complaint_id) {
        complaint_id -> Text,
        terms -> Text,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        user_id -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    login_throttle (username) {
        username -> Text,
        failures -> Integer,
        last_failure_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_address_throttle (username, address) {
        username -> Text,
        address -> Text,
        failures -> Integer,
        last_failure_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    attachments (id) {
        id -> Text,
        complaint_id -> Text,
        event_id -> Nullable<BigInt>,
        file_name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        data -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    personal_data_views (id) {
        id -> BigInt,
        user_id -> Text,
        complaint_id -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        at -> Timestamp,
        user_id -> Nullable<Text>,
        entity -> Text,
        entity_key -> Text,
        action -> Text,
        detail -> Text,
    }
}

diesel::table! {
    assessment_weights (id) {
        id -> Integer,
        finished_on_time -> Integer,
        accepted_on_time -> Integer,
        satisfaction -> Integer,
        not_reopened -> Integer,
        returns_upheld -> Integer,
        updated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    bulletin_tallies (family, day, department_code, group_key, measure, value) {
        family -> Text,
        day -> Date,
        department_code -> Text,
        group_key -> Text,
        measure -> Text,
        value -> Integer,
        count -> BigInt,
    }
}

diesel::table! {
    bulletin_rollups (family, grain, starts_on, department_code, group_key, measure, value) {
        family -> Text,
        grain -> Text,
        starts_on -> Date,
        department_code -> Text,
        group_key -> Text,
        measure -> Text,
        value -> Integer,
        count -> BigInt,
    }
}

diesel::table! {
    bulletin_state (id) {
        id -> Integer,
        tallies_built -> Bool,
    }
}

diesel::table! {
    digests_sent (recipient, week) {
        recipient -> Text,
        week -> Text,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        name -> Text,
        key_hash -> Text,
        limit_per_hour -> Integer,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_key_uses (id) {
        id -> BigInt,
        api_key_id -> BigInt,
        used_at -> Timestamp,
    }
}

diesel::table! {
    rate_limit_hits (limit_name, bucket, minute) {
        limit_name -> Text,
        bucket -> Text,
        minute -> BigInt,
        hits -> Integer,
    }
}

diesel::table! {
    joint_actions (id) {
        id -> BigInt,
        title -> Text,
        lead_department -> Text,
        state -> Text,
        business_id -> Nullable<BigInt>,
        outcome -> Nullable<Text>,
        summary -> Nullable<Text>,
        cancel_reason -> Nullable<Text>,
        version -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    password_resets (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    joint_action_members (id) {
        id -> BigInt,
        action_id -> BigInt,
        department_code -> Text,
        task -> Text,
        started_on -> Date,
        due_on -> Date,
        reported_at -> Nullable<Timestamp>,
        reported_by -> Nullable<Text>,
        report -> Nullable<Text>,
        superseded_at -> Nullable<Timestamp>,
        reminded_at -> Nullable<Timestamp>,
        overdue_at -> Nullable<Timestamp>,
        escalated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    totp_enrolments (user_id) {
        user_id -> Text,
        sealed_secret -> Text,
        confirmed_at -> Nullable<Timestamp>,
        last_step -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    joint_action_cases (action_id, complaint_id) {
        action_id -> BigInt,
        complaint_id -> Text,
        added_at -> Timestamp,
    }
}

diesel::table! {
    totp_recovery_codes (code_hash) {
        code_hash -> Text,
        user_id -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    joint_action_events (id) {
        id -> BigInt,
        action_id -> BigInt,
        at -> Timestamp,
        actor_user -> Nullable<Text>,
        kind -> Text,
        department_code -> Nullable<Text>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    pending_sign_ins (id_hash) {
        id_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    saved_views (id) {
        id -> BigInt,
        user_id -> Text,
        name -> Text,
        query -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(complaints -> categories (category_code));
diesel::joinable!(complaints -> districts (district_code));
diesel::joinable!(events -> complaints (complaint_id));
diesel::joinable!(deadlines -> complaints (complaint_id));
diesel::joinable!(complaint_departments -> complaints (complaint_id));
diesel::joinable!(complaints -> businesses (business_id));
diesel::joinable!(joint_action_members -> joint_actions (action_id));
diesel::joinable!(joint_action_cases -> joint_actions (action_id));
diesel::joinable!(joint_action_cases -> complaints (complaint_id));
diesel::joinable!(joint_action_events -> joint_actions (action_id));

diesel::allow_tables_to_appear_in_same_query!(
    hotspot_window,
    saved_views,
    assessment_weights,
    bulletin_state,
    bulletin_tallies,
    bulletin_rollups,
    digests_sent,
    deadlines,
    districts,
    departments,
    categories,
    routing_rules,
    holidays,
    calendar_years,
    users,
    complaints,
    complaint_departments,
    events,
    outbox,
    complaint_search,
    sessions,
    login_throttle,
    login_address_throttle,
    attachments,
    personal_data_views,
    audit_events,
    api_keys,
    api_key_uses,
    businesses,
    complaint_links,
    rate_limit_hits,
    joint_actions,
    joint_action_members,
    joint_action_cases,
    joint_action_events,
);
