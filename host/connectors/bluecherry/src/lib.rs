//! bluecherry connector (being built).
