//! End-to-end tests of the ballast binary and library on real archives.
//!
//! - `dive_fixtures`: figures that must equal dive 0.13.1's export on the
//!   dive project's own test images (skipped, with a message, when
//!   `../shared` is absent).
//! - `formats`: one image saved in every format gives one answer.
//! - `errors`: broken input gives exit 2 and one clear line.

mod dive_fixtures;
mod errors;
mod formats;
mod util;
