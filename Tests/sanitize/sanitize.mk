# The suite under AddressSanitizer + UndefinedBehaviorSanitizer (Tests/sanitize/run.sh):
# libfaceswap and the Swift tests built in .build-asan, then the Swift tests, the C program and
# pytest against the sanitized library. FS_ASAN_PYTEST_ALL=1 also runs the slow Python quality
# measurements (see run.sh). Depends on `build` for the release faceswap-cli that the Python video
# tests run.
.PHONY: test-asan

test-asan: build
	FACESWAP_DATA=$(DATA) SWIFT=$(SWIFT) PYTHON=$(PYTHON) bash Tests/sanitize/run.sh
