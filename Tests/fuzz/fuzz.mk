# Fuzzing: libFuzzer harnesses (Tests/fuzz/harness) over an ASan/UBSan/coverage-instrumented build
# of the library in .build-fuzz (never the release .build). See Tests/fuzz/run.sh for the details.
#   make fuzz          every harness for FUZZ_SECONDS (default 600) each: the long campaign
#   make fuzz-ci       every harness for FUZZ_CI_SECONDS (default 25) each: the short check
#   make fuzz-build    build only
# Crash inputs and the corpus grown by the fuzzer go to .build-fuzz/work/<harness>/ (FUZZ_WORK).
FUZZ_SECONDS ?= 600
FUZZ_CI_SECONDS ?= 25

.PHONY: fuzz fuzz-ci fuzz-build

fuzz:
	bash Tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-ci:
	bash Tests/fuzz/run.sh $(FUZZ_CI_SECONDS)

fuzz-build:
	bash Tests/fuzz/run.sh 0
