# Concurrency stress test of the shared handles (Tests/stress/stress.c, driven by run.sh).
#   make stress      against the release build (.build/release), results checked
#   make test-tsan   libfaceswap built with --sanitize=thread in .build-tsan, the same program with
#                    -fsanitize=thread: results checked and no ThreadSanitizer report allowed
# STRESS_THREADS (default 8) and STRESS_CALLS (default 1000 per thread) size the run.
.PHONY: stress test-tsan

stress: build
	FACESWAP_DATA=$(DATA) SWIFT=$(SWIFT) bash Tests/stress/run.sh release

test-tsan:
	FACESWAP_DATA=$(DATA) SWIFT=$(SWIFT) bash Tests/stress/run.sh tsan
