# tzsigner - plain GNU make + pkg-config.
#
#   make            build/tzsigner (release, hardened)
#   make deps       install what the build and tests need (scripts/deps)
#   make run        a signer with freshly generated demo keys on 127.0.0.1:6732
#   make test       every test, under AddressSanitizer + UBSan; ends "N passed, N failed"
#   make tsan       the threaded tests under ThreadSanitizer
#   make test-fresh the README's commands, install-box and the image on fresh
#                   Debian 12 roots (scripts/test-fresh; root, debootstrap, podman)
#   make bench      benchmarks (see BENCHMARKS.md)
#   make fuzz       build the libFuzzer targets and run each for FUZZ_SECONDS
#   make install    PREFIX=/usr/local DESTDIR=
#   make deb        Debian packages tzsigner and tzsigner-forwarder in build/deb/ (lintian-checked)

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
BUILD := build
# Parallel compilation inside `make test` and `make demo` (every core).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

PKGS := libsodium libsecp256k1 libmicrohttpd jansson libcrypto hidapi-hidraw libsystemd libgpiod
# libcurl: the gateway's HTTP client, to the boxes and to etcd's v3 JSON gateway
# (Debian packages no C gRPC client for etcd; libcurl + jansson speak its JSON API).
PKGS += libcurl
# libseccomp: the network front's system call allowlist (src/front/sandbox_filter.c).
PKGS += libseccomp
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

BLST_DIR := $(BUILD)/blst
BLST_LIB := $(BLST_DIR)/libblst.a
BLST_INC := $(BLST_DIR)/include

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wconversion -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wvla -Wno-missing-field-initializers
BASE_CFLAGS := -MMD -MP -std=c17 -D_GNU_SOURCE -pthread $(WARNINGS) -I$(BLST_INC) $(PKG_CFLAGS)
REL_CFLAGS := -O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
REL_LDFLAGS := -pie -Wl,-z,relro,-z,now
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_CFLAGS := -O1 -g $(SAN_FLAGS)
TSAN_CFLAGS := -O1 -g -fsanitize=thread -fno-omit-frame-pointer

LIBS = $(BLST_LIB) $(PKG_LIBS) -lpthread

SRC := $(sort $(wildcard src/*/*.c))
MAIN_SRC := src/main.c
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))

REL_OBJ := $(patsubst %.c,$(BUILD)/rel/%.o,$(SRC) $(MAIN_SRC))
ASAN_OBJ := $(patsubst %.c,$(BUILD)/asan/%.o,$(SRC))
TSAN_OBJ := $(patsubst %.c,$(BUILD)/tsan/%.o,$(SRC))
FUZZ_OBJ := $(patsubst %.c,$(BUILD)/fuzz/%.o,$(SRC))
FUZZERS := $(patsubst fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))

.PHONY: all deps run test unit tsan bench fuzz fuzz-build install clean demo deb test-fresh
.DELETE_ON_ERROR:

all: $(BUILD)/tzsigner

$(BLST_LIB): scripts/fetch-blst
	scripts/fetch-blst $(BLST_DIR)

$(BUILD)/rel/%.o: %.c | $(BLST_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(REL_CFLAGS) -c $< -o $@

$(BUILD)/asan/%.o: %.c | $(BLST_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) -c $< -o $@

$(BUILD)/tsan/%.o: %.c | $(BLST_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(TSAN_CFLAGS) -c $< -o $@

$(BUILD)/fuzz/src/%.o: src/%.c | $(BLST_LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASE_CFLAGS) -O1 -g -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

$(BUILD)/tzsigner: $(REL_OBJ) $(BLST_LIB)
	$(CC) $(REL_LDFLAGS) -pthread $(REL_OBJ) $(LIBS) -o $@

# The sanitizer build: the binary the integration tests drive, and the unit tests.
$(BUILD)/asan/tzsigner: $(ASAN_OBJ) $(BUILD)/asan/src/main.o $(BLST_LIB)
	$(CC) $(SAN_FLAGS) -pthread $(ASAN_OBJ) $(BUILD)/asan/src/main.o $(LIBS) -o $@

$(BUILD)/asan/unit_tests: $(ASAN_OBJ) $(patsubst %.c,$(BUILD)/asan/%.o,$(UNIT_SRC)) $(BLST_LIB)
	$(CC) $(SAN_FLAGS) -pthread $^ $(LIBS) -o $@

# The hostile-front test (tests/hostile): takes the front's place against a key holder.
HOSTILE_SRC := $(sort $(wildcard tests/hostile/*.c))
$(BUILD)/asan/kh_hostile: $(ASAN_OBJ) $(patsubst %.c,$(BUILD)/asan/%.o,$(HOSTILE_SRC)) $(BLST_LIB)
	$(CC) $(SAN_FLAGS) -pthread $^ $(LIBS) -o $@

$(BUILD)/tsan/tzsigner: $(TSAN_OBJ) $(BUILD)/tsan/src/main.o $(BLST_LIB)
	$(CC) -fsanitize=thread -pthread $(TSAN_OBJ) $(BUILD)/tsan/src/main.o $(LIBS) -o $@

$(BUILD)/fuzz/%: fuzz/%.c $(FUZZ_OBJ) $(BLST_LIB)
	$(FUZZ_CC) $(BASE_CFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined $< $(FUZZ_OBJ) $(LIBS) -o $@

$(BUILD)/bench/%: bench/%.c $(REL_OBJ) $(BLST_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(REL_CFLAGS) $(REL_LDFLAGS) $< $(filter-out $(BUILD)/rel/src/main.o,$(REL_OBJ)) $(LIBS) -o $@

# The slow-disk shim of the watermark benchmark (LD_PRELOAD; bench/shim).
$(BUILD)/bench/fsync_delay.so: bench/shim/fsync_delay.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -fPIC -shared $< -ldl -o $@

# ledgersim: the Ledger simulator the tests drive (tests/ledgersim, not part of tzsigner).
SIM_SRC := $(sort $(wildcard tests/ledgersim/*.c))
SIM_LIBS = $(shell pkg-config --libs libsodium libcrypto 2>/dev/null)

$(BUILD)/ledgersim: $(patsubst %.c,$(BUILD)/rel/%.o,$(SIM_SRC)) $(BLST_LIB)
	$(CC) $(REL_LDFLAGS) $^ $(SIM_LIBS) -o $@

$(BUILD)/asan/ledgersim: $(patsubst %.c,$(BUILD)/asan/%.o,$(SIM_SRC)) $(BLST_LIB)
	$(CC) $(SAN_FLAGS) $^ $(SIM_LIBS) -o $@

deps:
	scripts/deps

run: deps $(BUILD)/tzsigner
	scripts/run-demo-signer

# The whole system on this machine: the forwarder (sshd), two boxes (one on
# the Ledger simulator, one with a local tz4 key), their tunnels and a baker.
demo: deps
	$(MAKE) --no-print-directory -j$(JOBS) $(BUILD)/tzsigner $(BUILD)/ledgersim
	scripts/demo

unit: $(BUILD)/asan/unit_tests
	$(BUILD)/asan/unit_tests

fuzz-build: $(FUZZERS)

test: deps
	$(MAKE) --no-print-directory -j$(JOBS) $(BUILD)/tzsigner $(BUILD)/asan/tzsigner $(BUILD)/asan/unit_tests $(FUZZERS) $(BUILD)/asan/kh_hostile \
		$(BUILD)/ledgersim $(BUILD)/asan/ledgersim
	tests/run

# The newcomer's path on fresh Debian 12 roots, from a clean clone of HEAD.
test-fresh:
	scripts/test-fresh

tsan: deps $(BUILD)/tsan/tzsigner
	TZSIGNER=$(BUILD)/tsan/tzsigner tests/run --tsan

# Every benchmark, in one run (see BENCHMARKS.md; about 15 minutes). BENCH_QUICK=1
# skips the slow tunnel and forwarder end-to-end benchmarks.
bench: deps $(BUILD)/tzsigner $(BUILD)/ledgersim $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC)) $(BUILD)/bench/fsync_delay.so
	bench/run
	node bench/watermark_bench.mjs
	node bench/gateway_bench.mjs
	node bench/watermark_durability.mjs
	$(BUILD)/bench/wm_write_cost
	node tests/node/lib/ledger_bench.mjs 2000
	bench/health_idle.sh
	node bench/socket_latency.mjs 10 200
	@if [ -z "$(BENCH_QUICK)" ]; then bench/tunnel && bench/forwarder_bench; fi

fuzz: deps $(FUZZERS)
	@for f in $(FUZZERS); do \
		name=$$(basename $$f); mkdir -p $(BUILD)/fuzz/corpus/$$name; \
		echo "fuzz: $$name for $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) $(BUILD)/fuzz/corpus/$$name fuzz/corpus/$$name || exit 1; \
	done

# The Debian packages (the box and the cloud endpoint): build/deb/*.deb and
# build/deb/lintian.txt; installs debhelper and lintian when they are missing.
deb: $(BLST_LIB)
	scripts/make-deb $(BUILD)/deb

install: $(BUILD)/tzsigner
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/tzsigner $(DESTDIR)$(PREFIX)/bin/tzsigner

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

clean:
	rm -rf $(BUILD)/rel $(BUILD)/asan $(BUILD)/tsan $(BUILD)/fuzz $(BUILD)/bench $(BUILD)/tzsigner
