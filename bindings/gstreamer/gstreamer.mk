# The GStreamer element "faceswap" (bindings/gstreamer), included by the top Makefile.
#
#   make gstreamer           build .build/gstreamer/libgstfaceswap.so (rpath: .build/release)
#   make test-gstreamer      Tests/gstreamer/run.sh: the element (and the frei0r plugin through
#                            GStreamer's frei0r wrapper and through MLT's melt) in real pipelines
#   make install             also installs $(PREFIX)/lib/gstreamer-1.0/libgstfaceswap.so, linked to
#                            $(PREFIX)/lib/libfaceswap.so.0 (outside /usr: GST_PLUGIN_PATH must name
#                            that folder, see the README)
#
# Built with pkg-config gstreamer-video-1.0 (Debian: libgstreamer-plugins-base1.0-dev).
GST_PKG := gstreamer-video-1.0
GST_OUT := .build/gstreamer
GST_PLUGIN := $(GST_OUT)/libgstfaceswap.so
GST_DIR ?= $(PREFIX)/lib/gstreamer-1.0
GST_CFLAGS = -std=gnu11 -O2 -Wall -Wextra -shared -fPIC -DFS_GST_VERSION='"$(VERSION)"' -Iinclude \
	$(shell pkg-config --cflags $(GST_PKG))
GST_LIBS = -L$(BUILD) -lfaceswap $(shell pkg-config --libs $(GST_PKG)) -Wl,--no-undefined

.PHONY: gstreamer test-gstreamer install-gstreamer uninstall-gstreamer
test: test-gstreamer
install: install-gstreamer
uninstall: uninstall-gstreamer

gstreamer: build
	$(MAKE) $(GST_PLUGIN)

# Linked against the build tree's library, found at run time through the rpath. The library's
# SONAME is libfaceswap.so.0; a bare `swift build` makes only libfaceswap.so, so the link is
# made here as `make build` does.
$(GST_PLUGIN): bindings/gstreamer/gstfaceswap.c include/faceswap.h
	@pkg-config --exists $(GST_PKG) || { echo "pkg-config does not find $(GST_PKG): apt-get install libgstreamer-plugins-base1.0-dev" >&2; exit 1; }
	@test -f $(BUILD)/libfaceswap.so || { echo "no $(BUILD)/libfaceswap.so: run 'make build'" >&2; exit 1; }
	@test -e $(BUILD)/libfaceswap.so.0 || ln -sf libfaceswap.so $(BUILD)/libfaceswap.so.0
	@mkdir -p $(GST_OUT)
	$(CC) $(GST_CFLAGS) bindings/gstreamer/gstfaceswap.c $(GST_LIBS) -Wl,-rpath,$(abspath $(BUILD)) -o $@

test-gstreamer: build models
	FACESWAP_DATA=$(DATA) bash Tests/gstreamer/run.sh

# The installed element finds the installed library through its rpath, $(PREFIX)/lib (it links
# by SONAME, so building against the build tree's copy is the same). Without GStreamer's
# development files the element is left out, and this says so.
# The copy for installing is built outside $(GST_OUT): GStreamer scans GST_PLUGIN_PATH's folders
# recursively, and this copy does not load from the build tree.
install-gstreamer: build
	@if pkg-config --exists $(GST_PKG); then \
		mkdir -p $(GST_OUT)-install && \
		echo "$(CC) ... -o $(GST_OUT)-install/libgstfaceswap.so (rpath $(PREFIX)/lib)" && \
		$(CC) $(GST_CFLAGS) bindings/gstreamer/gstfaceswap.c $(GST_LIBS) -Wl,-rpath,$(PREFIX)/lib \
			-o $(GST_OUT)-install/libgstfaceswap.so && \
		strip --strip-unneeded $(GST_OUT)-install/libgstfaceswap.so && \
		install -d $(DESTDIR)$(GST_DIR) && \
		install -m 755 $(GST_OUT)-install/libgstfaceswap.so $(DESTDIR)$(GST_DIR)/libgstfaceswap.so; \
	else \
		echo "note: pkg-config does not find $(GST_PKG): the GStreamer element is not installed" \
		     "(apt-get install libgstreamer-plugins-base1.0-dev, then make install-gstreamer)"; \
	fi

uninstall-gstreamer:
	rm -f $(DESTDIR)$(GST_DIR)/libgstfaceswap.so
