# The README's two commands. Each first installs what it needs on a fresh Debian machine
# (tools/setup), then runs cargo; `cargo run --release -- serve` and
# `cargo test --release` keep working where the packages are there.
.PHONY: serve test

# The main job: the SPARQL endpoint and the pages on http://127.0.0.1:7878/, on the
# embedded store ./labgraph-store, filled with the bundled data on first start.
serve:
	tools/setup build
	cargo run --release --locked -- serve

# The tests (CI runs this, after formatting and lints: .ci/run).
test:
	tools/setup test
	cargo test --release --locked
