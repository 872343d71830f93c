//! `sms_attachments` module (not written yet).
