//! The `srfuzz` binary as a user meets it: a platform no firmware describes is refused with
//! exit 2, naming the file, the line and the rule.

use std::process::Command;

#[test]
fn overlapping_windows_are_refused_with_the_rule_and_line() {
    let dir = std::env::temp_dir().join(format!("srfuzz-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("overlap.scn");
    std::fs::write(
        &path,
        "[platform]\nhost-bridge 0\nwindow 0x850000000 size=128G targets=0\n\
         window 0x1850000000 size=128G targets=0\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_srfuzz"))
        .arg("run")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("overlap.scn: line 4: breaks platform rule `window-overlap`"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "nothing runs before the error");
    std::fs::remove_dir_all(&dir).unwrap();
}
