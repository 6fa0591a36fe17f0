//! Empty: this crate only pins the C sources of WAMR (see Cargo.toml).
