//! Where the configuration is, and `taizhang init DIR`.
//!
//! A deployed binary looks for its configuration folder (the one holding
//! `pipelines/` and `seeds/`) in this order: `--root DIR`, the environment
//! variable `TAIZHANG_ROOT`, the current folder, the folder of the executable,
//! and last the source folder it was built from (a developer's checkout). The
//! error names every place it tried.
//!
//! `taizhang init DIR` writes a starter folder a clerk edits: the shipped
//! pipeline files and unit list (embedded at build time by `build.rs`), an
//! empty project library per program in the commission's layout, an empty
//! `inbox/`, and a README in Chinese. Files already there are kept.

use std::path::{Path, PathBuf};

use crate::fsx::Why;

include!(concat!(env!("OUT_DIR"), "/starter.rs"));

/// The variable naming the configuration folder.
pub const ROOT_ENV: &str = "TAIZHANG_ROOT";

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("找不到配置目录（应含 pipelines/ 和 seeds/ 两个文件夹）。已尝试：{tried}。请用 --root 指定，或设置环境变量 TAIZHANG_ROOT，或用 taizhang init 目录 生成一套起步配置")]
    NoRoot { tried: String },
    #[error("无法写入 {path}：{source}")]
    Write { path: PathBuf, source: Why },
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
}

fn is_root(dir: &Path) -> bool {
    dir.join("pipelines").is_dir() && dir.join("seeds").is_dir()
}

/// The configuration folder: `explicit` (from `--root`) alone when given,
/// else the first of `TAIZHANG_ROOT`, the current folder, the executable's
/// folder and the build's source folder that holds `pipelines/` and `seeds/`.
pub fn find_root(explicit: Option<&Path>) -> Result<PathBuf, InitError> {
    let mut candidates: Vec<(String, PathBuf)> = Vec::new();
    if let Some(d) = explicit {
        candidates.push(("--root".to_string(), d.to_path_buf()));
    } else {
        if let Some(d) = std::env::var_os(ROOT_ENV).filter(|v| !v.is_empty()) {
            candidates.push((ROOT_ENV.to_string(), PathBuf::from(d)));
        }
        if let Ok(d) = std::env::current_dir() {
            candidates.push(("当前目录".to_string(), d));
        }
        if let Some(d) = std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(Path::to_path_buf))
        {
            candidates.push(("程序所在目录".to_string(), d));
        }
        candidates.push((
            "源码目录".to_string(),
            PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        ));
    }
    if let Some((_, d)) = candidates.iter().find(|(_, d)| is_root(d)) {
        return Ok(d.clone());
    }
    let tried = candidates
        .iter()
        .map(|(what, d)| format!("{what} {}", d.display()))
        .collect::<Vec<_>>()
        .join("；");
    Err(InitError::NoRoot { tried })
}

/// What `init` wrote and what it found already there.
#[derive(Debug, Default)]
pub struct InitReport {
    pub written: Vec<PathBuf>,
    pub kept: Vec<PathBuf>,
}

impl InitReport {
    fn put(&mut self, path: PathBuf, bytes: &[u8]) -> Result<(), InitError> {
        if path.exists() {
            self.kept.push(path);
            return Ok(());
        }
        crate::fsx::write_atomic(&path, bytes).map_err(|e| InitError::Write {
            path: path.clone(),
            source: Why(e),
        })?;
        self.written.push(path);
        Ok(())
    }
}

/// Writes a starter configuration folder into `dir`, keeping any file already there.
pub fn init(dir: &Path) -> Result<InitReport, InitError> {
    let mut rep = InitReport::default();
    for (name, text) in PIPELINES {
        rep.put(dir.join("pipelines").join(name), text.as_bytes())?;
    }
    rep.put(dir.join("seeds").join("units.toml"), UNITS.as_bytes())?;
    let specs = crate::config::load_all(&dir.join("pipelines"), dir)?;
    for spec in &specs {
        // `library` and each of its `library_versions`.
        let files =
            std::iter::once(&spec.library).chain(spec.library_versions.iter().map(|v| &v.path));
        for lib in files {
            if lib.exists() {
                rep.kept.push(lib.clone());
            } else {
                crate::report::library::write_empty(spec, lib)?;
                rep.written.push(lib.clone());
            }
        }
    }
    let inbox = dir.join("inbox");
    std::fs::create_dir_all(&inbox).map_err(|e| InitError::Write {
        path: inbox.clone(),
        source: Why(e),
    })?;
    rep.put(dir.join("README.txt"), readme(&specs).as_bytes())?;
    Ok(rep)
}

/// The starter folder's README, for the clerk who maintains it.
fn readme(specs: &[crate::config::PipelineSpec]) -> String {
    let mut s = String::from(
        "台账 taizhang 配置目录\r\n\r\n\
         本目录是 taizhang 的配置：\r\n\
         - pipelines\\  每个项目类别一个 .toml 文件（名称、目标、表头同义词、阈值、报表名称）\r\n\
         - seeds\\units.toml  填报单位及其各种写法（别名）\r\n\
         - seeds\\*-library.xlsx  各项目类别的项目库（省发改委维护），请按表头填入项目\r\n\
         - inbox\\  收件目录：每期建一个子文件夹，如 inbox\\2023-07\\，把各单位报来的台账放进去\r\n\r\n\
         项目库：\r\n",
    );
    for spec in specs {
        let lib = spec
            .library
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        s.push_str(&format!("- {}（{}）：seeds\\{lib}\r\n", spec.name, spec.id));
    }
    s.push_str(
        "\r\n使用：在本目录中运行\r\n\
         taizhang run --inbox inbox              处理收件目录中最新的一期\r\n\
         taizhang run --inbox inbox --period 2023-07\r\n\
         在别的目录运行时加 --root 本目录，或设置环境变量 TAIZHANG_ROOT=本目录。\r\n\
         报表写到 out\\项目类别\\期别\\ 下；taizhang --help 查看全部命令。\r\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_writes_a_folder_that_loads_and_keeps_existing_files() {
        let d = tempfile::tempdir().unwrap();
        let rep = init(d.path()).unwrap();
        assert!(rep.kept.is_empty());
        assert!(is_root(d.path()));
        let specs = crate::config::load_all(&d.path().join("pipelines"), d.path()).unwrap();
        assert_eq!(specs.len(), PIPELINES.len());
        let units = crate::seeds::Units::load(&d.path().join("seeds/units.toml")).unwrap();
        for spec in &specs {
            if spec.kind == crate::kinds::ProgramKind::Tasks {
                let plan = crate::kinds::tasks::plan::load(&spec.library, spec.year, &units);
                assert!(plan.unwrap().items.is_empty(), "{}", spec.id);
                continue;
            }
            let lib = crate::seeds::load_library(&spec.library, spec, &units).unwrap();
            assert!(lib.projects.is_empty(), "{}", spec.id);
        }
        std::fs::write(d.path().join("seeds/units.toml"), "# edited").unwrap();
        let again = init(d.path()).unwrap();
        assert!(again.written.is_empty());
        assert_eq!(
            std::fs::read_to_string(d.path().join("seeds/units.toml")).unwrap(),
            "# edited"
        );
        assert_eq!(find_root(Some(d.path())).unwrap(), d.path());
    }

    #[test]
    fn a_missing_root_names_what_was_tried() {
        let d = tempfile::tempdir().unwrap();
        let e = find_root(Some(&d.path().join("nowhere")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("--root") && e.contains("nowhere"), "{e}");
    }
}
