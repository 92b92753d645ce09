# The CMake package (issue 13 item 5), included by the Makefile. `make install` also writes
#   $(PREFIX)/lib/cmake/faceswap/faceswapConfig.cmake         the imported target faceswap::faceswap
#   $(PREFIX)/lib/cmake/faceswap/faceswapConfigVersion.cmake  which requested versions it satisfies
# from the templates here (@VERSION@, @ABI@, @ABI_SINCE@ filled in), so that a CMake project does
#   find_package(faceswap 0.4 CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE faceswap::faceswap)
# Tests/install/run.sh builds such a project against an installed prefix.

CMAKE_FS_ABI := $(shell sed -n 's/^\#define FS_ABI_VERSION \([0-9]*\)/\1/p' include/faceswap.h)
# The first release of each FS_ABI_VERSION (the header's comment on FS_ABI_VERSION says when each
# began). A program built against any version from there up to the installed one runs on it.
CMAKE_ABI_SINCE_2 := 0.3.0
CMAKE_PACKAGE_DIR = $(DESTDIR)$(PREFIX)/lib/cmake/faceswap

.PHONY: install-cmake uninstall-cmake

install: install-cmake
uninstall: uninstall-cmake

install-cmake:
	@since='$(CMAKE_ABI_SINCE_$(CMAKE_FS_ABI))'; [ -n "$$since" ] || { \
	  echo "make install: FS_ABI_VERSION '$(CMAKE_FS_ABI)' has no first release in bindings/cmake/cmake.mk: add CMAKE_ABI_SINCE_$(CMAKE_FS_ABI) := <the version that introduced it>"; exit 1; }
	install -d $(CMAKE_PACKAGE_DIR)
	for f in faceswapConfig faceswapConfigVersion; do \
	  sed -e 's/@VERSION@/$(VERSION)/g' -e 's/@ABI@/$(CMAKE_FS_ABI)/g' -e 's/@ABI_SINCE@/$(CMAKE_ABI_SINCE_$(CMAKE_FS_ABI))/g' \
	    bindings/cmake/$$f.cmake.in > $(CMAKE_PACKAGE_DIR)/$$f.cmake; \
	done

uninstall-cmake:
	rm -rf $(PREFIX)/lib/cmake/faceswap
