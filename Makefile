# Thin wrapper over Meson. The two commands of the README:
#   make run    install what is missing, build, start on http://localhost:1411 (SQLite in ./data)
#   make test   every test: unit, API on SQLite and PostgreSQL, sanitizers, fuzz corpora
# Knobs: SANITIZE=1 (ASan+UBSan build in build-san), BUILD=dir.

SANITIZE ?=
BUILD ?= $(if $(SANITIZE),build-san,build)
comma := ,
SAN_OPTS = $(if $(SANITIZE),-Db_sanitize=address$(comma)undefined -Db_lundef=false)

.PHONY: all deps web build run test docs format bench fuzz clean

all: build

deps:
	@bash scripts/deps.sh

web: deps
	@bash scripts/web-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(SAN_OPTS)

build: web $(BUILD)/build.ninja
	meson compile -C $(BUILD)

run: build
	@bash scripts/run.sh $(BUILD)/symbolon

test:
	@bash tests/run.sh

docs: build
	$(BUILD)/tests/gen_config_doc > docs/configuration.md

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

bench: build
	@bash bench/run.sh $(BUILD)/symbolon

fuzz:
	@bash fuzz/run.sh

clean:
	rm -rf build build-san build-fuzz
