//! A 50 MB single NDJSON line is refused without being held in memory, and the next line still
//! imports. Its own test binary, so the peak memory it measures is its own.

use std::io::Write;

/// Peak resident memory of this process (VmHWM), in bytes; `None` off Linux.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[test]
fn a_fifty_megabyte_line_is_skipped_with_bounded_memory_and_the_rest_imports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("huge.ndjson");
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).expect("file"));
        file.write_all(br#"{"resourceType":"Patient","id":"huge","note":""#)
            .expect("write");
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..50 {
            file.write_all(&chunk).expect("write");
        }
        file.write_all(b"\"}\n").expect("write");
        writeln!(
            file,
            r#"{{"resourceType":"Patient","id":"p1","name":[{{"family":"After"}}]}}"#
        )
        .expect("write");
    }
    let before = peak_rss();
    let read = myotome_fhir::read_paths(&[&path]);
    let after = peak_rss();

    assert_eq!(read.patients.len(), 1);
    assert_eq!(read.patients[0].family_name, "After");
    assert_eq!(read.problems.len(), 1);
    let problem = read.problems[0].to_string();
    assert!(
        problem.contains("huge.ndjson:1: the line is 52 MB, over the 16 MB limit"),
        "{problem}"
    );
    if let (Some(before), Some(after)) = (before, after) {
        // The reader keeps at most one line's limit (16 MiB) plus its read buffer; holding
        // the line would add 50 MB or more.
        let grown = after.saturating_sub(before);
        assert!(grown < 32 << 20, "peak memory grew by {} MB", grown >> 20);
    }
}
