//! stub
pub struct Sandbox;
pub struct SandboxConfig;
