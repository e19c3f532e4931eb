DROP INDEX pending_sign_ins_user;
DROP TABLE pending_sign_ins;
DROP INDEX totp_recovery_codes_user;
DROP TABLE totp_recovery_codes;
DROP TABLE totp_enrolments;
