# netguard developer entry points. Tests and the demo need root (namespaces).
PYTHON ?= /usr/bin/python3
VERSION := $(shell $(PYTHON) -c 'import netguard; print(netguard.__version__)')

.PHONY: check unit demo lint deb bench clean

NG_TREE := out/ifupdown-ng

check: $(NG_TREE)/sbin/ifup  ## every tier: unit, netns, ifupdown, ifupdown-ng (root)
	NETGUARD_IFUPDOWN_NG=$(CURDIR)/$(NG_TREE) $(PYTHON) -m pytest -ra tests

# ifupdown-ng conflicts with ifupdown, so its Debian package is unpacked, not
# installed; the hooks are tested under both. Offline, the tier is skipped
# (and fails under CI=true).
$(NG_TREE)/sbin/ifup:
	rm -rf $(NG_TREE) out/ifupdown-ng-deb && mkdir -p out/ifupdown-ng-deb
	-cd out/ifupdown-ng-deb && apt-get download ifupdown-ng >/dev/null 2>&1 && \
	  dpkg -x ifupdown-ng_*.deb $(CURDIR)/$(NG_TREE)

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
