//! Archives in the inbox (issue 9, item 3): a `.zip` holding ledgers is read
//! member by member as if the ledgers had been dropped in the period folder.
//!
//! Every case copies the samples' July inbox into a temp folder, replaces or
//! adds an archive built here with the `zip` crate, runs the real binary
//! (`taizhang run --period 2023-07 --quiet`) and reads `manifest.json` of both
//! programs back: the exact per-unit figures of the loose run, each member in
//! `inputs` as `archive.zip/member.xlsx` with its own row accounting, refused
//! archives and members with their check id and a Chinese reason.
#![cfg(unix)]

use assert_cmd::Command;
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

const JULY: &str = "2023-07";
const NC_NEW: &str = "南昌市新基建项目调度表（2023年7月）.xlsx";
const NC_DIG: &str = "南昌市数字经济项目调度表（2023年7月）.xlsx";
const ZIP: &str = "南昌市2023年7月调度表.zip";
const PROGRAMS: [&str; 2] = ["new-infra", "digital-economy"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(root().join("samples/inbox").join(JULY).join(name)).unwrap()
}

/// One member: raw name bytes, whether the writer may flag it UTF-8, bytes.
struct Entry<'a> {
    name: Vec<u8>,
    data: &'a [u8],
}

fn gbk(name: &str) -> Vec<u8> {
    let (b, _, bad) = encoding_rs::GBK.encode(name);
    assert!(!bad, "{name}");
    b.into_owned()
}

/// A zip as Windows' own “压缩(zipped)文件夹” writes it: names in GBK, the
/// UTF-8 flag unset (the writer sets it only for names that are valid UTF-8).
fn zip_of(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for e in entries {
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .name(&e.name);
        w.start_file_with_options(opts).unwrap();
        w.write_all(e.data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A temp inbox holding the samples' July files but those named in `skip`.
struct Inbox {
    dir: tempfile::TempDir,
}

impl Inbox {
    fn samples_without(skip: &[&str]) -> Inbox {
        let dir = tempfile::tempdir().unwrap();
        let july = dir.path().join("inbox").join(JULY);
        std::fs::create_dir_all(&july).unwrap();
        for e in std::fs::read_dir(root().join("samples/inbox").join(JULY)).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().to_string();
            if e.path().is_file() && !skip.contains(&name.as_str()) {
                std::fs::copy(e.path(), july.join(&name)).unwrap();
            }
        }
        Inbox { dir }
    }

    fn put(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.dir.path().join("inbox").join(JULY).join(name), bytes).unwrap();
    }

    fn run(&self) -> Out {
        let out = self.dir.path().join("out");
        Command::cargo_bin("taizhang")
            .unwrap()
            .current_dir(root())
            .args(["run", "--quiet", "--period", JULY, "--inbox"])
            .arg(self.dir.path().join("inbox"))
            .arg("--out")
            .arg(&out)
            .timeout(std::time::Duration::from_secs(120))
            .assert()
            .success();
        Out { out }
    }
}

struct Out {
    out: PathBuf,
}

impl Out {
    fn manifest(&self, program: &str) -> Value {
        let p = self.out.join(program).join(JULY).join("manifest.json");
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    }

    fn input(&self, program: &str, file: &str) -> Value {
        let m = self.manifest(program);
        m["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["file"] == file)
            .cloned()
            .unwrap_or_else(|| panic!("{program}: no input {file}: {:#}", m["inputs"]))
    }

    /// Findings of a program with check `id` on `file`.
    fn findings(&self, program: &str, id: &str, file: &str) -> Vec<Value> {
        let m = self.manifest(program);
        m["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["id"] == id && f["file"] == file)
            .cloned()
            .collect()
    }

    /// `file` refused under check `id`, its reason Chinese and holding `why`.
    fn refused(&self, program: &str, file: &str, id: &str, why: &str) {
        let i = self.input(program, file);
        assert_eq!(i["status"], "rejected", "{i}");
        let error = i["error"].as_str().unwrap_or_default();
        assert!(error.contains(why), "{file}: {error}");
        let f = self.findings(program, id, file);
        assert_eq!(f.len(), 1, "{file}: {f:?}");
    }

    /// The good ledgers of the inbox were read: 南昌市 reported in both
    /// programs through the archive, and the other units' files as usual.
    fn others_read(&self) {
        for p in PROGRAMS {
            let m = self.manifest(p);
            let ok = m["inputs"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|i| i["status"] == "ok")
                .count();
            assert!(ok >= 10, "{p}: {ok} files read");
        }
    }
}

/// The samples run with every file loose (shared by the tests).
fn loose() -> &'static (Inbox, Out) {
    static LOOSE: OnceLock<(Inbox, Out)> = OnceLock::new();
    LOOSE.get_or_init(|| {
        let inbox = Inbox::samples_without(&[]);
        let out = inbox.run();
        (inbox, out)
    })
}

fn by_unit(out: &Out, program: &str) -> Value {
    out.manifest(program)["by_unit"].clone()
}

fn unit_of(m: &Value, name: &str) -> Value {
    m["by_unit"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no unit {name}: {:#}", m["by_unit"]))
}

#[test]
fn zip_with_gbk_names_in_nested_folders_reads_as_loose_files() {
    let (_, loose) = loose();
    let (new, dig) = (sample(NC_NEW), sample(NC_DIG));
    let zip = zip_of(&[
        Entry {
            name: gbk("南昌市报表/"),
            data: b"",
        },
        Entry {
            name: gbk(&format!("南昌市报表/7月/{NC_NEW}")),
            data: &new,
        },
        Entry {
            name: gbk(&format!("南昌市报表/{NC_DIG}")),
            data: &dig,
        },
        Entry {
            name: gbk("南昌市报表/7月/~$临时.xlsx"),
            data: b"x",
        },
    ]);
    // The fixture is what Windows writes: GBK bytes, no UTF-8 flag.
    let z = zip::ZipArchive::new(std::io::Cursor::new(&zip)).unwrap();
    let e = z.by_index_data(1).unwrap();
    assert_eq!(e.flags().as_u16() & 0x0800, 0);
    assert!(std::str::from_utf8(e.name_raw()).is_err());
    drop(e);

    let inbox = Inbox::samples_without(&[NC_NEW, NC_DIG]);
    inbox.put(ZIP, &zip);
    let out = inbox.run();
    out.others_read();
    let members = [
        (
            "new-infra",
            format!("{ZIP}/南昌市报表/7月/{NC_NEW}"),
            NC_NEW,
        ),
        (
            "digital-economy",
            format!("{ZIP}/南昌市报表/{NC_DIG}"),
            NC_DIG,
        ),
    ];
    for (program, member, loose_name) in &members {
        // Exactly the figures of the loose run, every unit.
        assert_eq!(
            by_unit(&out, program),
            by_unit(loose, program),
            "{program}: by_unit differs from the loose run"
        );
        assert_eq!(
            out.manifest(program)["totals"],
            loose.manifest(program)["totals"],
            "{program}: totals"
        );
        // The member listed by its path in the archive, with its own accounting.
        let i = out.input(program, member);
        let l = loose.input(program, loose_name);
        assert_eq!(i["status"], "ok", "{i}");
        for k in [
            "rows_read",
            "accepted",
            "rejected",
            "skipped",
            "unit",
            "format",
        ] {
            assert_eq!(i[k], l[k], "{program} {member}: {k}");
        }
        let accepted = i["accepted"].as_u64().unwrap();
        assert!(accepted > 0, "{i}");
        assert_eq!(
            i["rows_read"].as_u64().unwrap(),
            accepted + i["rejected"].as_u64().unwrap() + i["skipped"].as_u64().unwrap()
        );
        let m = out.manifest(program);
        // 南昌市 reported: no W402 for it, and its row as in the loose run.
        let w402: Vec<&Value> = m["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["id"] == "W402" && f["unit"] == "南昌市")
            .collect();
        assert!(w402.is_empty(), "{program}: {w402:?}");
        assert_eq!(
            unit_of(&m, "南昌市"),
            unit_of(&loose.manifest(program), "南昌市")
        );
        // The archive itself is not an input; the lock file in it is ignored.
        assert!(m["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["file"] != ZIP));
        let ignored = m["ignored"].to_string();
        assert!(
            ignored.contains(&format!("{ZIP}/南昌市报表/7月/~$临时.xlsx")),
            "{ignored}"
        );
    }

    // The archive is one inbox file, stamped as such: a run of the next
    // month finds July's inbox unchanged and does not redo it.
    let inbox_dir = inbox.dir.path().join("inbox");
    let aug = inbox_dir.join("2023-08");
    std::fs::create_dir_all(&aug).unwrap();
    std::fs::write(aug.join(ZIP), &zip).unwrap();
    let again = Command::cargo_bin("taizhang")
        .unwrap()
        .current_dir(root())
        .args(["run", "--period", "2023-08", "--inbox"])
        .arg(&inbox_dir)
        .arg("--out")
        .arg(&out.out)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success(), "{said}");
    assert!(!said.contains("重新处理"), "July redone: {said}");
}

/// A ledger with findings sent inside a zip: its feedback workbook's copy
/// shows the unit's own number formats exactly as the loose file's does (the
/// formats are captured when the member is read, not from the inbox file).
#[test]
fn zip_member_keeps_its_number_formats_in_the_feedback_copy() {
    const JA_DIG: &str = "吉安市7月份数字经济项目调度.xlsx";
    let feedback = |out: &Out| {
        out.out
            .join("digital-economy")
            .join(JULY)
            .join("feedback/吉安市-退回修改-2023-07.xlsx")
    };
    let (_, loose) = loose();
    let want = crate::feedback::copied_number_formats(&feedback(loose));
    let money = want.values().filter(|c| *c == "#,##0.00").count();
    assert!(money >= 10, "the loose copy's formats: {want:?}");

    let inbox = Inbox::samples_without(&[JA_DIG]);
    let ledger = sample(JA_DIG);
    let zip = zip_of(&[Entry {
        name: gbk(&format!("吉安/{JA_DIG}")),
        data: &ledger,
    }]);
    inbox.put("吉安市7月调度表.zip", &zip);
    let out = inbox.run();
    let i = out.input(
        "digital-economy",
        &format!("吉安市7月调度表.zip/吉安/{JA_DIG}"),
    );
    assert_eq!(i["status"], "ok", "{i}");
    assert_eq!(
        crate::feedback::copied_number_formats(&feedback(&out)),
        want
    );
}

#[test]
fn zip_bomb_and_too_many_members_refused_others_go_on() {
    // 300 MB of zeros deflates to about 300 KB: far over the budget of
    // 100 times the archive's size.
    let zeros = vec![0u8; 300 * 1024 * 1024];
    let bomb = zip_of(&[Entry {
        name: b"bomb.csv".to_vec(),
        data: &zeros,
    }]);
    drop(zeros);
    // 80 MB of zeros in a 7z of a few KB: over its floor of 64 MB.
    let bomb_7z = seven_z(&[("说明.txt", b"x"), ("bomb.csv", &vec![0u8; 80 << 20])]);
    let names: Vec<Vec<u8>> = (0..1_200)
        .map(|i| format!("{i}.csv").into_bytes())
        .collect();
    let many = zip_of(
        &names
            .iter()
            .map(|n| Entry {
                name: n.clone(),
                data: b"a,b\n",
            })
            .collect::<Vec<_>>(),
    );
    let inbox = Inbox::samples_without(&[]);
    inbox.put("炸弹.zip", &bomb);
    inbox.put("炸弹.7z", &bomb_7z);
    inbox.put("很多文件.zip", &many);
    let out = inbox.run();
    out.others_read();
    for p in PROGRAMS {
        out.refused(p, "炸弹.zip", "E001", "压缩炸弹");
        out.refused(p, "炸弹.7z", "E001", "压缩炸弹");
        out.refused(p, "很多文件.zip", "E001", "超过上限");
        assert_eq!(by_unit(&out, p), by_unit(&loose().1, p), "{p}");
    }
}

#[test]
fn path_traversal_member_refused_the_ledger_beside_it_read() {
    let new = sample(NC_NEW);
    let zip = zip_of(&[
        Entry {
            name: b"../../evil.xlsx".to_vec(),
            data: &new,
        },
        Entry {
            name: gbk(NC_NEW),
            data: &new,
        },
    ]);
    let inbox = Inbox::samples_without(&[NC_NEW]);
    inbox.put("南昌.zip", &zip);
    let out = inbox.run();
    out.others_read();
    let evil = "南昌.zip/../../evil.xlsx";
    out.refused("new-infra", evil, "E001", "压缩包以外");
    let good = out.input("new-infra", &format!("南昌.zip/{NC_NEW}"));
    assert_eq!(good["status"], "ok", "{good}");
    assert_eq!(by_unit(&out, "new-infra"), by_unit(&loose().1, "new-infra"));
}

#[test]
fn zip_without_a_ledger_says_what_it_held() {
    let zip = zip_of(&[
        Entry {
            name: gbk("说明.txt"),
            data: b"\x00\x01binary",
        },
        Entry {
            name: gbk("照片/现场.jpg"),
            data: b"\xFF\xD8\xFF\xE0 jpeg",
        },
    ]);
    let inbox = Inbox::samples_without(&[]);
    inbox.put("材料.zip", &zip);
    inbox.put("空.zip", &zip_of(&[]));
    inbox.put("项目.rar", b"Rar!\x1A\x07\x01\x00 rest");
    inbox.put("坏.7z", b"7z\xBC\xAF\x27\x1C\x00\x04 rest");
    let out = inbox.run();
    out.others_read();
    for p in PROGRAMS {
        let i = out.input(p, "材料.zip");
        assert_eq!(i["status"], "rejected", "{i}");
        let error = i["error"].as_str().unwrap();
        assert!(
            error.contains("没有电子表格文件")
                && error.contains("说明.txt")
                && error.contains("照片/现场.jpg"),
            "{error}"
        );
        assert_eq!(out.findings(p, "E003", "材料.zip").len(), 1);
        out.refused(p, "空.zip", "E003", "压缩包是空的");
        out.refused(p, "项目.rar", "E003", "解压");
        out.refused(p, "坏.7z", "E001", "压缩包损坏");
    }
}

/// A 7z as 7-Zip writes it (LZMA2, UTF-16 names).
fn seven_z(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = sevenz_rust2::ArchiveWriter::new(std::io::Cursor::new(Vec::new())).unwrap();
    for (name, data) in entries {
        if name.ends_with('/') {
            let dir = sevenz_rust2::ArchiveEntry::new_directory(name.trim_end_matches('/'));
            w.push_archive_entry::<&[u8]>(dir, None).unwrap();
        } else {
            w.push_archive_entry(sevenz_rust2::ArchiveEntry::new_file(name), Some(*data))
                .unwrap();
        }
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn seven_z_reads_as_loose_files_and_a_zip_inside_it_too() {
    let (_, loose) = loose();
    let (new, dig) = (sample(NC_NEW), sample(NC_DIG));
    // The digital-economy ledger in a zip inside the 7z (two levels).
    let inner = zip_of(&[Entry {
        name: gbk(NC_DIG),
        data: &dig,
    }]);
    let deeper = zip_of(&[Entry {
        name: b"inner.zip".to_vec(),
        data: &inner,
    }]);
    let sz = seven_z(&[
        ("南昌/", b""),
        (&format!("南昌/{NC_NEW}"), &new),
        ("南昌/数字经济.zip", &inner),
        ("三层.zip", &deeper),
    ]);
    let inbox = Inbox::samples_without(&[NC_NEW, NC_DIG]);
    inbox.put("南昌市.7z", &sz);
    let out = inbox.run();
    out.others_read();
    for p in PROGRAMS {
        assert_eq!(by_unit(&out, p), by_unit(loose, p), "{p}: by_unit");
    }
    let i = out.input("new-infra", &format!("南昌市.7z/南昌/{NC_NEW}"));
    assert_eq!(
        i["accepted"],
        loose.input("new-infra", NC_NEW)["accepted"],
        "{i}"
    );
    let i = out.input(
        "digital-economy",
        &format!("南昌市.7z/南昌/数字经济.zip/{NC_DIG}"),
    );
    assert_eq!(
        i["accepted"],
        loose.input("digital-economy", NC_DIG)["accepted"],
        "{i}"
    );
    // A third level is refused.
    out.refused(
        "new-infra",
        "南昌市.7z/三层.zip/inner.zip",
        "E001",
        "嵌套超过 2 层",
    );
}
