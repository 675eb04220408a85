# netguard developer entry points. Tests and the demo need root (namespaces).
PYTHON ?= /usr/bin/python3
VERSION := $(shell $(PYTHON) -c 'import netguard; print(netguard.__version__)')

.PHONY: check unit demo lint deb bench clean

check:  ## every tier: unit, netns, ifupdown (root)
	$(PYTHON) -m pytest -ra tests

unit:   ## the pure tier, no root needed
	$(PYTHON) -m pytest -ra tests/unit

demo:   ## real ifup in throwaway namespaces; never touches the host's interfaces
	$(PYTHON) -m tests.demo

lint:  ## ruff (lint + format) and mypy, dev tools from PyPI
	ruff check .
	ruff format --check .
	mypy netguard

deb:    ## ../netguard_$(VERSION)_all.deb, then copied to out/
	# Debian's python3, not a pyenv one earlier on PATH.
	env PATH=/usr/sbin:/usr/bin:/sbin:/bin dpkg-buildpackage -us -uc -b
	mkdir -p out && cp ../netguard_$(VERSION)_all.deb out/
	lintian --fail-on error out/netguard_$(VERSION)_all.deb

bench: ## figures for the README (root for the namespace ones)
	$(PYTHON) bench/noop_hook.py
	$(PYTHON) -m bench.wait_dad
	$(PYTHON) bench/routes.py

clean:
	rm -rf out build .pybuild debian/netguard debian/.debhelper debian/files \
	  debian/*.substvars debian/*.debhelper.log debian/debhelper-build-stamp *.egg-info
