//! STIX 2.1 bundle generator.
