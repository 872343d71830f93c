//! Composes generators into complete acquisitions.
