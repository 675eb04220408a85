"""wait-dad verdicts and messages against hand-made address lists."""

from __future__ import annotations

import ipaddress

from netguard import usable
from netguard.errors import DadFailed, WaitTimeout
from netguard.state import IFA_F_DADFAILED, IFA_F_OPTIMISTIC, IFA_F_PERMANENT, IFA_F_TENTATIVE, Address

LINK = 253


def addr(text: str, flags: int = IFA_F_PERMANENT, scope: int = 0, ifname: str = "eth0") -> Address:
    return Address(ifname, text, 64, flags, scope)


SETTLED = addr("2001:db8::1")
TENTATIVE = addr("2001:db8::2", IFA_F_PERMANENT | IFA_F_TENTATIVE)
FAILED = addr("2001:db8::3", IFA_F_PERMANENT | IFA_F_TENTATIVE | IFA_F_DADFAILED)
LINK_LOCAL_TENTATIVE = addr("fe80::1", IFA_F_PERMANENT | IFA_F_TENTATIVE, LINK)
OPTIMISTIC = addr("2001:db8::4", IFA_F_TENTATIVE | IFA_F_OPTIMISTIC)


def test_all_settled_is_usable():
    verdict = usable.assess([SETTLED, addr("fe80::1", scope=LINK)], need_global=False)
    assert verdict.finished and verdict.usable


def test_any_tentative_keeps_waiting_including_link_local():
    assert not usable.assess([SETTLED, LINK_LOCAL_TENTATIVE], False).finished
    assert not usable.assess([SETTLED, TENTATIVE], False).finished
    assert not usable.assess([OPTIMISTIC], False).finished


def test_dadfailed_finishes_at_once_even_with_others_pending():
    verdict = usable.assess([FAILED, TENTATIVE], False)
    assert verdict.finished and not verdict.usable
    assert verdict.failed == (FAILED,)


def test_slaac_needs_a_global_address():
    only_link_local = [addr("fe80::1", scope=LINK)]
    assert not usable.assess(only_link_local, need_global=True).finished
    assert usable.assess([*only_link_local, SETTLED], need_global=True).usable


def test_failure_message_names_the_duplicate():
    problem = usable.failure(usable.assess([FAILED], False), "eth0", 5, set())
    assert isinstance(problem, DadFailed)
    assert problem.line().startswith("netguard: eth0: wait-dad: duplicate address 2001:db8::3")


def test_timeout_lists_tentative_addresses_and_says_no_carrier():
    verdict = usable.assess([TENTATIVE, LINK_LOCAL_TENTATIVE], False)
    problem = usable.failure(verdict, "eth0", 5, {"eth0"})
    assert isinstance(problem, WaitTimeout)
    line = problem.line()
    assert "timed out after 5 s" in line
    assert "2001:db8::2/64 (tentative)" in line and "fe80::1/64 (tentative)" in line
    assert "no carrier on eth0" in line


def test_usable_has_no_failure():
    assert usable.failure(usable.assess([SETTLED], False), "eth0", 5, set()) is None


def test_wanted_addresses():
    wanted = [ipaddress.IPv6Address("2001:db8::1"), ipaddress.IPv6Address("2001:db8::9")]
    verdict = usable.assess_wanted([SETTLED, TENTATIVE], wanted)
    assert verdict.missing == ("2001:db8::9",) and not verdict.finished
    assert usable.assess_wanted([SETTLED], wanted[:1]).usable
    failed = usable.assess_wanted([FAILED], [ipaddress.IPv6Address("2001:db8::3")])
    assert failed.finished and failed.failed == (FAILED,)
    # Only the named address matters: another interface's tentative one does not.
    assert usable.assess_wanted([SETTLED, TENTATIVE], wanted[:1]).usable


def test_wanted_link_local_with_a_zone_matches_only_that_interface():
    other = addr("fe80::1", IFA_F_PERMANENT, LINK, ifname="eth1")
    tentative_here = addr("fe80::1", IFA_F_PERMANENT | IFA_F_TENTATIVE, LINK, ifname="eth0")
    zoned = [usable.parse_wanted("fe80::1%eth0")]
    assert not usable.assess_wanted([other, tentative_here], zoned).finished
    assert usable.assess_wanted([other, tentative_here], [usable.parse_wanted("fe80::1")]).usable
    assert usable.parse_wanted("2001:db8::1/64") == ipaddress.IPv6Address("2001:db8::1")
