"""The kernel's words netguard uses, defined once (linux/if_addr.h, linux/rtnetlink.h).

Address flags as /proc/net/if_inet6 and RTM_NEWADDR carry them, route
scopes, table and types, and the routing protocol number netguard's reject
routes carry. Plain integers: every layer may import this module.
"""

IFA_F_NODAD = 0x02
IFA_F_OPTIMISTIC = 0x04
IFA_F_DADFAILED = 0x08
IFA_F_TENTATIVE = 0x40
IFA_F_PERMANENT = 0x80

RT_SCOPE_UNIVERSE = 0
RT_SCOPE_LINK = 253
RT_SCOPE_HOST = 254
RT_TABLE_MAIN = 254
RTN_UNICAST = 1
RTN_UNREACHABLE = 7

IFF_UP, IFF_LOOPBACK, IFF_NOARP = 0x1, 0x8, 0x80  # link flags (linux/if.h)
ARPHRD_ETHER = 1  # a link's type in /sys/class/net/IFACE/type
ETH_P_ARP, ETH_P_IP = 0x0806, 0x0800

RTPROT_NETGUARD = 241  # named "netguard" in /etc/iproute2/rt_protos.d/netguard.conf
