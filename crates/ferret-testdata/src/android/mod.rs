//! Android acquisition generators.
