# The header's documentation and experimental tier (Tests/header/run.sh): every function of
# include/faceswap.h has a one-line summary and an "Errors:" line, the EXPERIMENTAL section is
# marked FS_EXPERIMENTAL, and -DFS_WARN_EXPERIMENTAL -Werror refuses experimental calls.
#   make test-header   (part of make test; needs only python3 and cc: no build)
test-header:
	PYTHON=$(PYTHON) bash Tests/header/run.sh
