//! Which library a program's period is checked against. A period uses the
//! library version the pipeline declares for it (`library_versions`, else
//! `library`); a rerun of an earlier period uses the rows its store entry
//! kept, not today's file, while that version is still the one declared for
//! it (`run --library-current`: today's file). The store entry keeps the
//! version (file, sha256, `from`) and names the snapshot of its rows (kept
//! once per program and content), and the monthly report compares them with
//! the last period's (`libdiff`).

use std::borrow::Cow;
use std::path::Path;

use super::publish::sha256_file;
use super::store::Store;
use super::{RunError, Setup};
use crate::config::PipelineSpec;
use crate::model::{LibraryRow, LibraryStamp, Period};
use crate::seeds::{Library, Project};

/// A library path as the store records it: relative to the configuration
/// folder when inside it (so a moved folder keeps its versions), `/`-separated.
pub fn label(root: &Path, path: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rel) => rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => path.to_string_lossy().into_owned(),
    }
}

/// The version the pipeline declares for a period, as it is on disk now.
pub fn declared(spec: &PipelineSpec, root: &Path, period: Period) -> LibraryStamp {
    let (path, from) = spec.library_for(period);
    LibraryStamp {
        file: label(root, path),
        sha256: sha256_file(path).unwrap_or_default(),
        from: from.map(|f| f.to_string()),
    }
}

/// The library a period is checked against, with its stamp and rows (rows
/// empty for a tasks-kind program, whose plan is not kept).
pub struct PeriodLibrary<'a> {
    pub library: Cow<'a, Library>,
    pub stamp: LibraryStamp,
    pub rows: Vec<LibraryRow>,
    /// True when the rows came from the store entry, not the file.
    pub stored: bool,
}

/// Whether a period may use its stored library: not the run's target
/// period, and not asked for today's file (`--library-current`).
pub fn may_use_stored(setup: &Setup, period: Period) -> bool {
    !setup.library_current && setup.target != Some(period)
}

/// The library of program `si` for `period` (see the module doc).
pub fn for_period<'a>(
    setup: &'a Setup,
    store: &Store,
    si: usize,
    period: Period,
) -> Result<PeriodLibrary<'a>, RunError> {
    let spec = &setup.specs[si];
    let now = declared(spec, &setup.root, period);
    if may_use_stored(setup, period) {
        if let Some(kept) = stored(store, &spec.id, period)?.filter(|(s, _)| s.file == now.file) {
            let (stamp, rows) = kept;
            let projects: Vec<Project> = rows.iter().map(Project::from).collect();
            return Ok(PeriodLibrary {
                library: Cow::Owned(Library::new(projects)),
                stamp,
                rows,
                stored: true,
            });
        }
    }
    let library = setup.libraries.for_period(si, period)?;
    let rows = library.projects.iter().map(LibraryRow::from).collect();
    Ok(PeriodLibrary {
        library: Cow::Borrowed(library),
        stamp: now,
        rows,
        stored: false,
    })
}

/// The version and rows a stored period kept (none for an entry written
/// before versions were kept, or a tasks-kind program's).
pub fn stored(
    store: &Store,
    program: &str,
    period: Period,
) -> Result<Option<(LibraryStamp, Vec<LibraryRow>)>, RunError> {
    let Some(kept) = store.load_library(program, period)? else {
        return Ok(None);
    };
    Ok(kept
        .library
        .filter(|_| !kept.library_rows.is_empty())
        .map(|s| (s, kept.library_rows)))
}

/// The library of `period` against the last stored period's. When that
/// period kept the very same rows (its snapshot is theirs), they are not
/// read again.
pub fn change(
    store: &Store,
    program: &str,
    period: Period,
    rows: &[LibraryRow],
) -> Result<crate::model::libchange::LibraryChange, RunError> {
    let Some(p) = store.previous(program, period) else {
        return Ok(super::libdiff::diff(None, rows));
    };
    let label = p.to_string();
    if store.kept_same_library(program, p, rows)? {
        return Ok(super::libdiff::diff(Some((&label, rows)), rows));
    }
    let prev = stored(store, program, p)?;
    Ok(super::libdiff::diff(
        prev.as_ref().map(|(_, r)| (label.as_str(), r.as_slice())),
        rows,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_relative_to_the_configuration_folder() {
        let root = Path::new("/srv/台账");
        assert_eq!(
            label(root, &root.join("seeds").join("x-library.xlsx")),
            "seeds/x-library.xlsx"
        );
        assert_eq!(label(root, Path::new("/tmp/lib.xlsx")), "/tmp/lib.xlsx");
    }

    #[test]
    fn the_declared_version_follows_the_month() {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let spec =
            crate::config::load_pipeline(&root.join("pipelines/new-infra.toml"), &root).unwrap();
        let june = declared(
            &spec,
            &root,
            Period {
                year: 2023,
                month: 6,
            },
        );
        let july = declared(
            &spec,
            &root,
            Period {
                year: 2023,
                month: 7,
            },
        );
        assert_eq!(june.file, "seeds/new-infra-library.xlsx");
        assert_eq!(june.from, None);
        assert_eq!(july.file, "seeds/new-infra-library-2023-07.xlsx");
        assert_eq!(july.from.as_deref(), Some("2023-07"));
        assert_eq!(july.sha256.len(), 64);
        assert_ne!(june.sha256, july.sha256);
    }
}
