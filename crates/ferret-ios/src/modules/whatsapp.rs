//! `whatsapp` module (not written yet).
