//! `taizhang templates`: one fill-in template per program and unit for a
//! period (`report/template.rs` writes each), last period's figures read
//! from the store (read only). Writes nothing else.

use std::path::{Path, PathBuf};

use crate::model::Period;
use crate::pipeline::{publish, setup, store, write_err, RunError};

/// What `taizhang templates` was asked for.
#[derive(Debug, Clone)]
pub struct TemplateOptions {
    pub root: PathBuf,
    /// The output folder: templates go to `OUT/模板/<period>/`.
    pub out: PathBuf,
    pub store: PathBuf,
    pub period: Period,
    pub pipelines: Vec<String>,
}

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct TemplatesWritten {
    pub dir: PathBuf,
    /// Per program: (program name, files written).
    pub programs: Vec<(String, Vec<PathBuf>)>,
    /// Programs whose store has no entry for last period (上月 columns left empty).
    pub no_history: Vec<String>,
    /// Programs whose `[feedback] contact` still holds the shipped example
    /// (`XX` placeholders): the clerk is reminded before sending.
    pub placeholder_contact: Vec<String>,
}

/// The folder the templates of `period` go to under the output folder.
pub fn dir_for(out: &Path, period: Period) -> PathBuf {
    out.join("模板").join(period.to_string())
}

/// Writes every unit's template of every selected program.
pub fn templates(opts: &TemplateOptions) -> Result<TemplatesWritten, RunError> {
    let setup = setup(&opts.root, &opts.pipelines, None)?;
    let store = store::Store::new(&opts.store);
    let dir = dir_for(&opts.out, opts.period);
    std::fs::create_dir_all(&dir).map_err(write_err(&dir))?;
    let mut out = TemplatesWritten {
        dir: dir.clone(),
        ..Default::default()
    };
    for (si, spec) in setup.specs.iter().enumerate() {
        // The library version of the period the template is for.
        let lib = setup.libraries.for_period(si, opts.period)?;
        let sha = publish::sha256_file(spec.library_for(opts.period).0)
            .map(|s| s.chars().take(12).collect::<String>())
            .unwrap_or_default();
        if spec.feedback.contact.contains("XX") {
            out.placeholder_contact.push(spec.name.clone());
        }
        let prev = store.load_records(&spec.id, opts.period.prev())?;
        if prev.is_none() {
            out.no_history.push(spec.name.clone());
        }
        let mut files = Vec::new();
        for unit_id in lib.unit_ids(&setup.units) {
            let Some(unit) = setup.units.by_id(&unit_id) else {
                continue;
            };
            let inp = crate::report::template::TemplateInput {
                spec,
                lib,
                unit,
                period: opts.period,
                library_sha: &sha,
                prev: prev.as_ref(),
            };
            files.push(crate::report::template::write(&inp, &dir)?);
        }
        out.programs.push((spec.name.clone(), files));
    }
    Ok(out)
}
