# The build is CMake's; this Makefile gives it the commands the repmgr
# documentation uses: "make" builds, "make install" installs repmgr and repmgrd
# into $(PREFIX)/bin, and "make USE_PGXS=1 install" installs them next to
# PostgreSQL's own programs ($(pg_config --bindir)). BUILD_DIR and DESTDIR as usual.
BUILD_DIR ?= build
PG_CONFIG ?= pg_config
PREFIX ?= /usr/local
ifdef USE_PGXS
BINDIR := $(shell $(PG_CONFIG) --bindir)
else
BINDIR ?= $(PREFIX)/bin
endif

.PHONY: all install
all:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD_DIR) -j$$(nproc)

install: all
	@test -n "$(BINDIR)" || { echo "pg_config --bindir gave nothing: set PG_CONFIG" >&2; exit 1; }
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(BUILD_DIR)/repmgr $(BUILD_DIR)/repmgrd $(DESTDIR)$(BINDIR)/
