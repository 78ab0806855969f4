//! Demo practice seeding (placeholder until written).
