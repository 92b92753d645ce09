# faceswap.cluster (issue 15), included by the Makefile. Its Ray tests are pytest
# (Tests/python/test_cluster.py, run by make test-python); this adds the check of the wheel
# installed on the workers by Ray (runtime_env py_modules): Tests/cluster/run.sh.
.PHONY: test-cluster test-cluster-wheel

test-cluster: build models
	FACESWAP_LIBRARY=$(abspath $(BUILD)/libfaceswap.so) FACESWAP_DATA=$(DATA) $(PYTHON) -m pytest Tests/python/test_cluster.py -q

test: test-cluster-wheel

test-cluster-wheel: wheel
	PYTHON=$(PYTHON) FACESWAP_DATA=$(DATA) bash Tests/cluster/run.sh $(WHEEL_DIST)/faceswap-$(VERSION)-*.whl
