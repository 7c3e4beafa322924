//! Prints an `api_model` fuzz input as `.ops` text (one call per line), for
//! `fuzz/regressions/api_model/`: `cargo +nightly run --example ops_text -- <input>`.

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: ops_text <fuzz input file>");
    let bytes = std::fs::read(&path).expect("read the input");
    let ops = grove_fuzz::ops_from_bytes(&bytes);
    print!("{}", grove_fuzz::checks::ops_to_text(&ops));
}
