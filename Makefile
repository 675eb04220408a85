# netguard developer entry points. Tests and the demo need root (namespaces).
PYTHON ?= /usr/bin/python3
VERSION := $(shell $(PYTHON) -c 'import netguard; print(netguard.__version__)')

.PHONY: check unit demo lint deb build-deps bench clean deps boot-root vm-roots sbuild

# What the demo and the tests need from Debian (the .deb build needs more: see .ci/run).
DEPS := ifupdown iproute2 procps radvd python3 python3-pyroute2 python3-debian python3-mako \
	python3-pytest python3-hypothesis bash-completion nginx systemd \
	postgresql redis-server python3-venv wget curl iputils-arping tcpdump systemd-container mmdebstrap python3-jsonschema strace \
	qemu-system-x86 e2fsprogs

deps:  ## install the Debian packages above if any is missing (root)
	@missing=$$(for p in $(DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

IMPLEMENTATIONS := out/ifupdown-ng/etc/network out/ifupdown2/bin/ifup
PROMETHEUS := out/prometheus/usr/bin/promtool
IRRD := out/irrd-venv/bin/irrd
CORPUS := out/corpus/.unpacked
DEB := out/netguard_$(VERSION)_all.deb
BOOT_ROOT := out/boot-root/$(shell . /etc/os-release && echo $$VERSION_CODENAME)
BOOT_ROOT_IFUPDOWN2 := out/boot-root/trixie-ifupdown2
VM_RELEASES := bookworm trixie

check: deps $(IMPLEMENTATIONS) $(IRRD) $(CORPUS) $(PROMETHEUS) boot-root vm-roots  ## every tier: unit, netns, ifupdown (with IRRd 4), ifupdown-ng, ifupdown2, a real boot, Debian's kernel under QEMU (root)
	NETGUARD_IFUPDOWN_NG=$(CURDIR)/out/ifupdown-ng NETGUARD_IFUPDOWN2=$(CURDIR)/out/ifupdown2 \
	  NETGUARD_VM_ROOTS=bookworm=$(CURDIR)/out/vm/bookworm,trixie=$(CURDIR)/out/vm/trixie,trixie-ifupdown2=$(CURDIR)/out/vm/trixie-ifupdown2 \
	  NETGUARD_DEB=$(CURDIR)/$(DEB) \
	  NETGUARD_PROMETHEUS=$(CURDIR)/out/prometheus NETGUARD_BOOT_ROOT=$(CURDIR)/$(BOOT_ROOT) \
	  NETGUARD_BOOT_ROOT_IFUPDOWN2=$(CURDIR)/$(BOOT_ROOT_IFUPDOWN2) $(PYTHON) -m pytest -ra tests

# The boot tier boots a Debian root with the .deb of this checkout installed
# (systemd-nspawn): the package is rebuilt when a file it ships changed.
$(DEB): $(shell git ls-files netguard ifupdown-hooks debian docs pyproject.toml 2>/dev/null)
	$(MAKE) deb

boot-root: $(DEB)  ## the boot tier's Debian roots (mmdebstrap, kept under out/) with the package installed
	tests/boot/make-root $(CURDIR)/$(BOOT_ROOT) $(DEB)
	tests/boot/make-root $(CURDIR)/$(BOOT_ROOT_IFUPDOWN2) $(DEB) trixie ifupdown2

# The VM tier's roots (Debian's kernel, udev, ifupdown; tests/vm/make-root makes
# each once, again only when its package list changes); the .deb goes into a copy.
vm-roots:  ## the VM tier's Debian 12 and 13 roots (ifupdown), and Debian 13's with ifupdown2, under out/vm
	for release in $(VM_RELEASES); do tests/vm/make-root $(CURDIR)/out/vm/$$release $$release || exit 1; done
	tests/vm/make-root $(CURDIR)/out/vm/trixie-ifupdown2 trixie ifupdown2

# Like a Debian buildd: sbuild in unshare mode in buildd chroots of Debian 12 and 13
# (kept under out/sbuild), an unprivileged build user, tests on. Root needs
# root:200000:65536 in /etc/subuid and /etc/subgid for it, so it is not part of check.
sbuild:  ## build the source package with sbuild for Debian 12 and 13, tests on (root; packages sbuild, uidmap)
	.ci/sbuild

# ifupdown-ng and ifupdown2 conflict with ifupdown, so their Debian packages
# are unpacked, not installed, and the hooks are tested under all three.
# Offline, those tiers are skipped (and fail under CI=true).
out/ifupdown-ng/etc/network:
	rm -rf out/ifupdown-ng out/deb-ifupdown-ng && mkdir -p out/deb-ifupdown-ng
	-cd out/deb-ifupdown-ng && apt-get download ifupdown-ng >/dev/null 2>&1 && \
	  dpkg -x ifupdown-ng_*.deb $(CURDIR)/out/ifupdown-ng

out/ifupdown2/bin/ifup:
	rm -rf out/ifupdown2 out/deb-ifupdown2 && mkdir -p out/deb-ifupdown2
	-cd out/deb-ifupdown2 && apt-get download ifupdown2 >/dev/null 2>&1 && \
	  dpkg -x ifupdown2_*.deb $(CURDIR)/out/ifupdown2 && mkdir -p $(CURDIR)/out/ifupdown2/bin && \
	  ln -sf ../usr/share/ifupdown2/__main__.py $(CURDIR)/out/ifupdown2/bin/ifup && \
	  ln -sf ../usr/share/ifupdown2/__main__.py $(CURDIR)/out/ifupdown2/bin/ifdown && \
	  ln -sf ../usr/share/ifupdown2/__main__.py $(CURDIR)/out/ifupdown2/bin/ifquery

# Prometheus' node_exporter and promtool (Debian's packages; promtool is its
# own package from Debian 13 on, part of prometheus before) for the metrics
# tests, unpacked, not installed: no service of theirs starts on the machine.
$(PROMETHEUS):
	rm -rf out/prometheus out/deb-prometheus && mkdir -p out/deb-prometheus
	-cd out/deb-prometheus && apt-get download prometheus-node-exporter >/dev/null 2>&1 && \
	  { apt-get download promtool >/dev/null 2>&1 || apt-get download prometheus >/dev/null 2>&1; } && \
	  for deb in *.deb; do dpkg -x $$deb $(CURDIR)/out/prometheus; done

# The interfaces corpus (tests/corpus/SOURCES): real files from Debian's
# packages, downloaded and unpacked, never committed.
$(CORPUS): tests/corpus/SOURCES
	rm -rf out/corpus && mkdir -p out/corpus/debs
	-cd out/corpus/debs && apt-get download $$(awk '!/^#/ && NF {print $$1}' $(CURDIR)/tests/corpus/SOURCES | sort -u) >/dev/null 2>&1 && \
	  for deb in *.deb; do dpkg -x $$deb $(CURDIR)/out/corpus/root; done && touch $(CURDIR)/$(CORPUS)

# IRRd 4 for the test tier that proves the IRR source against the real server:
# from PyPI, in a venv of its own under out/ (test-only, never a runtime dependency).
$(IRRD):
	rm -rf out/irrd-venv
	/usr/bin/python3 -m venv out/irrd-venv
	out/irrd-venv/bin/pip install -q --disable-pip-version-check irrd==4.5.4 >out/irrd-venv.log 2>&1 || \
	  { echo "IRRd could not be installed (out/irrd-venv.log): its tier fails under CI=true"; rm -f $(IRRD); }

unit:   ## the pure tier, no root needed
	$(PYTHON) -m pytest -ra -p no:cacheprovider tests/unit

demo: deps  ## real ifup in throwaway namespaces; never touches the host's interfaces
	$(PYTHON) -m tests.demo

lint:  ## ruff (lint + format) and mypy, dev tools from PyPI
	ruff check .
	ruff format --check .
	mypy netguard

build-deps:  ## install debian/control's Build-Depends if any is missing (root)
	@if ! command -v dpkg-checkbuilddeps >/dev/null || ! dpkg-checkbuilddeps 2>/dev/null; then \
	  echo "installing the build dependencies"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -qq ./ >/dev/null; \
	fi

deb: build-deps  ## out/netguard_$(VERSION)_all.deb (lintian runs in CI, not here)
	# Debian's python3, not a pyenv one earlier on PATH.
	env PATH=/usr/sbin:/usr/bin:/sbin:/bin dpkg-buildpackage -us -uc -b
	mkdir -p out && cp ../netguard_$(VERSION)_all.deb out/

bench: deps  ## figures for the README (root for the namespace ones; bench.fallback also runs wget and curl)
	$(PYTHON) bench/noop_hook.py
	$(PYTHON) -m bench.wait_dad
	$(PYTHON) -m bench.routes
	$(PYTHON) -m bench.reject_hook
	$(PYTHON) -m bench.hook_phases
	$(PYTHON) -m bench.fallback
	$(PYTHON) -m bench.duplicate
	$(PYTHON) -m bench.ipv4_dad
	$(PYTHON) -m bench.metrics_hook
	$(PYTHON) -m bench.boot_wait_ifupdown2
	$(PYTHON) -m bench.boot_wait

clean:
	rm -rf out build .pybuild debian/netguard debian/.debhelper debian/files \
	  debian/*.substvars debian/*.debhelper.log debian/debhelper-build-stamp *.egg-info
