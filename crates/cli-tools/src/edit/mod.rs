//! Format-preserving editors for the files the tools read: each changes only the values it is
//! asked to and keeps every other byte, or refuses with the reason and leaves the text alone.

pub(crate) mod dotenv;
pub(crate) mod json_edit;
pub(crate) mod json_text;
pub(crate) mod toml_doc;
pub(crate) mod yaml_list;
