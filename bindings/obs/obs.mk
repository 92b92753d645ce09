# The OBS Studio filter "Face swap" (bindings/obs), included by the top Makefile.
#
#   make obs                 build .build/obs/faceswap-obs.so against the repo's .build/release
#   make test-obs            Tests/obs/run.sh: real libobs (headless, Xvfb + Mesa) loads the module
#                            and runs frames through the filter (part of `make test`)
#   make install-obs         $(DESTDIR)$(OBS_PLUGIN_DIR)/faceswap-obs.so and its locale in
#                            $(DESTDIR)$(OBS_DATA_DIR) (part of `make install`). Defaults:
#                            $(PREFIX)/lib/obs-plugins and $(PREFIX)/share/obs/obs-plugins/faceswap-obs.
#                            Debian's OBS looks only in /usr/lib/x86_64-linux-gnu/obs-plugins and
#                            /usr/share/obs/obs-plugins/<name>: pass those, or use install-obs-user.
#   make install-obs-user    ~/.config/obs-studio/plugins/faceswap-obs/{bin/64bit,data}: the
#                            per-user folder every OBS on Linux searches (library from PREFIX/lib)
#   make uninstall-obs
# Needs libobs-dev (pkg-config libobs). Without it install-obs says so and installs nothing else.
OBS_OUT := .build/obs
OBS_PLUGIN_DIR ?= $(PREFIX)/lib/obs-plugins
OBS_DATA_DIR ?= $(PREFIX)/share/obs/obs-plugins/faceswap-obs
OBS_USER_DIR ?= $(HOME)/.config/obs-studio/plugins/faceswap-obs
OBS_SRC := bindings/obs/faceswap-obs.c bindings/obs/frame-pixels.c
OBS_DEPS := $(OBS_SRC) bindings/obs/frame-pixels.h include/faceswap.h

# cc ... -o OUT with the library's run-time folder RPATH
define obs_link
	@pkg-config --exists libobs || { echo "libobs not found by pkg-config: apt-get install libobs-dev" >&2; exit 1; }
	@mkdir -p $(dir $(1))
	$(CC) -std=gnu11 -O2 -Wall -Wextra -shared -fPIC -fvisibility=hidden $$(pkg-config --cflags libobs) -Iinclude \
		$(OBS_SRC) -o $(1) -L$(BUILD) -lfaceswap $$(pkg-config --libs libobs) -lpthread -lm \
		-Wl,-rpath,$(2) -Wl,--no-undefined
endef

.PHONY: obs test-obs install-obs install-obs-user uninstall-obs

obs: $(OBS_OUT)/faceswap-obs.so

$(OBS_OUT)/faceswap-obs.so: $(OBS_DEPS) | $(BUILD)/libfaceswap.so
	@test -e $(BUILD)/libfaceswap.so.0 || ln -sf libfaceswap.so $(BUILD)/libfaceswap.so.0
	$(call obs_link,$@,$(abspath $(BUILD)))

test-obs: build models obs
	FACESWAP_DATA=$(DATA) bash Tests/obs/run.sh

# Linked against the build's library (same SONAME) with the installed library's folder as RPATH,
# so it does not depend on the order in which `make install` installs things.
install-obs: build
	@if pkg-config --exists libobs; then \
		$(MAKE) --no-print-directory obs-install-files; \
	else echo "OBS filter not installed: libobs not found by pkg-config (apt-get install libobs-dev)"; fi

.PHONY: obs-install-files
obs-install-files:
	$(call obs_link,$(OBS_OUT)/install/faceswap-obs.so,$(PREFIX)/lib)
	install -d $(DESTDIR)$(OBS_PLUGIN_DIR) $(DESTDIR)$(OBS_DATA_DIR)/locale
	install -m 755 $(OBS_OUT)/install/faceswap-obs.so $(DESTDIR)$(OBS_PLUGIN_DIR)/faceswap-obs.so
	install -m 644 bindings/obs/data/locale/*.ini $(DESTDIR)$(OBS_DATA_DIR)/locale/

install-obs-user:
	$(MAKE) --no-print-directory obs-install-files OBS_PLUGIN_DIR=$(OBS_USER_DIR)/bin/64bit OBS_DATA_DIR=$(OBS_USER_DIR)/data DESTDIR=

uninstall-obs:
	rm -f $(DESTDIR)$(OBS_PLUGIN_DIR)/faceswap-obs.so
	rm -rf $(DESTDIR)$(OBS_DATA_DIR)

test: test-obs
install: install-obs
uninstall: uninstall-obs
