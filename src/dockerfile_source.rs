//! Reading the Dockerfile the steps are mapped to: the one `--dockerfile`
//! names (a mistake is an error naming it), else `Dockerfile` or
//! `Containerfile` in the working directory (used only when it matches the
//! image's history, which the analysis decides and reports).

use std::io::Read;
use std::path::Path;

use ballast::analyze::dockerfile::Source;

/// Larger than any real Dockerfile; bounds what a wrong path can cost.
const MAX_BYTES: u64 = 4 << 20;

pub fn read(explicit: Option<&Path>) -> Result<Option<Source>, String> {
    if let Some(p) = explicit {
        return read_file(p).map(|text| {
            Some(Source {
                path: p.display().to_string(),
                text,
                explicit: true,
            })
        });
    }
    for name in ["Dockerfile", "Containerfile"] {
        let p = Path::new(name);
        if p.is_file() {
            // A found file that cannot be read is not the user's mistake.
            return Ok(read_file(p).ok().map(|text| Source {
                path: name.to_string(),
                text,
                explicit: false,
            }));
        }
    }
    Ok(None)
}

pub fn read_file(p: &Path) -> Result<String, String> {
    let name = p.display();
    let file = std::fs::File::open(p).map_err(|e| format!("--dockerfile {name}: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("--dockerfile {name}: {e}"))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!(
            "--dockerfile {name}: larger than 4 MiB; not a Dockerfile"
        ));
    }
    String::from_utf8(bytes).map_err(|_| format!("--dockerfile {name}: not UTF-8 text"))
}
