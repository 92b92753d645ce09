#!/usr/bin/env bash
# faceswap.cluster with the wheel on the workers (Ray runtime_env): Tests/cluster/wheel_workers.py.
# The Ray tests proper (many files, split, cuts, a killed worker) are pytest: Tests/python/test_cluster.py.
# Usage: Tests/cluster/run.sh dist/faceswap-<version>-*.whl   (make test-cluster-wheel builds and passes it)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
[ $# = 1 ] && [ -f "$1" ] || { echo "usage: $0 WHEEL (one file; make test-cluster-wheel builds it): got '$*'"; exit 1; }
exec "${PYTHON:-python3}" "$repo/Tests/cluster/wheel_workers.py" "$1"
