//! `whatsapp_contacts` module (not written yet).
