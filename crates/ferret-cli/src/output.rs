//! Where a command may write: the one rule every command goes through.
//!
//! An output (results folder, decryption destination, key file, demo folder) is never an input
//! or inside one (the acquisition, indicator files or folders, a results folder being
//! re-checked), compared after resolving symlinks and `..`; and an input is never inside a
//! decryption destination that `--force` could write over. Results folders are then created by
//! [`ferret_report::ResultsFolder`], which refuses a folder holding anything but an earlier
//! ferret run (replaced only with `--force`) and locks it for the run.

use std::path::{Component, Path, PathBuf};

use anyhow::bail;
use ferret_report::{FolderOptions, ResultsFolder};

/// `path` made absolute with symlinks resolved, also when (the end of) it does not exist yet:
/// the deepest existing ancestor is canonicalized and the rest appended (`.` dropped, `..`
/// applied).
pub fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let abs = std::path::absolute(path)?;
    let mut existing = abs.as_path();
    let mut rest: Vec<Component<'_>> = Vec::new();
    loop {
        match std::fs::canonicalize(existing) {
            Ok(mut base) => {
                for c in rest.iter().rev() {
                    match c {
                        Component::ParentDir => {
                            base.pop();
                        }
                        Component::CurDir => {}
                        other => base.push(other.as_os_str()),
                    }
                }
                return Ok(base);
            }
            Err(_) => {
                let Some(parent) = existing.parent() else { return Ok(abs) };
                if let Some(last) = existing.components().next_back() {
                    rest.push(last);
                }
                existing = parent;
            }
        }
    }
}

/// Refuses `output` when it is one of `inputs` or inside one (after resolving symlinks).
pub fn refuse_inside_inputs(output: &Path, what: &str, inputs: &[&Path]) -> anyhow::Result<()> {
    let out = resolve(output)?;
    for input in inputs {
        let Ok(inp) = resolve(input) else { continue };
        if out.starts_with(&inp) {
            bail!(
                "{what} {} is inside the input {}: ferret never writes into evidence or indicator files; choose a folder outside it",
                output.display(),
                input.display()
            );
        }
    }
    Ok(())
}

/// Refuses a destination that contains one of `inputs` (so `--force` could write over it).
pub fn refuse_containing_inputs(output: &Path, what: &str, inputs: &[&Path]) -> anyhow::Result<()> {
    let out = resolve(output)?;
    for input in inputs {
        let Ok(inp) = resolve(input) else { continue };
        if inp.starts_with(&out) {
            bail!("{what} {} contains the input {}: choose a folder outside it", output.display(), input.display());
        }
    }
    Ok(())
}

/// Creates (and locks) a results folder that is not inside any input; its report is written in
/// `lang` (`--lang`, else the locale's).
pub fn results_folder(
    dir: &Path,
    inputs: &[&Path],
    force: bool,
    lang: Option<ferret_report::Lang>,
) -> anyhow::Result<ResultsFolder> {
    refuse_inside_inputs(dir, "the results folder", inputs)?;
    let lang = lang.unwrap_or_else(ferret_report::Lang::from_locale_env);
    Ok(ResultsFolder::create_with(dir, FolderOptions { force, lang, ..FolderOptions::default() })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_after_links_and_dots() {
        let d = tempfile::tempdir().expect("tmp");
        let ev = d.path().join("evidence");
        std::fs::create_dir(&ev).expect("mkdir");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&ev, d.path().join("link")).expect("link");
        let inputs: &[&Path] = &[&ev];
        assert!(refuse_inside_inputs(&ev.join("results"), "x", inputs).is_err());
        assert!(refuse_inside_inputs(&ev, "x", inputs).is_err(), "the input itself");
        assert!(refuse_inside_inputs(&d.path().join("link/a/b"), "x", inputs).is_err(), "through a symlink");
        assert!(refuse_inside_inputs(&d.path().join("other/../evidence/r"), "x", inputs).is_err(), "through ..");
        assert!(refuse_inside_inputs(&d.path().join("evidence-results"), "x", inputs).is_ok(), "a sibling");
        assert!(refuse_inside_inputs(&d.path().join("results"), "x", inputs).is_ok());
        assert!(refuse_containing_inputs(d.path(), "x", inputs).is_err());
        assert!(refuse_containing_inputs(&d.path().join("out"), "x", inputs).is_ok());
        assert_eq!(resolve(&d.path().join("a/./b/../c")).expect("resolve"), resolve(d.path()).expect("r").join("a/c"));
    }
}
