use super::*;
use crate::model::tasks::{TaskRecord, TaskState};
use crate::model::{
    Finding, Fingerprint, InboxStamp, LibraryStamp, Nature, ProjectRecord, Severity, Status,
    StoredInput,
};

fn period(s: &str) -> Period {
    Period::parse_period(s).unwrap()
}

fn empty(program: &str, p: &str) -> StoredPeriod {
    StoredPeriod {
        program: program.into(),
        period: p.into(),
        tool_version: "t".into(),
        written_at: "w".into(),
        inputs: vec![],
        inbox: vec![],
        fingerprint: None,
        outputs: vec![],
        library: None,
        library_rows: Vec::new(),
        records: vec![],
        tasks: Vec::new(),
        findings: vec![],
    }
}

fn row(code: &str, annual: i64) -> LibraryRow {
    LibraryRow {
        code: code.into(),
        name: format!("项目{code}"),
        batch: String::new(),
        unit_id: "360100".into(),
        unit: "南昌市".into(),
        county: String::new(),
        category: "类别一".into(),
        owner: String::new(),
        nature: Nature::New,
        years: String::new(),
        total: 1_000,
        annual,
        start: Some("2023-05".into()),
        end_year: None,
    }
}

/// A record with every field set (no default value anywhere).
fn full_record() -> ProjectRecord {
    ProjectRecord {
        code: "2023-360100-64-03-000001".into(),
        name: "项目甲".into(),
        unit_id: "360100".into(),
        unit: "南昌市".into(),
        county: "东湖区".into(),
        category: "类别一".into(),
        group: "第一组".into(),
        nature: Nature::Continuing,
        total_investment: 123_456_789,
        annual_plan: -5,
        planned_start: Some("2023-02".into()),
        reported: true,
        carried: true,
        month_done: 7,
        ytd_done: 8,
        since_start_done: Some(9),
        status: Status::UnderConstruction,
        start_date: Some("2023-03".into()),
        progress: "主体施工".into(),
        problems: "资金".into(),
        coordination: "用地".into(),
        source: "a.xlsx!7月!5".into(),
        rejected: true,
    }
}

/// A record with every field that may be absent at its default.
fn bare_record() -> ProjectRecord {
    ProjectRecord {
        code: "2023-360100-64-03-000002".into(),
        name: String::new(),
        unit_id: String::new(),
        unit: String::new(),
        county: String::new(),
        category: String::new(),
        group: String::new(),
        nature: Nature::New,
        total_investment: 0,
        annual_plan: 0,
        planned_start: None,
        reported: false,
        carried: false,
        month_done: 0,
        ytd_done: 0,
        since_start_done: Some(0),
        status: Status::NotStarted,
        start_date: None,
        progress: String::new(),
        problems: String::new(),
        coordination: String::new(),
        source: String::new(),
        rejected: false,
    }
}

fn full_task() -> TaskRecord {
    TaskRecord {
        no: 3,
        group: "专项一".into(),
        item: "推进某事".into(),
        unit_id: "360100".into(),
        unit: "南昌市".into(),
        lead: true,
        due: "2023-06".into(),
        reported: true,
        carried: true,
        state: Some(TaskState::Lagging),
        done_on: Some("2023-05".into()),
        progress: "进行中".into(),
        problems: "无".into(),
        overdue: true,
        source: "b.xlsx!1!3".into(),
        rejected: true,
    }
}

fn bare_task() -> TaskRecord {
    TaskRecord {
        no: 0,
        group: String::new(),
        item: String::new(),
        unit_id: String::new(),
        unit: String::new(),
        lead: false,
        due: String::new(),
        reported: false,
        carried: false,
        state: None,
        done_on: None,
        progress: String::new(),
        problems: String::new(),
        overdue: false,
        source: String::new(),
        rejected: false,
    }
}

fn finding(message: &str, help: &str) -> Finding {
    Finding {
        id: "E301".into(),
        severity: Severity::Error,
        file: "a.xlsx".into(),
        sheet: "7月".into(),
        cell: "J68".into(),
        project_code: "2023-1".into(),
        unit: "吉安市".into(),
        message: message.into(),
        value: "4,875.26".into(),
        expected: "≥ 5,416.95".into(),
        help: help.into(),
        waived: true,
    }
}

/// Findings whose help the message carries, does not carry, carries twice
/// over, and one with every text empty.
fn findings() -> Vec<Finding> {
    let bare = Finding {
        id: "W401".into(),
        severity: Severity::Warning,
        file: String::new(),
        sheet: String::new(),
        cell: String::new(),
        project_code: String::new(),
        unit: String::new(),
        message: String::new(),
        value: String::new(),
        expected: String::new(),
        help: String::new(),
        waived: false,
    };
    vec![
        finding(
            "【E301 累计完成投资低于上月】……。处理：请核对。",
            "请核对。",
        ),
        finding("【E301】没有处理说明。", "请核对。"),
        finding("……处理：先这样。处理：再那样。", "再那样。"),
        finding("……处理：先这样。处理：再那样。", "先这样。处理：再那样。"),
        finding("处理：", ""),
        finding("没有标记", ""),
        bare,
    ]
}

fn full_entry() -> StoredPeriod {
    let mut sp = empty("x", "2023-07");
    sp.inputs = vec![StoredInput {
        file: "a.xlsx".into(),
        sha256: "ab".into(),
    }];
    sp.inbox = vec![InboxStamp {
        file: "a.xlsx".into(),
        size: 3,
        sha256: "ab".into(),
    }];
    sp.fingerprint = Some(Fingerprint {
        pipeline: "p".into(),
        library: "l".into(),
        units: "u".into(),
        waivers: String::new(),
    });
    sp.outputs = vec![StoredInput {
        file: "manifest.json".into(),
        sha256: String::new(),
    }];
    sp.library = Some(LibraryStamp {
        file: "seeds/x.xlsx".into(),
        sha256: "l".into(),
        from: Some("2023-07".into()),
    });
    sp.library_rows = vec![row("A", 1), row("B", 2)];
    sp.records = vec![full_record(), bare_record()];
    sp.tasks = vec![full_task(), bare_task()];
    sp.findings = findings();
    sp
}

fn assert_same(a: &StoredPeriod, b: &StoredPeriod) {
    assert_eq!(
        serde_json::to_value(a).unwrap(),
        serde_json::to_value(b).unwrap()
    );
    assert_eq!(a.records, b.records);
    assert_eq!(a.tasks, b.tasks);
    assert_eq!(a.findings, b.findings);
    assert_eq!(a.library_rows, b.library_rows);
}

#[test]
fn json_lines_layout_round_trips() {
    let v = serde_json::json!({
        "a": 1,
        "list": [{"k": [1, 2], "s": "x"}, {"k": [], "s": "y"}],
        "empty": [],
        "obj": {"p": {"q": 1}}
    });
    let bytes = to_json_lines(&v).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(
        text,
        "{\n  \"a\": 1,\n  \"empty\": [],\n  \"list\": [\n    {\"k\":[1,2],\"s\":\"x\"},\n    {\"k\":[],\"s\":\"y\"}\n  ],\n  \"obj\": {\n    \"p\": {\"q\":1}\n  }\n}\n"
    );
    let back: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(back, v);
}

#[test]
fn every_field_set_and_every_default_come_back_equal() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let sp = full_entry();
    store.save(&sp).unwrap();
    let back = store.load("x", period("2023-07")).unwrap().unwrap();
    assert_same(&sp, &back);
    // Read straight from the file as one document, too (auditors' tools).
    let text = std::fs::read_to_string(dir.path().join("x/2023-07.json")).unwrap();
    let direct: StoredPeriod = serde_json::from_str(&text).unwrap();
    assert_eq!(direct.records, sp.records);
    assert_eq!(direct.tasks, sp.tasks);
    assert_eq!(direct.findings, sp.findings);
}

#[test]
fn defaults_and_a_help_the_message_carries_are_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    store.save(&full_entry()).unwrap();
    let text = std::fs::read_to_string(dir.path().join("x/2023-07.json")).unwrap();
    let line = |start: &str| {
        text.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("{start} in {text}"))
            .to_string()
    };
    assert_eq!(
        line("    {\"code\":\"2023-360100-64-03-000002\""),
        "    {\"code\":\"2023-360100-64-03-000002\",\"nature\":\"新开工\",\"since_start_done\":0,\"status\":\"未开工\"}"
    );
    assert_eq!(line("    {\"no\":0"), "    {\"no\":0}");
    assert_eq!(
        line("    {\"id\":\"W401\""),
        "    {\"id\":\"W401\",\"severity\":\"warning\",\"message\":\"\"}"
    );
    let carried = line("    {\"id\":\"E301\",\"severity\":\"error\",\"file\":\"a.xlsx\",\"sheet\":\"7月\",\"cell\":\"J68\",\"project_code\":\"2023-1\",\"unit\":\"吉安市\",\"message\":\"【E301 累计");
    assert!(!carried.contains("\"help\""), "{carried}");
    assert!(carried.ends_with("\"waived\":true},"), "{carried}");
    // No library rows in the entry: it names their snapshot.
    assert!(!text.contains("\"library_rows\""));
    let sha = snapshot_sha(&full_entry().library_rows);
    assert!(text.contains(&format!("  \"library_snapshot\": \"{sha}\",\n")));
}

#[test]
fn same_entry_same_bytes_and_no_temp_file_left() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let read = || {
        (
            std::fs::read(dir.path().join("x/2023-07.json")).unwrap(),
            std::fs::read_dir(dir.path().join("x/library"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .collect::<Vec<_>>(),
        )
    };
    store.save(&full_entry()).unwrap();
    let first = read();
    store.save(&full_entry()).unwrap();
    assert_eq!(read(), first);
    let sha = snapshot_sha(&full_entry().library_rows);
    assert_eq!(first.1, vec![format!("{sha}.json")]);
    let bytes = std::fs::read(store.snapshot_path("x", &sha)).unwrap();
    assert_eq!(
        format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&bytes)),
        sha,
        "named by its content"
    );
}

#[test]
fn a_library_version_is_kept_once_and_dropped_when_no_entry_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let (v1, v2) = (vec![row("A", 1)], vec![row("A", 2)]);
    for p in ["2023-05", "2023-06"] {
        let mut sp = empty("x", p);
        sp.library = Some(LibraryStamp::default());
        sp.library_rows = v1.clone();
        store.save(&sp).unwrap();
    }
    let snapshots = || {
        std::fs::read_dir(dir.path().join("x/library"))
            .unwrap()
            .count()
    };
    assert_eq!(snapshots(), 1);
    assert!(store
        .kept_same_library("x", period("2023-06"), &v1)
        .unwrap());
    assert!(!store
        .kept_same_library("x", period("2023-06"), &v2)
        .unwrap());
    // June redone with another version: both kept, May still names v1.
    let mut june = empty("x", "2023-06");
    june.library = Some(LibraryStamp::default());
    june.library_rows = v2.clone();
    store.save(&june).unwrap();
    assert_eq!(snapshots(), 2);
    let rows = |p| {
        store
            .load_library("x", period(p))
            .unwrap()
            .unwrap()
            .library_rows
    };
    assert_eq!(rows("2023-05"), v1);
    assert_eq!(rows("2023-06"), v2);
    // May too: v1 is named by no entry any more and goes.
    let mut may = june.clone();
    may.period = "2023-05".into();
    store.save(&may).unwrap();
    assert_eq!(snapshots(), 1);
    assert!(store.has_snapshot("x", &snapshot_sha(&v2)));
    assert!(!store.has_snapshot("x", &snapshot_sha(&v1)));
    // A snapshot gone by hand: the entry reads as keeping no rows.
    std::fs::remove_file(store.snapshot_path("x", &snapshot_sha(&v2))).unwrap();
    assert!(rows("2023-05").is_empty());
    assert!(!store
        .kept_same_library("x", period("2023-05"), &v2)
        .unwrap());
}

#[test]
fn the_head_and_the_records_are_read_without_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let sp = full_entry();
    let path = store.save(&sp).unwrap();
    // Break the last finding: only readers that parse the findings see it.
    let text = std::fs::read_to_string(&path).unwrap();
    let broken = text.replace("{\"id\":\"W401\"", "{\"id\":W401");
    assert_ne!(broken, text);
    std::fs::write(&path, broken).unwrap();
    let p = period("2023-07");
    let head = store.load_head("x", p).unwrap().unwrap();
    assert_eq!(head.inbox, sp.inbox);
    assert_eq!(head.outputs, sp.outputs);
    assert_eq!(head.fingerprint, sp.fingerprint);
    assert_eq!(head.library, sp.library);
    let recs = store.load_records("x", p).unwrap().unwrap();
    assert_eq!(recs.records, sp.records);
    assert_eq!(recs.tasks, sp.tasks);
    assert_eq!(
        store.load_library("x", p).unwrap().unwrap().library_rows,
        sp.library_rows
    );
    assert!(matches!(
        store.load("x", p),
        Err(StoreError::Corrupt { .. })
    ));
}

/// An entry as the previous layout wrote it: every key of every record and
/// finding, the library rows inline.
fn old_layout(sp: &StoredPeriod) -> Vec<u8> {
    to_json_lines(sp).unwrap()
}

#[test]
fn entries_of_the_previous_layout_load_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let sp = full_entry();
    std::fs::create_dir_all(dir.path().join("x")).unwrap();
    let p = period("2023-07");
    let path = dir.path().join("x/2023-07.json");
    let old = old_layout(&sp);
    let text = String::from_utf8(old.clone()).unwrap();
    assert!(text.contains("\n  \"library_rows\": [\n    {\"code\":\"A\""));
    assert!(text.contains("\"help\":\"请核对。\""));
    // Laid out by lines, pretty-printed, or on one line: all read the same.
    let pretty = serde_json::to_vec_pretty(&sp).unwrap();
    let flat = serde_json::to_vec(&sp).unwrap();
    for bytes in [old, pretty, flat] {
        std::fs::write(&path, &bytes).unwrap();
        assert_same(&store.load("x", p).unwrap().unwrap(), &sp);
        let head = store.load_head("x", p).unwrap().unwrap();
        assert_eq!(head.library, sp.library);
        assert_eq!(head.outputs, sp.outputs);
        assert_eq!(head.library_snapshot, None);
        let lib = store.load_library("x", p).unwrap().unwrap();
        assert_eq!(lib.library_rows, sp.library_rows);
        assert_eq!(
            store.load_records("x", p).unwrap().unwrap().records,
            sp.records
        );
        assert!(!store.kept_same_library("x", p, &sp.library_rows).unwrap());
    }
    assert!(!dir.path().join("x/library").exists(), "nothing written");
}

#[test]
fn a_broken_entry_is_named_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    std::fs::create_dir_all(dir.path().join("x")).unwrap();
    let p = period("2023-07");
    let cut = "{\n  \"program\": \"x\",\n  \"records\": [\n    {\"code\"";
    for bad in ["", "[1]", cut] {
        std::fs::write(dir.path().join("x/2023-07.json"), bad).unwrap();
        assert!(
            matches!(store.load("x", p), Err(StoreError::Corrupt { .. })),
            "{bad:?}"
        );
        assert!(matches!(
            store.load_records("x", p),
            Err(StoreError::Corrupt { .. })
        ));
        // The head stops before the lists: a cut entry has no outputs (not
        // done), one that is not an entry at all is corrupt.
        match store.load_head("x", p) {
            Ok(Some(h)) => assert!(bad == cut && h.outputs.is_empty()),
            other => assert!(matches!(other, Err(StoreError::Corrupt { .. })), "{bad:?}"),
        }
    }
    // An entry naming something that is no snapshot name.
    let mut sp = empty("x", "2023-07");
    sp.library = Some(LibraryStamp::default());
    let mut text = String::from_utf8(old_layout(&sp)).unwrap();
    text = text.replace(
        "  \"records\"",
        "  \"library_snapshot\": \"../../etc/passwd\",\n  \"records\"",
    );
    std::fs::write(dir.path().join("x/2023-07.json"), text).unwrap();
    assert!(matches!(
        store.load_library("x", period("2023-07")),
        Err(StoreError::Corrupt { .. })
    ));
}

#[test]
fn save_replaces_and_lists() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let mut sp = empty("x", "2023-02");
    store.save(&sp).unwrap();
    sp.written_at = "w2".into();
    store.save(&sp).unwrap();
    let p = period("2023-02");
    assert_eq!(store.load("x", p).unwrap().unwrap().written_at, "w2");
    assert_eq!(store.periods("x"), vec![p]);
    assert_eq!(
        std::fs::read_dir(dir.path().join("x")).unwrap().count(),
        1,
        "no temp file left, no snapshot for an entry without rows"
    );
    assert_eq!(store.year_before("x", period("2023-03")).unwrap().len(), 1);
}
