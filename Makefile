# Aliases for the scripts; the scripts are the source of truth.
.PHONY: demo test bench
demo:
	./scripts/demo.sh
test:
	./scripts/test.sh
bench:
	./scripts/bench.sh
