//! Hostile inbox contents (issue 10, items 3, 4 and 7): nothing one file — or
//! one directory entry — contains can hang or end the month-end run.
//!
//! Every case builds a temp inbox holding 南昌市's July ledger (copied from
//! the samples: 40 rows accepted) beside the hostile entry, runs the real
//! binary (`taizhang run --period 2023-07 --quiet`) under a wall-clock limit
//! (killed and failed after [`WALL`]) and an address-space limit (`ulimit -v`,
//! [`MEM_KB`]: an oversized allocation makes the process fail, not the
//! machine), and asserts exit 0, the good ledger's rows accepted and the
//! hostile entry listed in `manifest.json` — under `ignored` with its reason
//! (FIFO, device, link) or under `inputs`, refused with E001 and a Chinese
//! reason, or read when what was hostile could be made harmless in memory.
#![cfg(unix)]

use calamine::{Data, Reader};
use serde_json::Value;
use std::io::{Cursor, Read, Write};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const JULY: &str = "2023-07";
const NC: &str = "南昌市新基建项目调度表（2023年7月）.xlsx";
const GZ: &str = "赣州-新基建-202307.xlsx";
/// Rows the samples' 南昌市 and 赣州市 July ledgers have accepted.
const NC_ROWS: u64 = 40;
const GZ_ROWS: u64 = 40;

/// Wall-clock limit of one run.
const WALL: Duration = Duration::from_secs(60);
/// Address-space limit of one run (KB).
const MEM_KB: u64 = 3_000_000;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(root().join("samples/inbox").join(JULY).join(name)).unwrap()
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c))
}

// ---------------------------------------------------------------- running

/// A temp inbox whose July folder holds the 南昌市 ledger.
struct Inbox {
    dir: tempfile::TempDir,
}

impl Inbox {
    fn new() -> Inbox {
        Inbox::with_folder(JULY)
    }

    /// The ledger in a period folder of that name (`2023-7` …).
    fn with_folder(folder: &str) -> Inbox {
        let dir = tempfile::tempdir().unwrap();
        let inbox = Inbox { dir };
        std::fs::create_dir_all(inbox.root().join(folder)).unwrap();
        std::fs::write(inbox.root().join(folder).join(NC), sample(NC)).unwrap();
        inbox
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("inbox")
    }

    fn july(&self) -> PathBuf {
        self.root().join(JULY)
    }

    fn put(&self, name: &str, bytes: &[u8]) {
        let path = self.july().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    fn run(&self) -> Run {
        let out = self.dir.path().join("out");
        run_bounded(&[
            "run".as_ref(),
            "--quiet".as_ref(),
            "--inbox".as_ref(),
            self.root().as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
            "--period".as_ref(),
            JULY.as_ref(),
        ])
        .with_out(out)
    }
}

/// One run of the binary: exit code, stderr, wall time, peak resident memory.
struct Run {
    code: Option<i32>,
    stderr: String,
    secs: f64,
    peak_mb: u64,
    out: PathBuf,
}

/// Runs `taizhang ARGS` through `bash -c 'ulimit -v …; exec …'` from the
/// project root; kills it and fails the test after [`WALL`]. `HOSTILE_BIN`
/// runs another build instead (to measure an older one on the same inputs).
fn run_bounded(args: &[&std::ffi::OsStr]) -> Run {
    let bin =
        std::env::var_os("HOSTILE_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_taizhang").into());
    let started = Instant::now();
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(format!("ulimit -v {MEM_KB}; exec \"$0\" \"$@\""))
        .arg(&bin)
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = pipe.read_to_string(&mut s);
        s
    });
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Ok(s) = std::fs::read_to_string(&status_path) {
            if let Some(kb) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak_kb = peak_kb.max(kb);
            }
        }
        if started.elapsed() > WALL {
            let _ = child.kill();
            let _ = child.wait();
            panic!("taizhang {args:?} still running after {WALL:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let run = Run {
        code: status.code(),
        stderr: reader.join().unwrap(),
        secs: started.elapsed().as_secs_f64(),
        peak_mb: peak_kb / 1024,
        out: PathBuf::new(),
    };
    eprintln!(
        "taizhang run: exit {:?}, {:.2} s, peak {} MB{}",
        run.code,
        run.secs,
        run.peak_mb,
        run.stderr
            .lines()
            .last()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default()
    );
    run
}

impl Run {
    fn with_out(mut self, out: PathBuf) -> Run {
        self.out = out;
        self
    }

    fn ok(&self) -> &Run {
        assert_eq!(self.code, Some(0), "exit status; stderr:\n{}", self.stderr);
        self
    }

    fn manifest(&self, period: &str) -> Value {
        let path = self
            .out
            .join("new-infra")
            .join(period)
            .join("manifest.json");
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    fn input(&self, file: &str) -> Value {
        let m = self.manifest(JULY);
        m["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["file"] == file)
            .cloned()
            .unwrap_or_else(|| panic!("no input {file}: {}", m["inputs"]))
    }

    fn inputs(&self) -> Vec<String> {
        let m = self.manifest(JULY);
        let mut v: Vec<String> = m["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["file"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    }

    /// Reason an entry was ignored.
    fn ignored(&self, file: &str) -> String {
        let m = self.manifest(JULY);
        m["ignored"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["file"] == file)
            .and_then(|i| i["reason"].as_str())
            .map(str::to_string)
            .unwrap_or_else(|| panic!("{file} not ignored: {}", m["ignored"]))
    }

    /// The good ledger was read in full.
    fn good_ledger_read(&self) -> &Run {
        let i = self.input(NC);
        assert_eq!(i["status"], "ok", "{i}");
        assert_eq!(i["accepted"], NC_ROWS, "{i}");
        self
    }

    /// `file` refused as E001 with a Chinese reason containing `why`.
    fn refused(&self, file: &str, why: &str) -> &Run {
        let i = self.input(file);
        assert_eq!(i["status"], "rejected", "{i}");
        let error = i["error"].as_str().unwrap_or_default();
        assert!(has_cjk(error) && error.contains(why), "{file}: {error}");
        let m = self.manifest(JULY);
        let f: Vec<&Value> = m["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["file"] == file)
            .collect();
        assert_eq!(f.len(), 1, "{file}: {f:?}");
        assert_eq!(f[0]["id"], "E001", "{file}: {f:?}");
        self
    }
}

// ---------------------------------------------------------------- fixtures

/// An xlsx (or any zip) with one part's bytes replaced.
fn rezip(bytes: &[u8], part: &str, edit: impl Fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let mut src = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..src.len() {
        let mut f = src.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if name == part {
            data = edit(&data);
        }
        out.start_file(name, opts).unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// A minimal xlsx of one sheet from its `sheetData` rows and shared strings.
fn xlsx_parts(sheet_data: &str, shared: &[String]) -> Vec<u8> {
    let ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let sst: String = shared
        .iter()
        .map(|s| format!("<si><t>{s}</t></si>"))
        .collect();
    let parts: Vec<(&str, String)> = vec![
        ("[Content_Types].xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/><Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/><Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/></Types>".to_string()),
        ("_rels/.rels", format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"{rel}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>")),
        ("xl/workbook.xml", format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook xmlns=\"{ns}\" xmlns:r=\"{rel}\"><sheets><sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>")),
        ("xl/_rels/workbook.xml.rels", format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"{rel}/worksheet\" Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" Type=\"{rel}/sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>")),
        ("xl/worksheets/sheet1.xml", format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet xmlns=\"{ns}\"><sheetData>{sheet_data}</sheetData></worksheet>")),
        ("xl/sharedStrings.xml", format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><sst xmlns=\"{ns}\" count=\"{0}\" uniqueCount=\"{0}\">{sst}</sst>", shared.len())),
    ];
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in parts {
        z.start_file(name, opts).unwrap();
        z.write_all(text.as_bytes()).unwrap();
    }
    z.finish().unwrap().into_inner()
}

const FREE: u32 = 0xFFFF_FFFF;
const END: u32 = 0xFFFF_FFFE;
const FAT_SECT: u32 = 0xFFFF_FFFD;

/// A compound file of 512-byte sectors written byte by byte: sector 0 the
/// FAT (`fat`, padded with free entries), sector 1 the directory (`dirs`:
/// name, type, start sector, size), then `data` zero-filled sectors.
fn raw_cfb(fat: &[u32], dirs: &[(&str, u8, u32, u32)], data: usize) -> Vec<u8> {
    let mut b = vec![0u8; 512];
    b[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    b[0x18..0x1A].copy_from_slice(&0x3Eu16.to_le_bytes());
    b[0x1A..0x1C].copy_from_slice(&3u16.to_le_bytes());
    b[0x1C..0x1E].copy_from_slice(&0xFFFEu16.to_le_bytes());
    b[0x1E..0x20].copy_from_slice(&9u16.to_le_bytes());
    b[0x20..0x22].copy_from_slice(&6u16.to_le_bytes());
    b[0x2C..0x30].copy_from_slice(&1u32.to_le_bytes());
    b[0x30..0x34].copy_from_slice(&1u32.to_le_bytes());
    b[0x38..0x3C].copy_from_slice(&4096u32.to_le_bytes());
    b[0x3C..0x40].copy_from_slice(&END.to_le_bytes());
    b[0x44..0x48].copy_from_slice(&END.to_le_bytes());
    for i in 0..109 {
        let v: u32 = if i == 0 { 0 } else { FREE };
        b[0x4C + 4 * i..0x50 + 4 * i].copy_from_slice(&v.to_le_bytes());
    }
    let mut sector = vec![FREE; 128];
    sector[..fat.len()].copy_from_slice(fat);
    b.extend(sector.iter().flat_map(|x| x.to_le_bytes()));
    let mut dir = vec![0u8; 512];
    for (i, (name, typ, start, size)) in dirs.iter().enumerate() {
        let e = &mut dir[i * 128..(i + 1) * 128];
        let n: Vec<u8> = name
            .encode_utf16()
            .chain([0])
            .flat_map(|u| u.to_le_bytes())
            .collect();
        e[..n.len()].copy_from_slice(&n);
        e[64..66].copy_from_slice(&(n.len() as u16).to_le_bytes());
        e[66] = *typ;
        e[67] = 1;
        e[68..80].copy_from_slice(&[0xFF; 12]);
        e[116..120].copy_from_slice(&start.to_le_bytes());
        e[120..124].copy_from_slice(&size.to_le_bytes());
    }
    // The root's child: the first stream.
    if dirs.len() > 1 {
        dir[76..80].copy_from_slice(&1u32.to_le_bytes());
    }
    b.extend(dir);
    b.extend(vec![0u8; 512 * data]);
    b
}

fn rec(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
    out.extend(typ.to_le_bytes());
    out.extend((data.len() as u16).to_le_bytes());
    out.extend(data);
}

fn gbk(t: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(t).0.into_owned()
}

/// A BIFF5 `Label` (row, column, 8-bit GBK text) declaring `cch` characters.
fn label(out: &mut Vec<u8>, r: u16, c: u16, text: &[u8], cch: u16) {
    let mut d: Vec<u8> = [r, c, 0, cch]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    d.extend(text);
    rec(out, 0x0204, &d);
}

/// The 赣州市 sample ledger as an xls (BIFF5, GBK text, its merges), with
/// `extra` records appended to its sheet and `second` (records) as a second
/// sheet when given.
fn gz_xls(extra: &[u8], second: Option<&[u8]>) -> Vec<u8> {
    let mut wb: calamine::Xlsx<_> = calamine::Xlsx::new(Cursor::new(sample(GZ))).unwrap();
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).unwrap();
    let merges = wb.merge_cells_by_sheet_name(&name).unwrap();
    let bof = |dt: u16| -> Vec<u8> {
        [0x0500u16, dt, 0x0DBB, 0x07CC]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect()
    };
    let mut sheet = Vec::new();
    rec(&mut sheet, 0x0809, &bof(0x0010));
    for (r, c, v) in range.used_cells() {
        let (r, c) = (r as u16, c as u16);
        let number = match v {
            Data::Float(f) => Some(*f),
            Data::Int(i) => Some(*i as f64),
            Data::DateTime(d) => Some(d.as_f64()),
            _ => None,
        };
        match number {
            Some(x) => {
                let mut d: Vec<u8> = [r, c, 0].iter().flat_map(|x| x.to_le_bytes()).collect();
                d.extend(x.to_le_bytes());
                rec(&mut sheet, 0x0203, &d);
            }
            None => {
                let t = gbk(&v.to_string());
                label(&mut sheet, r, c, &t, t.len() as u16);
            }
        }
    }
    let mut m: Vec<u8> = (merges.len() as u16).to_le_bytes().to_vec();
    for d in &merges {
        for x in [d.start.0, d.end.0, d.start.1, d.end.1] {
            m.extend((x as u16).to_le_bytes());
        }
    }
    rec(&mut sheet, 0x00E5, &m);
    sheet.extend(extra);
    rec(&mut sheet, 0x000A, &[]);
    let mut sheets = vec![(name, sheet)];
    if let Some(records) = second {
        let mut s = Vec::new();
        rec(&mut s, 0x0809, &bof(0x0010));
        s.extend(records);
        rec(&mut s, 0x000A, &[]);
        sheets.push(("填报说明".to_string(), s));
    }
    // Globals: BOF, CODEPAGE 936, one BOUNDSHEET per sheet, EOF; then the sheets.
    let names: Vec<Vec<u8>> = sheets.iter().map(|(n, _)| gbk(n)).collect();
    let globals_len = 4 + 8 + 4 + 2 + names.iter().map(|n| 4 + 7 + n.len()).sum::<usize>() + 4;
    let mut book = Vec::new();
    rec(&mut book, 0x0809, &bof(0x0005));
    rec(&mut book, 0x0042, &936u16.to_le_bytes());
    let mut at = globals_len;
    for ((_, body), n) in sheets.iter().zip(&names) {
        let mut bs = (at as u32).to_le_bytes().to_vec();
        bs.extend([0, 0, n.len() as u8]);
        bs.extend(n);
        rec(&mut book, 0x0085, &bs);
        at += body.len();
    }
    rec(&mut book, 0x000A, &[]);
    assert_eq!(book.len(), globals_len);
    for (_, body) in &sheets {
        book.extend(body);
    }
    let mut cf =
        cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new())).unwrap();
    cf.create_stream("/Book").unwrap().write_all(&book).unwrap();
    cf.flush().unwrap();
    cf.into_inner().into_inner()
}

// ================================================================ inbox entries

#[test]
fn hostile_fifo_named_xlsx_is_listed_not_opened() {
    let inbox = Inbox::new();
    let fifo = inbox.july().join("y.xlsx");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let run = inbox.run();
    run.ok().good_ledger_read();
    assert!(
        run.ignored("y.xlsx").contains("命名管道"),
        "{}",
        run.ignored("y.xlsx")
    );
    assert_eq!(run.inputs(), vec![NC.to_string()]);
}

#[test]
fn hostile_link_loops_are_visited_once() {
    for loops in [&["loop"][..], &["loop", "loop2"], &["sub/up"]] {
        let inbox = Inbox::new();
        std::fs::create_dir_all(inbox.july().join("sub")).unwrap();
        for l in loops {
            let target = if l.starts_with("sub/") { ".." } else { "." };
            symlink(target, inbox.july().join(l)).unwrap();
        }
        let run = inbox.run();
        // Read once: no second copy of the ledger, no duplicate rows.
        run.ok().good_ledger_read();
        assert_eq!(run.inputs(), vec![NC.to_string()], "{loops:?}");
        let m = run.manifest(JULY);
        assert!(
            m["findings"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["id"] != "W008"),
            "{loops:?}: {}",
            m["findings"]
        );
        for l in loops {
            let why = run.ignored(l);
            assert!(
                why.contains("链接") && why.contains("未重复读取"),
                "{l}: {why}"
            );
        }
        assert!(run.secs < 20.0, "{loops:?}: {} s", run.secs);
    }
}

#[test]
fn hostile_links_out_of_the_period_folder_are_not_followed() {
    let inbox = Inbox::new();
    let outside = inbox.dir.path().join("elsewhere");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join(GZ), sample(GZ)).unwrap();
    symlink("/dev/zero", inbox.july().join("x.xlsx")).unwrap();
    symlink(outside.join(GZ), inbox.july().join(GZ)).unwrap();
    symlink(&outside, inbox.july().join("外部文件夹")).unwrap();
    symlink(
        inbox.july().join("missing.xlsx"),
        inbox.july().join("断开.xlsx"),
    )
    .unwrap();
    let run = inbox.run();
    run.ok().good_ledger_read();
    assert_eq!(run.inputs(), vec![NC.to_string()]);
    for name in ["x.xlsx", GZ, "外部文件夹"] {
        let why = run.ignored(name);
        assert!(
            why.contains("符号链接") && why.contains("本期文件夹以外"),
            "{name}: {why}"
        );
    }
    assert!(run.ignored("x.xlsx").contains("/dev/zero"));
    assert!(run.ignored("断开.xlsx").contains("无法解析"));
    assert!(run.peak_mb < 500, "{} MB", run.peak_mb);
}

#[test]
fn hostile_second_link_to_a_ledger_inside_is_read_once() {
    let inbox = Inbox::new();
    inbox.put(&format!("sub/{GZ}"), &sample(GZ));
    symlink(format!("sub/{GZ}"), inbox.july().join("link.xlsx")).unwrap();
    let run = inbox.run();
    run.ok().good_ledger_read();
    // Names in order: `link.xlsx` (the link) comes before `sub/…`, so it is read.
    assert_eq!(run.inputs(), vec!["link.xlsx".to_string(), NC.to_string()]);
    assert_eq!(run.input("link.xlsx")["accepted"], GZ_ROWS);
    let why = run.ignored(&format!("sub/{GZ}"));
    assert!(
        why.contains("同一个文件") && why.contains("link.xlsx"),
        "{why}"
    );
}

// ================================================================ period folders

#[test]
fn hostile_period_folder_2023_7_is_july() {
    let inbox = Inbox::with_folder("2023-7");
    let run = inbox.run();
    run.ok().good_ledger_read();
    // And a `2023-6` beside `2023-07` is June, processed first from that folder.
    let inbox = Inbox::new();
    std::fs::create_dir_all(inbox.root().join("2023-6")).unwrap();
    std::fs::write(inbox.root().join("2023-6").join(GZ), sample(GZ)).unwrap();
    let run = inbox.run();
    run.ok().good_ledger_read();
    let june = run.manifest("2023-06");
    assert!(
        june["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["file"] == GZ),
        "{}",
        june["inputs"]
    );
}

#[test]
fn hostile_two_folders_of_one_period_are_refused_naming_both() {
    let inbox = Inbox::new();
    std::fs::create_dir_all(inbox.root().join("2023-7")).unwrap();
    std::fs::write(inbox.root().join("2023-7").join(GZ), sample(GZ)).unwrap();
    let run = inbox.run();
    assert_ne!(run.code, Some(0), "{}", run.stderr);
    assert!(run.code.is_some(), "killed by a signal: {}", run.stderr);
    for folder in ["2023-07", "2023-7"] {
        assert!(
            run.stderr
                .contains(&format!("{}”", inbox.root().join(folder).display())),
            "{folder}: {}",
            run.stderr
        );
    }
    assert!(has_cjk(&run.stderr), "{}", run.stderr);
}

// ================================================================ xlsx

#[test]
fn hostile_xlsx_unique_count_4294967295_is_read_without_reserving_it() {
    let inbox = Inbox::new();
    let bytes = rezip(&sample(GZ), "xl/sharedStrings.xml", |xml| {
        let text = String::from_utf8(xml.to_vec()).unwrap();
        let at = text.find("uniqueCount=\"").unwrap() + "uniqueCount=\"".len();
        let end = at + text[at..].find('"').unwrap();
        format!("{}4294967295{}", &text[..at], &text[end..]).into_bytes()
    });
    assert!(bytes.len() < 20_000, "{}", bytes.len());
    inbox.put(GZ, &bytes);
    let run = inbox.run();
    // The count is dropped from an in-memory copy; the strings are all there.
    run.ok().good_ledger_read();
    let i = run.input(GZ);
    assert_eq!(
        (i["status"].as_str(), i["accepted"].as_u64()),
        (Some("ok"), Some(GZ_ROWS)),
        "{i}"
    );
    assert!(run.peak_mb < 500, "{} MB", run.peak_mb);
}

#[test]
fn hostile_xlsx_shared_string_copied_into_every_cell_is_refused() {
    // One 1 MB shared string used by 100,000 cells: 100 GB if each cell
    // gets its own copy; a few KB on disk.
    let big = "甲".repeat(350_000);
    let row: String = "<c t=\"s\"><v>0</v></c>".repeat(500);
    let data: String = (1..=200)
        .map(|r| format!("<row r=\"{r}\">{row}</row>"))
        .collect();
    let bytes = xlsx_parts(&data, &[big]);
    assert!(bytes.len() < 100_000, "{}", bytes.len());
    let inbox = Inbox::new();
    inbox.put("共享字符串.xlsx", &bytes);
    let run = inbox.run();
    run.ok()
        .good_ledger_read()
        .refused("共享字符串.xlsx", "单元格文字");
    assert!(run.peak_mb < 1000, "{} MB", run.peak_mb);
}

#[test]
fn hostile_xlsx_cells_at_the_far_corner_cost_no_grid() {
    // A1 and XFD1048576: a 17-billion-cell bounding box.
    let data = "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row><row r=\"1048576\"><c r=\"XFD1048576\"><v>1</v></c></row>";
    let inbox = Inbox::new();
    inbox.put("角落.xlsx", &xlsx_parts(data, &["说明".to_string()]));
    let run = inbox.run();
    run.ok().good_ledger_read();
    // Read (it is no ledger: W009), not refused, and cheaply.
    let i = run.input("角落.xlsx");
    assert!(
        !i["error"].as_str().unwrap_or_default().contains("过大"),
        "{i}"
    );
    assert!(run.peak_mb < 500, "{} MB", run.peak_mb);
}

// ================================================================ xls

#[test]
fn hostile_xls_looping_chain_declaring_4_gb_is_refused() {
    // 34 KB: the Workbook stream starts at sector 2, runs through sector 65
    // and loops back to 2, and declares 0xF0000000 bytes.
    let mut fat = vec![FAT_SECT, END];
    fat.extend((3..=65).map(|s| s as u32));
    fat.push(2);
    let dirs = [("Root Entry", 5, END, 0), ("Workbook", 2, 2, 0xF000_0000)];
    let looping = raw_cfb(&fat, &dirs, 65);
    assert_eq!(looping.len(), 34 * 1024);
    // The directory chain looping on itself (calamine reads it with no limit).
    let dir_loop = raw_cfb(
        &[FAT_SECT, 1],
        &[("Root Entry", 5, END, 0), ("Workbook", 2, END, 0)],
        0,
    );
    // A stream chain looping inside a size the file could hold.
    let mut fat = vec![FAT_SECT, END];
    fat.extend((3..=20).map(|s| s as u32));
    fat.push(2);
    let small_loop = raw_cfb(
        &fat,
        &[("Root Entry", 5, END, 0), ("Workbook", 2, 2, 30_000)],
        64,
    );
    let inbox = Inbox::new();
    inbox.put("九江市新基建.xls", &looping);
    inbox.put("上饶市新基建.xls", &dir_loop);
    inbox.put("吉安市新基建.xls", &small_loop);
    let run = inbox.run();
    run.ok()
        .good_ledger_read()
        .refused("九江市新基建.xls", "复合文档")
        .refused("上饶市新基建.xls", "目录扇区链成环")
        .refused("吉安市新基建.xls", "扇区链成环");
    assert!(run.peak_mb < 500, "{} MB", run.peak_mb);
}

#[test]
fn hostile_xls_declared_counts_are_not_reserved() {
    // The 赣州市 ledger as an xls, with a DIMENSIONS record declaring 4 billion
    // rows × 256 columns (calamine reserves rows × columns cells up front),
    // and a second sheet of 60,000 labels each declaring 65,535 characters
    // while holding 2 (calamine reserves the declared count for every cell).
    let mut dims = Vec::new();
    let mut d = vec![0u8; 14];
    d[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    d[10..12].copy_from_slice(&256u16.to_le_bytes());
    rec(&mut dims, 0x0200, &d);
    let mut labels = Vec::new();
    for r in 0..60_000u32 {
        label(&mut labels, r as u16, 0, &gbk("说明"), u16::MAX);
    }
    let bytes = gz_xls(&dims, Some(&labels));
    let inbox = Inbox::new();
    inbox.put("赣州-新基建-202307.xls", &bytes);
    let run = inbox.run();
    run.ok().good_ledger_read();
    let i = run.input("赣州-新基建-202307.xls");
    assert_eq!(
        (i["status"].as_str(), i["accepted"].as_u64()),
        (Some("ok"), Some(GZ_ROWS)),
        "{i}"
    );
    assert!(run.peak_mb < 1000, "{} MB", run.peak_mb);
}

// ================================================================ ods

/// An ODS of one table `台账` from its rows' XML.
fn ods(rows: &str) -> Vec<u8> {
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" office:version=\"1.2\"><office:body><office:spreadsheet><table:table table:name=\"台账\">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"
    );
    let manifest = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.2\"><manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/><manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/></manifest:manifest>";
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    z.start_file("mimetype", stored).unwrap();
    z.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    for (name, text) in [
        ("content.xml", content.as_str()),
        ("META-INF/manifest.xml", manifest),
    ] {
        z.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(text.as_bytes()).unwrap();
    }
    z.finish().unwrap().into_inner()
}

#[test]
fn hostile_ods_repeats_are_refused() {
    // A 1 KB string cell repeated across 16,384 columns, that row repeated
    // 1,000 times: 16 GB of copies from a file of 600 bytes.
    let repeated = ods(&format!(
        "<table:table-row table:number-rows-repeated=\"1000\"><table:table-cell office:value-type=\"string\" office:string-value=\"{}\" table:number-columns-repeated=\"16384\"/></table:table-row>",
        "x".repeat(1024)
    ));
    // `<text:s text:c="2000000000"/>`: two billion spaces in one cell.
    let spaces = ods("<table:table-row><table:table-cell office:value-type=\"string\"><text:p>尾<text:s text:c=\"2000000000\"/></text:p></table:table-cell></table:table-row>");
    let inbox = Inbox::new();
    inbox.put("重复.ods", &repeated);
    inbox.put("空格.ods", &spaces);
    let run = inbox.run();
    run.ok()
        .good_ledger_read()
        .refused("重复.ods", "远超此文件大小")
        .refused("空格.ods", "远超此文件大小");
    assert!(run.peak_mb < 500, "{} MB", run.peak_mb);
}

// ================================================================ csv

/// `mb` MB of CSV lines from `line(i)`.
fn csv_file(path: &Path, mb: usize, line: impl Fn(usize) -> String) -> usize {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let (mut size, mut i) = (0, 0);
    while size < mb << 20 {
        let l = line(i);
        w.write_all(l.as_bytes()).unwrap();
        size += l.len();
        i += 1;
    }
    w.flush().unwrap();
    i
}

#[test]
fn hostile_big_csv_is_read_in_linear_time_and_bounded_memory() {
    // 40 MB of one-digit fields: 2 million rows, beyond any spreadsheet —
    // refused after one counting pass, before a cell is allocated.
    let inbox = Inbox::new();
    let rows = csv_file(
        &inbox.july().join("九江市新基建项目.csv"),
        40,
        |_| "1,2,3,4,5,6,7,8,9,10\n".to_string(),
    );
    assert!(rows > 1_048_576);
    let run = inbox.run();
    run.ok()
        .good_ledger_read()
        .refused("九江市新基建项目.csv", "行列上限");
    assert!(run.peak_mb < 400, "{} MB", run.peak_mb);
    // A table that fits is read: 6 MB and 24 MB of an export log (no
    // program's ledger: listed as W009). Time and memory grow linearly.
    let line = |i: usize| {
        format!(
            "2023-07-{:02} {:02}:{:02}:00,host-{},INFO,请求处理完成 编号{i} 耗时{}ms\n",
            1 + i % 28,
            i % 24,
            i % 60,
            i % 97,
            i % 1000
        )
    };
    let mut measured = Vec::new();
    for mb in [6, 24] {
        let inbox = Inbox::new();
        csv_file(&inbox.july().join("服务器导出记录.csv"), mb, line);
        let run = inbox.run();
        run.ok().good_ledger_read();
        let i = run.input("服务器导出记录.csv");
        assert!(
            i["error"].as_str().unwrap_or_default().contains("无法判断"),
            "{i}"
        );
        assert!(
            run.peak_mb < 100 + 12 * mb as u64,
            "{mb} MB of CSV: peak {} MB",
            run.peak_mb
        );
        measured.push(run.secs);
    }
    let (small, large) = (measured[0], measured[1]);
    assert!(
        large < 8.0 * small + 2.0,
        "4× the CSV took {large:.2} s against {small:.2} s"
    );
}
