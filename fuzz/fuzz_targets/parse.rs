#![no_main]
use evident::query::{parse_script, strip_spans};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    match parse_script(src) {
        Ok(stmts) => {
            for s in &stmts {
                let printed = s.to_string();
                let reparsed = match parse_script(&printed) {
                    Ok(r) => r,
                    Err(e) => panic!(
                        "canonical text does not re-parse\ninput: {src:?}\nprinted: {printed:?}\nerror: {}",
                        e.render(&printed)
                    ),
                };
                assert_eq!(reparsed.len(), 1, "printed {printed:?} gave {} statements", reparsed.len());
                assert_eq!(
                    strip_spans(s),
                    strip_spans(&reparsed[0]),
                    "round trip changed the tree\ninput: {src:?}\nprinted: {printed:?}"
                );
                // printing again must be stable
                assert_eq!(reparsed[0].to_string(), printed);
            }
        }
        Err(e) => {
            let _ = e.render(src);
            let _ = e.is_incomplete();
            let _ = e.to_string();
        }
    }
});
